package postgres_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	aggregator "finance/go_aggregator"
)

// Alice has a checking and a savings account in one currency and a euro
// account; her transfers land on the right accounts with the right amounts
// (the arriving leg in the receiving account's currency), and a transfer that
// moves (month, accounts) or goes leaves no stale rows behind.
func TestIncremental_TransfersLandOnTheirAccounts(t *testing.T) {
	d := MustOpenTestDB(t)
	db := d.open(t)
	ctx := context.Background()
	alice, bob := userID(1), userID(2)
	checking, savings, euro := accountOf(alice, 0), accountOf(alice, 1), accountOf(alice, 2)
	d.addTxnTo(t, checking, alice, "2024-03-01", "salary", "income", 300_000)
	d.addTxnTo(t, euro, alice, "2024-03-09", "food", "expense", 1_200)
	d.addTxnTo(t, checking, alice, "2024-03-10", "food", "expense", 2_000)
	toEuro := d.addTransfer(t, alice, checking, euro, "2024-03-02", 10_000, 9_200)
	d.addTransfer(t, alice, checking, euro, "2024-03-20", 500, 460)
	d.addTransfer(t, alice, euro, checking, "2024-03-21", 100, 108)
	toSavings := d.addTransfer(t, alice, checking, savings, "2024-03-25", 50_000, 50_000)
	d.addTransfer(t, bob, accountOf(bob, 0), accountOf(bob, 1), "2024-03-03", 7, 7)
	report, err := db.Incremental(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if report.RowsRead != 8 || report.BucketsUpdated != 2 || report.RollupsWritten != 10 {
		t.Fatalf("report = %+v, want 8 rows (3 transactions, 5 transfers) in 2 buckets, 10 rollups", report)
	}
	row := func(user, account, category, typ string, total, count int64) aggregator.Rollup {
		return aggregator.Rollup{UserID: user, Month: "2024-03", AccountID: account, Category: category, Type: typ, TotalMinor: total, TransactionCount: count}
	}
	want := []aggregator.Rollup{
		row(alice, checking, "", "transfer_in", 108, 1),
		row(alice, checking, "", "transfer_out", 60_500, 3),
		row(alice, checking, "food", "expense", 2_000, 1),
		row(alice, checking, "salary", "income", 300_000, 1),
		row(alice, savings, "", "transfer_in", 50_000, 1),
		row(alice, euro, "", "transfer_in", 9_660, 2),
		row(alice, euro, "", "transfer_out", 100, 1),
		row(alice, euro, "food", "expense", 1_200, 1),
		row(bob, accountOf(bob, 0), "", "transfer_out", 7, 1),
		row(bob, accountOf(bob, 1), "", "transfer_in", 7, 1),
	}
	if got := d.rollups(t); !reflect.DeepEqual(got, want) {
		t.Fatalf("rollups = %+v\nwant %+v", got, want)
	}
	d.checkFingerprints(t)

	// The savings transfer moves to April and becomes euro -> savings: March
	// loses savings' only row and part of checking's; the API marks both months.
	d.updateTransfer(t, toSavings, euro, savings, "2024-04-02", 1_000, 1_090)
	// The first euro transfer goes.
	d.deleteEntry(t, "ledger_transfer", toEuro, alice, "2024-03")
	if _, err := db.Incremental(ctx, opts); err != nil {
		t.Fatal(err)
	}
	want = []aggregator.Rollup{
		row(alice, checking, "", "transfer_in", 108, 1),
		row(alice, checking, "", "transfer_out", 500, 1),
		row(alice, checking, "food", "expense", 2_000, 1),
		row(alice, checking, "salary", "income", 300_000, 1),
		row(alice, euro, "", "transfer_in", 460, 1),
		row(alice, euro, "", "transfer_out", 100, 1),
		row(alice, euro, "food", "expense", 1_200, 1),
		{UserID: alice, Month: "2024-04", AccountID: savings, Category: "", Type: "transfer_in", TotalMinor: 1_090, TransactionCount: 1},
		{UserID: alice, Month: "2024-04", AccountID: euro, Category: "", Type: "transfer_out", TotalMinor: 1_000, TransactionCount: 1},
		row(bob, accountOf(bob, 0), "", "transfer_out", 7, 1),
		row(bob, accountOf(bob, 1), "", "transfer_in", 7, 1),
	}
	if got := d.rollups(t); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the move: rollups = %+v\nwant %+v", got, want)
	}
	d.checkRollups(t, "after the move")
	d.checkFingerprints(t)
	if got := d.dirty(t); len(got) != 0 {
		t.Fatalf("dirty = %+v, want none", got)
	}
	// A rebuild trusting nothing finds what the incremental runs left.
	full, err := db.Full(ctx, aggregator.RunOptions{Workers: 2, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if full.RollupsWritten != 0 || full.RollupsDeleted != 0 || full.RollupsKept != int64(len(want)) {
		t.Fatalf("full --verify = %+v, want nothing to repair", full)
	}
}

// A month whose transfers sum past int64 in one account (rows written
// outside the API) fails that bucket alone, on either leg, incrementally and
// in a rebuild.
func TestTransferOverflowIsIsolated(t *testing.T) {
	d := MustOpenTestDB(t)
	db := d.open(t)
	ctx := context.Background()
	d.seed(t, 2000, 6, 13)
	if _, err := db.Full(ctx, aggregator.RunOptions{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	outUser, inUser := userID(2), userID(5)
	outBefore, inBefore := d.rollupsOf(t, outUser), d.rollupsOf(t, inUser)
	// Out of one account twice (the in legs land in two others) ...
	d.addTransfer(t, outUser, accountOf(outUser, 0), accountOf(outUser, 1), "2024-06-06", fiveE18, 1)
	d.addTransfer(t, outUser, accountOf(outUser, 0), accountOf(outUser, 2), "2024-06-07", fiveE18, 1)
	// ... and into one account twice.
	d.addTransfer(t, inUser, accountOf(inUser, 0), accountOf(inUser, 1), "2024-02-06", 1, fiveE18)
	d.addTransfer(t, inUser, accountOf(inUser, 2), accountOf(inUser, 1), "2024-02-07", 1, fiveE18)
	d.addTxn(t, userID(3), "2024-06-08", "food", "expense", 5) // an ordinary bucket beside them

	report, err := db.Incremental(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range report.Failures {
		if !strings.Contains(f.Error, "overflow") {
			t.Errorf("failure %+v: want an overflow", f)
		}
		failed = append(failed, f.UserID+" "+f.Month)
	}
	if want := []string{outUser + " 2024-06", inUser + " 2024-02"}; !reflect.DeepEqual(failed, want) || report.BucketsUpdated != 1 {
		t.Fatalf("report = %+v, want %q failed and 1 bucket done", report, want)
	}
	if !reflect.DeepEqual(d.rollupsOf(t, outUser), outBefore) || !reflect.DeepEqual(d.rollupsOf(t, inUser), inBefore) {
		t.Fatal("a failed bucket's rollups changed")
	}
	d.checkRollups(t, "beside the overflow", outUser, inUser)
	d.checkFingerprints(t)

	full, err := db.Full(ctx, aggregator.RunOptions{Workers: 2, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if full.BucketsFailed != 2 || len(d.dirty(t)) != 2 {
		t.Fatalf("full = %+v, dirty %+v: want the two buckets failed and still dirty", full, d.dirty(t))
	}
	if !reflect.DeepEqual(d.rollupsOf(t, outUser), outBefore) || !reflect.DeepEqual(d.rollupsOf(t, inUser), inBefore) {
		t.Fatal("a failed user's rollups changed in the rebuild")
	}

	// The poison goes (the API marks the months dirty again): the next run computes them.
	if _, err := d.admin.Exec(ctx, `DELETE FROM ledger_transfer WHERE amount_minor = $1 OR to_amount_minor = $1`, int64(fiveE18)); err != nil {
		t.Fatal(err)
	}
	d.markDirty(t, outUser, "2024-06")
	d.markDirty(t, inUser, "2024-02")
	if report, err := db.Incremental(ctx, opts); err != nil || report.BucketsFailed != 0 || report.BucketsUpdated != 2 {
		t.Fatalf("after the poison went: report = %+v, %v", report, err)
	}
	d.checkRollups(t, "after the poison went")
	d.checkFingerprints(t)
}

// An account deleted while a rebuild runs (after it read the account's
// entries, before it writes; the API deleted them first, marking their months
// dirty) must not fail the rebuild: the account's rollups are skipped, the
// user's fingerprint becomes unknown, everything else is written, and the
// next runs settle the user.
func TestFull_AccountDeletedBetweenReadAndWrite(t *testing.T) {
	d := MustOpenTestDB(t)
	db := d.open(t)
	ctx := context.Background()
	d.seed(t, 2000, 5, 14)
	if _, err := d.admin.Exec(ctx, `DELETE FROM ledger_dirtybucket`); err != nil { // as if rolled up already
		t.Fatal(err)
	}
	user := userID(3)
	gone := accountOf(user, 1)
	db.BeforeWrite = func(ctx context.Context) error {
		return pgx.BeginFunc(ctx, d.admin, func(tx pgx.Tx) error {
			for _, sql := range []string{
				`INSERT INTO ledger_dirtybucket (user_id, month, generation, marked_at)
				   SELECT DISTINCT user_id, to_char(date, 'YYYY-MM'), 1, now() FROM ledger_transaction WHERE account_id = $1
				   UNION SELECT DISTINCT user_id, to_char(date, 'YYYY-MM'), 1, now() FROM ledger_transfer WHERE $1 IN (from_account_id, to_account_id)`,
				`DELETE FROM ledger_transaction WHERE account_id = $1`,
				`DELETE FROM ledger_transfer WHERE $1 IN (from_account_id, to_account_id)`,
				`DELETE FROM ledger_monthlyrollup WHERE account_id = $1`, // Django's cascade
				`DELETE FROM ledger_account WHERE id = $1`,
			} {
				if _, err := tx.Exec(ctx, sql, gone); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if _, err := db.Full(ctx, aggregator.RunOptions{Workers: 2}); err != nil {
		t.Fatalf("full with an account deleted mid-run: %v", err)
	}
	db.BeforeWrite = nil
	for _, r := range d.rollups(t) {
		if r.AccountID == gone {
			t.Fatalf("the deleted account has a rollup: %+v", r)
		}
	}
	d.checkRollups(t, "beside the half-written user", user)
	if fp := d.fingerprints(t)[user]; fp.digest != nil {
		t.Fatalf("the user's fingerprint = %d, want unknown (NULL)", *fp.digest)
	}
	if _, err := db.Incremental(ctx, opts); err != nil {
		t.Fatal(err)
	}
	d.checkRollups(t, "after the incremental run")
	if _, err := db.Full(ctx, aggregator.RunOptions{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	d.checkRollups(t, "after the next rebuild")
	d.checkFingerprints(t)
}
