package sqlite_test

import (
	"context"
	"database/sql"
	"reflect"
	"strings"
	"testing"

	aggregator "finance/go_aggregator"
)

// Poison rows are written with SQL, as a script or an old API could: the API
// itself refuses them now.
const (
	carol   = "0000000000000000000000000000000c"
	dave    = "0000000000000000000000000000000d"
	erin    = "0000000000000000000000000000000e"
	fiveE18 = 5_000_000_000_000_000_000
)

// rollupsExcept returns the stored rollups of every user but except.
func rollupsExcept(tb testing.TB, db *sql.DB, except ...string) []aggregator.Rollup {
	tb.Helper()
	var out []aggregator.Rollup
	for _, r := range rollups(tb, db) {
		if !contains(except, r.UserID) {
			out = append(out, r)
		}
	}
	return out
}

// expectedExcept is the SQL oracle for every user but except (whose rows
// may sum past int64, which SQLite's SUM refuses).
func expectedExcept(tb testing.TB, db *sql.DB, except ...string) []aggregator.Rollup {
	tb.Helper()
	rows, err := db.Query(`SELECT user_id, substr(date, 1, 7), account_id, category, type, SUM(amount), COUNT(*)
		FROM (`+entriesSQL+`) WHERE user_id NOT IN (SELECT value FROM json_each(?)) GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`, jsonList(except))
	if err != nil {
		tb.Fatal(err)
	}
	out := scanRollups(tb, rows)
	if len(out) == 0 {
		return nil
	}
	return out
}

func jsonList(items []string) string {
	if len(items) == 0 {
		return "[]"
	}
	return `["` + strings.Join(items, `","`) + `"]`
}

func contains(items []string, s string) bool {
	for _, item := range items {
		if item == s {
			return true
		}
	}
	return false
}

// checkOthersExact fails unless every user but except has the oracle's rollups.
func checkOthersExact(tb testing.TB, db *sql.DB, when string, except ...string) {
	tb.Helper()
	if got, want := rollupsExcept(tb, db, except...), expectedExcept(tb, db, except...); !reflect.DeepEqual(got, want) {
		tb.Fatalf("%s: rollups = %+v\nwant %+v", when, got, want)
	}
}

// rollupsOf returns the stored rollups of one user.
func rollupsOf(tb testing.TB, db *sql.DB, user string) []aggregator.Rollup {
	tb.Helper()
	var out []aggregator.Rollup
	for _, r := range rollups(tb, db) {
		if r.UserID == user {
			out = append(out, r)
		}
	}
	return out
}

// insertRaw inserts a transaction with SQL alone (no dirty mark): amount is
// spliced as SQL, so a literal past int64 becomes the REAL SQLite stores.
func insertRaw(tb testing.TB, db *sql.DB, user, date, amountSQL string) {
	tb.Helper()
	txnSeq++
	if _, err := db.Exec(`INSERT INTO ledger_transaction (id, account_id, amount_minor, type, description, category, category_key, date, created_at, updated_at, user_id)
		VALUES (printf('%032x', ?), ?, `+amountSQL+`, 'income', '', 'poison', 'poison', ?, datetime('now'), datetime('now'), ?)`, txnSeq, accountOf(user, 0), date, user); err != nil {
		tb.Fatal(err)
	}
}

// runOrdinary gives each user an ordinary 2024-03 row and rolls them up with run.
func runOrdinary(t *testing.T, db *sql.DB, run func(context.Context, aggregator.RunOptions) (aggregator.RunReport, error), users ...string) {
	t.Helper()
	for i, user := range users {
		addTxn(t, db, user, "2024-03-10", "food", "expense", int64(1000+i))
	}
	if _, err := run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
}

// failedBuckets lists a report's failures as "user month".
func failedBuckets(report aggregator.RunReport) []string {
	var out []string
	for _, f := range report.Failures {
		out = append(out, f.UserID+" "+f.Month)
	}
	return out
}

func TestIncremental_PoisonBucketsAreIsolated(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	runOrdinary(t, db.SQL(), db.Incremental, alice, bob, carol)
	carolBefore := rollupsOf(t, db.SQL(), carol)
	addTxn(t, db.SQL(), carol, "2024-03-06", "poison", "income", fiveE18)
	addTxn(t, db.SQL(), carol, "2024-03-07", "poison", "income", fiveE18)
	addTxn(t, db.SQL(), carol, "2024-04-02", "food", "expense", 20)
	addTxn(t, db.SQL(), dave, "9999-12-31", "edge", "expense", 7)
	addTxn(t, db.SQL(), dave, "9999-12-01", "edge", "expense", 8)
	addTxn(t, db.SQL(), dave, "0001-01-01", "edge", "income", 9)
	insertRaw(t, db.SQL(), erin, "2024-05-05", "10000000000000000000")
	markDirty(t, db.SQL(), erin, "2024-05")
	markDirty(t, db.SQL(), alice, "2024-13") // a dirty row no month parses from

	report, err := db.Incremental(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if failed, want := failedBuckets(report), []string{alice + " 2024-13", carol + " 2024-03", erin + " 2024-05"}; !reflect.DeepEqual(failed, want) || report.BucketsFailed != 3 {
		t.Fatalf("failures = %q (%+v), want %q", failed, report.Failures, want)
	}
	if report.BucketsUpdated != 3 {
		t.Fatalf("report = %+v, want 3 buckets updated (carol 2024-04, dave 0001-01 and 9999-12)", report)
	}
	checkOthersExact(t, db.SQL(), "beside the poison", carol, erin)
	want := append(carolBefore, aggregator.Rollup{UserID: carol, Month: "2024-04", AccountID: accountOf(carol, 0), Category: "food", Type: "expense", TotalMinor: 20, TransactionCount: 1})
	if got := rollupsOf(t, db.SQL(), carol); !reflect.DeepEqual(got, want) {
		t.Fatalf("carol's rollups = %+v, want %+v", got, want)
	}
	if got := len(dirty(t, db.SQL())); got != 3 {
		t.Fatalf("%d dirty rows, want the 3 failed buckets", got)
	}

	// The poison goes (the API marks the buckets dirty again): the next run computes them.
	if _, err := db.SQL().Exec(`DELETE FROM ledger_transaction WHERE category = 'poison'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().Exec(`DELETE FROM ledger_dirtybucket WHERE month = '2024-13'`); err != nil {
		t.Fatal(err)
	}
	markDirty(t, db.SQL(), carol, "2024-03")
	report, err = db.Incremental(ctx, opts)
	if err != nil || report.BucketsFailed != 0 || len(report.Failures) != 0 {
		t.Fatalf("after the poison went: report = %+v, %v", report, err)
	}
	if got, want := rollups(t, db.SQL()), expected(t, db.SQL()); !reflect.DeepEqual(got, want) {
		t.Fatalf("rollups = %+v, want %+v", got, want)
	}
	if got := dirty(t, db.SQL()); len(got) != 0 {
		t.Fatalf("dirty = %+v, want none", got)
	}
}

func TestFull_PoisonUsersAreLeftAlone(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	runOrdinary(t, db.SQL(), db.Full, alice, carol, erin)
	carolBefore, erinBefore := rollupsOf(t, db.SQL(), carol), rollupsOf(t, db.SQL(), erin)
	addTxn(t, db.SQL(), carol, "2024-03-06", "poison", "income", fiveE18)
	addTxn(t, db.SQL(), carol, "2024-03-07", "poison", "income", fiveE18)
	insertRaw(t, db.SQL(), erin, "10000-01-01", "1") // a date "YYYY-MM" cannot name
	addTxn(t, db.SQL(), bob, "9999-12-31", "edge", "expense", 7)

	report, err := db.Full(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if failed, want := failedBuckets(report), []string{carol + " 2024-03", erin + " "}; !reflect.DeepEqual(failed, want) || report.BucketsFailed != 2 {
		t.Fatalf("failures = %q, want %q", failed, want)
	}
	checkOthersExact(t, db.SQL(), "beside the poison", carol, erin)
	if !reflect.DeepEqual(rollupsOf(t, db.SQL(), carol), carolBefore) || !reflect.DeepEqual(rollupsOf(t, db.SQL(), erin), erinBefore) {
		t.Fatal("a failing user's rollups changed")
	}
	if got := dirty(t, db.SQL()); len(got) != 1 || got[0].UserID != carol {
		t.Fatalf("dirty = %+v, want carol's bucket only", got)
	}
}
