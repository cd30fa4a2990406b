package postgres_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	aggregator "finance/go_aggregator"
	"finance/go_aggregator/postgres"
)

// Poison rows are written with SQL, as a script or an old API could: the API
// itself refuses them now.
const fiveE18 = 5_000_000_000_000_000_000

// poisonData gives alice and bob ordinary buckets, dave the first and last
// months "YYYY-MM" can name (computed exactly), and carol a bucket whose
// total passes int64 (2024-03) beside an ordinary one (2024-04). Carol's
// 2024-03 had a rollup before the poison arrived.
func poisonData(t *testing.T, d *testDB, db *postgres.DB) (carol string, carolBefore []aggregator.Rollup) {
	t.Helper()
	alice, bob, dave := userID(1), userID(2), userID(4)
	carol = userID(3)
	d.addTxn(t, alice, "2024-03-10", "food", "expense", 1250)
	d.addTxn(t, alice, "2024-04-01", "salary", "income", 300000)
	d.addTxn(t, bob, "2024-03-31", "rent", "expense", 90000)
	d.addTxn(t, carol, "2024-03-05", "food", "expense", 10)
	if _, err := db.Incremental(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	carolBefore = d.rollupsOf(t, carol)
	d.addTxn(t, carol, "2024-03-06", "poison", "income", fiveE18)
	d.addTxn(t, carol, "2024-03-07", "poison", "income", fiveE18)
	d.addTxn(t, carol, "2024-04-02", "food", "expense", 20)
	d.addTxn(t, dave, "9999-12-31", "edge", "expense", 7)
	d.addTxn(t, dave, "9999-12-01", "edge", "expense", 8)
	d.addTxn(t, dave, "0001-01-01", "edge", "income", 9)
	d.addTxn(t, alice, "2024-03-11", "food", "expense", 5)
	return carol, carolBefore
}

// checkPoisonReported asserts a report of exactly the poison bucket.
func checkPoisonReported(t *testing.T, report aggregator.RunReport, user, month string) {
	t.Helper()
	if report.BucketsFailed != 1 || len(report.Failures) != 1 {
		t.Fatalf("report = %+v, want one failed bucket", report)
	}
	if f := report.Failures[0]; f.UserID != user || f.Month != month || !strings.Contains(f.Error, "overflow") {
		t.Fatalf("failure = %+v, want (%s, %s) with an overflow", f, user, month)
	}
}

func TestIncremental_PoisonBucketIsIsolated(t *testing.T) {
	d := MustOpenTestDB(t)
	db := d.open(t)
	ctx := context.Background()
	carol, carolBefore := poisonData(t, d, db)

	report, err := db.Incremental(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	checkPoisonReported(t, report, carol, "2024-03")
	if report.BucketsUpdated != 4 {
		t.Fatalf("report = %+v, want 4 buckets updated (alice 2024-03, carol 2024-04, dave 0001-01 and 9999-12)", report)
	}
	d.checkRollups(t, "beside the poison", carol)
	// Carol's poisoned bucket keeps its old rollup; her other bucket is done.
	want := append(carolBefore, aggregator.Rollup{UserID: carol, Month: "2024-04", AccountID: accountOf(carol, 0), Category: "food", Type: "expense", TotalMinor: 20, TransactionCount: 1})
	if got := d.rollupsOf(t, carol); !reflect.DeepEqual(got, want) {
		t.Fatalf("carol's rollups = %+v, want %+v", got, want)
	}
	if got := d.dirty(t); len(got) != 1 || got[0].UserID != carol || got[0].Month != "2024-03" {
		t.Fatalf("dirty = %+v, want carol's 2024-03 only", got)
	}
	d.checkFingerprints(t)

	// The poison is deleted (the API marks the bucket dirty again): the next run computes it.
	if _, err := d.admin.Exec(ctx, `DELETE FROM ledger_transaction WHERE category = 'poison'`); err != nil {
		t.Fatal(err)
	}
	d.markDirty(t, carol, "2024-03")
	report, err = db.Incremental(ctx, opts)
	if err != nil || report.BucketsFailed != 0 || len(report.Failures) != 0 || report.BucketsUpdated != 1 {
		t.Fatalf("after the poison went: report = %+v, %v", report, err)
	}
	d.checkRollups(t, "after the poison went")
	d.checkFingerprints(t)
}

func TestFull_PoisonUserIsLeftAlone(t *testing.T) {
	d := MustOpenTestDB(t)
	db := d.open(t)
	ctx := context.Background()
	carol, _ := poisonData(t, d, db)
	// Erin's rows carry dates no "YYYY-MM" names: year 10000, and year 0 (1 BC).
	erin, frank := userID(5), userID(6)
	d.addTxn(t, erin, "2024-05-05", "food", "expense", 3)
	d.addTxn(t, frank, "2024-05-05", "food", "expense", 4)
	if _, err := db.Incremental(ctx, opts); err != nil {
		t.Fatal(err)
	}
	erinBefore := d.rollupsOf(t, erin)
	for _, date := range []string{"10000-01-01", "0001-12-31 BC"} {
		if _, err := d.admin.Exec(ctx, `INSERT INTO ledger_transaction (id, account_id, amount_minor, type, description, category, category_key, date, created_at, updated_at, user_id)
			VALUES (gen_random_uuid(), $3, 1, 'income', '', 'far', 'far', $1::date, now(), now(), $2)`, date, erin, accountOf(erin, 0)); err != nil {
			t.Fatal(err)
		}
	}
	carolBefore, fpBefore := d.rollupsOf(t, carol), d.fingerprints(t)
	d.markDirty(t, frank, "2024-05")
	d.markDirty(t, carol, "2024-04")

	for _, verify := range []bool{false, true} {
		report, err := db.Full(ctx, aggregator.RunOptions{Workers: 2, Verify: verify})
		if err != nil {
			t.Fatal(err)
		}
		want := []aggregator.Failure{{UserID: carol, Month: "2024-03"}, {UserID: erin, Month: ""}}
		var got []aggregator.Failure
		for _, f := range report.Failures {
			got = append(got, aggregator.Failure{UserID: f.UserID, Month: f.Month})
		}
		if !reflect.DeepEqual(got, want) || report.BucketsFailed != 2 || !strings.Contains(report.Failures[1].Error, "year") {
			t.Fatalf("verify=%v: failures = %+v, want %+v", verify, report.Failures, want)
		}
		d.checkRollups(t, "beside the poison", carol, erin)
		if !reflect.DeepEqual(d.rollupsOf(t, carol), carolBefore) || !reflect.DeepEqual(d.rollupsOf(t, erin), erinBefore) {
			t.Fatalf("verify=%v: a failing user's rollups changed", verify)
		}
		fps := d.fingerprints(t)
		if !reflect.DeepEqual(fps[carol], fpBefore[carol]) || !reflect.DeepEqual(fps[erin], fpBefore[erin]) {
			t.Fatalf("verify=%v: a failing user's fingerprint changed", verify)
		}
		// Carol's dirty marks stay (both months), frank's is cleared.
		var dirty []string
		for _, b := range d.dirty(t) {
			dirty = append(dirty, b.UserID+" "+b.Month)
		}
		if want := []string{carol + " 2024-03", carol + " 2024-04"}; !reflect.DeepEqual(dirty, want) {
			t.Fatalf("verify=%v: dirty = %q, want %q", verify, dirty, want)
		}
	}
}

// Two aggregators at once over many users and one poison bucket: every
// other bucket is done exactly once; the poison stays dirty and is reported
// by each aggregator that claimed it (the second may claim it after the
// first gave up on it).
func TestIncremental_TwoAggregatorsWithPoison(t *testing.T) {
	d := MustOpenTestDB(t)
	ctx := context.Background()
	d.seed(t, 12000, 100, 5)
	poisoned := userID(7)
	d.addTxn(t, poisoned, "2024-06-06", "poison", "income", fiveE18)
	d.addTxn(t, poisoned, "2024-06-07", "poison", "income", fiveE18)
	dirtyBefore := int64(len(d.dirty(t)))
	reports := make([]aggregator.RunReport, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, db := range []*postgres.DB{d.open(t), d.open(t)} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reports[i], errs[i] = db.Incremental(ctx, aggregator.RunOptions{Workers: 2, BatchSize: 9})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	reported := 0
	for _, r := range reports {
		if r.BucketsFailed > 0 {
			checkPoisonReported(t, r, poisoned, "2024-06")
			reported++
		}
	}
	if reported == 0 {
		t.Fatal("no aggregator reported the poison bucket")
	}
	if got := reports[0].BucketsUpdated + reports[1].BucketsUpdated; got != dirtyBefore-1 {
		t.Fatalf("buckets updated = %d, want %d (each once, all but the poison)", got, dirtyBefore-1)
	}
	d.checkRollups(t, "beside the poison", poisoned)
	if got := d.dirty(t); len(got) != 1 || got[0].UserID != poisoned {
		t.Fatalf("dirty = %+v, want the poison bucket only", got)
	}
	for _, r := range d.rollupsOf(t, poisoned) {
		if r.Month == "2024-06" {
			t.Fatalf("the poison bucket got a rollup: %+v", r)
		}
	}
}

// A batch the database refuses because of one bucket (here a hook standing
// in for, say, a foreign key violation) is retried bucket by bucket: only
// that bucket fails.
func TestIncremental_RefusedBatchIsRetriedBucketByBucket(t *testing.T) {
	d := MustOpenTestDB(t)
	db := d.open(t)
	ctx := context.Background()
	bad := userID(2)
	for i := 1; i <= 5; i++ {
		d.addTxn(t, userID(i), "2024-02-02", "food", "expense", int64(i))
	}
	db.AfterClaim = func(ctx context.Context, tx pgx.Tx, claimed []aggregator.DirtyBucket) error {
		for _, b := range claimed {
			if b.UserID == bad {
				return errors.New("refused for this bucket")
			}
		}
		return nil
	}
	report, err := db.Incremental(ctx, aggregator.RunOptions{Workers: 2, BatchSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if report.BucketsUpdated != 4 || report.BucketsFailed != 1 || report.Failures[0].UserID != bad ||
		!strings.Contains(report.Failures[0].Error, "refused for this bucket") {
		t.Fatalf("report = %+v, want 4 buckets done and %s's failed", report, bad)
	}
	d.checkRollups(t, "beside the refused bucket", bad)
	if got := d.rollupsOf(t, bad); len(got) != 0 {
		t.Fatalf("the refused bucket got rollups: %+v", got)
	}
	db.AfterClaim = nil
	if report, err := db.Incremental(ctx, opts); err != nil || report.BucketsUpdated != 1 || report.BucketsFailed != 0 {
		t.Fatalf("next run = %+v, %v; want the bucket done", report, err)
	}
	d.checkRollups(t, "after the next run")
	d.checkFingerprints(t)
}

// A dirty row whose month does not parse fails alone.
func TestIncremental_UnparseableDirtyMonthFailsAlone(t *testing.T) {
	d := MustOpenTestDB(t)
	db := d.open(t)
	ctx := context.Background()
	d.addTxn(t, userID(1), "2024-02-02", "food", "expense", 1)
	d.markDirty(t, userID(1), "0000-01")
	report, err := db.Incremental(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if report.BucketsUpdated != 1 || report.BucketsFailed != 1 || report.Failures[0].Month != "0000-01" {
		t.Fatalf("report = %+v, want the 0000-01 bucket failed and the other done", report)
	}
	d.checkRollups(t, "after the run")
}
