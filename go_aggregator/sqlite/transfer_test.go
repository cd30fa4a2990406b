package sqlite_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	aggregator "finance/go_aggregator"
)

// Transfers land on their accounts (the arriving leg in the receiving
// account's amount), and one that moves to another month and other accounts
// leaves no stale rows in either month.
func TestIncremental_TransfersLandOnTheirAccounts(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	checking, savings, euro := accountOf(alice, 0), accountOf(alice, 1), accountOf(alice, 2)
	addTxnTo(t, db.SQL(), checking, alice, "2024-03-01", "salary", "income", 300_000)
	addTxnTo(t, db.SQL(), euro, alice, "2024-03-09", "food", "expense", 1_200)
	addTransfer(t, db.SQL(), alice, checking, euro, "2024-03-02", 10_000, 9_200)
	addTransfer(t, db.SQL(), alice, euro, checking, "2024-03-21", 100, 108)
	moved := addTransfer(t, db.SQL(), alice, checking, savings, "2024-03-25", 50_000, 50_000)
	report, err := db.Incremental(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if report.RowsRead != 5 || report.BucketsUpdated != 1 || report.RollupsWritten != 7 {
		t.Fatalf("report = %+v, want 5 rows in 1 bucket, 7 rollups", report)
	}
	row := func(month, account, category, typ string, total, count int64) aggregator.Rollup {
		return aggregator.Rollup{UserID: alice, Month: month, AccountID: account, Category: category, Type: typ, TotalMinor: total, TransactionCount: count}
	}
	want := []aggregator.Rollup{
		row("2024-03", checking, "", "transfer_in", 108, 1),
		row("2024-03", checking, "", "transfer_out", 60_000, 2),
		row("2024-03", checking, "salary", "income", 300_000, 1),
		row("2024-03", savings, "", "transfer_in", 50_000, 1),
		row("2024-03", euro, "", "transfer_in", 9_200, 1),
		row("2024-03", euro, "", "transfer_out", 100, 1),
		row("2024-03", euro, "food", "expense", 1_200, 1),
	}
	if got := rollups(t, db.SQL()); !reflect.DeepEqual(got, want) {
		t.Fatalf("rollups = %+v\nwant %+v", got, want)
	}

	// The savings transfer moves to April and comes out of the euro account;
	// the API marks both months.
	if _, err := db.SQL().Exec(`UPDATE ledger_transfer SET from_account_id = ?, date = '2024-04-02', amount_minor = 1000, to_amount_minor = 1090 WHERE id = ?`, euro, moved); err != nil {
		t.Fatal(err)
	}
	markDirty(t, db.SQL(), alice, "2024-03")
	markDirty(t, db.SQL(), alice, "2024-04")
	if _, err := db.Incremental(ctx, opts); err != nil {
		t.Fatal(err)
	}
	want = []aggregator.Rollup{
		row("2024-03", checking, "", "transfer_in", 108, 1),
		row("2024-03", checking, "", "transfer_out", 10_000, 1),
		row("2024-03", checking, "salary", "income", 300_000, 1),
		row("2024-03", euro, "", "transfer_in", 9_200, 1),
		row("2024-03", euro, "", "transfer_out", 100, 1),
		row("2024-03", euro, "food", "expense", 1_200, 1),
		row("2024-04", savings, "", "transfer_in", 1_090, 1),
		row("2024-04", euro, "", "transfer_out", 1_000, 1),
	}
	if got := rollups(t, db.SQL()); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the move: rollups = %+v\nwant %+v", got, want)
	}
	if got, oracle := rollups(t, db.SQL()), expected(t, db.SQL()); !reflect.DeepEqual(got, oracle) {
		t.Fatalf("rollups = %+v, oracle %+v", got, oracle)
	}
}

// Transfers summing past int64 into one account fail their bucket alone.
func TestIncremental_TransferOverflowIsIsolated(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	addTransfer(t, db.SQL(), carol, accountOf(carol, 0), accountOf(carol, 1), "2024-03-06", 1, fiveE18)
	addTransfer(t, db.SQL(), carol, accountOf(carol, 2), accountOf(carol, 1), "2024-03-07", 1, fiveE18)
	addTransfer(t, db.SQL(), carol, accountOf(carol, 2), accountOf(carol, 1), "2024-04-07", 1, fiveE18)
	addTxn(t, db.SQL(), alice, "2024-03-08", "food", "expense", 5)
	report, err := db.Incremental(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := failedBuckets(report); !reflect.DeepEqual(got, []string{carol + " 2024-03"}) || !strings.Contains(report.Failures[0].Error, "overflow") || report.BucketsUpdated != 2 {
		t.Fatalf("report = %+v, want carol's 2024-03 failed with an overflow, 2 buckets done", report)
	}
	checkOthersExact(t, db.SQL(), "beside the overflow", carol)
	if got := rollupsOf(t, db.SQL(), carol); len(got) != 2 || got[0].Month != "2024-04" {
		t.Fatalf("carol's rollups = %+v, want April's two legs only", got)
	}
}
