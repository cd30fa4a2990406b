package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	aggregator "finance/go_aggregator"
)

// storedFingerprint is a row of ledger_rollupfingerprint; nil fields are NULL.
type storedFingerprint struct {
	digest, count *int64
}

func (d *testDB) fingerprints(tb testing.TB) map[string]storedFingerprint {
	tb.Helper()
	rows, err := d.admin.Query(context.Background(), `SELECT user_id::text, digest, rollup_count FROM ledger_rollupfingerprint`)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]storedFingerprint{}
	var user string
	var digest, count pgtype.Int8
	if _, err := pgx.ForEachRow(rows, []any{&user, &digest, &count}, func() error {
		f := storedFingerprint{}
		if digest.Valid {
			v := digest.Int64
			f.digest = &v
		}
		if count.Valid {
			v := count.Int64
			f.count = &v
		}
		out[user] = f
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return out
}

// checkFingerprints asserts the invariant: every user with rollups has a
// known fingerprint equal to one computed from the stored rows, and every
// other fingerprint row is empty.
func (d *testDB) checkFingerprints(tb testing.TB) {
	tb.Helper()
	want, err := aggregator.FingerprintsOf(d.rollups(tb))
	if err != nil {
		tb.Fatal(err)
	}
	got := d.fingerprints(tb)
	for user, w := range want {
		g, ok := got[user]
		if !ok || g.digest == nil || g.count == nil {
			tb.Fatalf("user %s has rollups but no known fingerprint", user)
		}
		if uint64(*g.digest) != w.Digest || *g.count != w.Count {
			tb.Fatalf("user %s: fingerprint (%x, %d), want (%x, %d)", user, uint64(*g.digest), *g.count, w.Digest, w.Count)
		}
	}
	for user, g := range got {
		if _, ok := want[user]; !ok && (g.digest == nil || *g.digest != 0 || *g.count != 0) {
			tb.Fatalf("user %s has no rollups but a fingerprint %+v", user, g)
		}
	}
}

func TestFingerprints_FollowEveryRun(t *testing.T) {
	d := MustOpenTestDB(t)
	db := d.open(t)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(5, 5))
	type live struct{ id, user, month string }
	var txns []live
	add := func() {
		user := userID(1 + r.IntN(6))
		date := []string{"2024-01-03", "2024-01-20", "2024-02-11", "2024-03-30", "2023-12-31"}[r.IntN(5)]
		typ := []string{"income", "expense"}[r.IntN(2)]
		id := d.addTxn(t, user, date, []string{"food", "rent", "fun"}[r.IntN(3)], typ, int64(1+r.IntN(10_000)))
		txns = append(txns, live{id, user, date[:7]})
	}
	for range 60 {
		add()
	}
	if _, err := db.Full(ctx, aggregator.RunOptions{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	d.checkFingerprints(t)
	for round := range 8 {
		for range 15 {
			if len(txns) > 0 && r.IntN(2) == 0 {
				i := r.IntN(len(txns))
				d.deleteTxn(t, txns[i].id, txns[i].user, txns[i].month)
				txns = append(txns[:i], txns[i+1:]...)
			} else {
				add()
			}
		}
		if round == 5 { // one user loses every transaction
			for i := 0; i < len(txns); i++ {
				if txns[i].user == userID(1) {
					d.deleteTxn(t, txns[i].id, txns[i].user, txns[i].month)
					txns = append(txns[:i], txns[i+1:]...)
					i--
				}
			}
		}
		if _, err := db.Incremental(ctx, aggregator.RunOptions{Workers: 3, BatchSize: 1 + r.IntN(3)}); err != nil {
			t.Fatal(err)
		}
		d.checkFingerprints(t)
		d.checkRollups(t, fmt.Sprintf("round %d", round))
	}
	// The fingerprints the incremental runs kept let a rebuild skip every user.
	before := d.rowVersions(t)
	full, err := db.Full(ctx, aggregator.RunOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if full.RollupsWritten != 0 || full.RollupsDeleted != 0 || full.RollupsKept != int64(len(before)) {
		t.Fatalf("full = %+v, want nothing written and %d kept", full, len(before))
	}
	if !reflect.DeepEqual(d.rowVersions(t), before) {
		t.Fatal("a rebuild over fingerprinted data rewrote rows")
	}
	d.checkFingerprints(t)
}

func TestFull_TrustsFingerprints(t *testing.T) {
	d := MustOpenTestDB(t)
	db := d.open(t)
	ctx := context.Background()
	d.seed(t, 3000, 12, 9)
	if _, err := db.Full(ctx, aggregator.RunOptions{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	d.checkFingerprints(t)
	alice, bob, carol := userID(1), userID(2), userID(3)
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := d.admin.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	// Damage alice's rows behind the aggregator's back: her fingerprint still
	// matches the recomputation, so a plain rebuild does not even read them.
	exec(`UPDATE ledger_monthlyrollup SET total_minor = total_minor + 1 WHERE id = (SELECT min(id) FROM ledger_monthlyrollup WHERE user_id = $1)`, alice)
	report, err := db.Full(ctx, aggregator.RunOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if report.RollupsWritten != 0 || report.RollupsCompared != 0 {
		t.Fatalf("report = %+v: a trusted user was read back or rewritten", report)
	}
	// Unknown (NULL) makes the next rebuild compare her rows.
	exec(`UPDATE ledger_rollupfingerprint SET digest = NULL, rollup_count = NULL WHERE user_id = $1`, alice)
	// A wrong digest does the same for bob, whose rows are right.
	exec(`UPDATE ledger_rollupfingerprint SET digest = digest # 1 WHERE user_id = $1`, bob)
	// Carol's transactions and transfers vanish without a dirty mark: her
	// stored fingerprint says she has rows, so they are deleted.
	var rechecked int64
	if err := d.admin.QueryRow(ctx, `SELECT count(*) FROM ledger_monthlyrollup WHERE user_id IN ($1, $2, $3)`, alice, bob, carol).Scan(&rechecked); err != nil {
		t.Fatal(err)
	}
	exec(`DELETE FROM ledger_transaction WHERE user_id = $1`, carol)
	exec(`DELETE FROM ledger_transfer WHERE user_id = $1`, carol)
	report, err = db.Full(ctx, aggregator.RunOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if report.RollupsWritten != 1 || report.RollupsDeleted == 0 || report.RollupsCompared != rechecked {
		t.Fatalf("report = %+v, want alice's row rewritten, carol's deleted, only their and bob's %d rows read back", report, rechecked)
	}
	d.checkRollups(t, "after the run")
	d.checkFingerprints(t)
	if _, ok := d.fingerprints(t)[carol]; ok {
		t.Fatal("carol's fingerprint row outlived her rollups")
	}

	// --verify trusts nothing: damage under a matching fingerprint is found.
	exec(`UPDATE ledger_monthlyrollup SET transaction_count = transaction_count + 1 WHERE id = (SELECT max(id) FROM ledger_monthlyrollup)`)
	exec(`INSERT INTO ledger_monthlyrollup (user_id, account_id, month, category, type, total_minor, transaction_count) VALUES ($1, $2, '1999-01', 'x', 'income', 1, 1)`, carol, accountOf(carol, 1))
	report, err = db.Full(ctx, aggregator.RunOptions{Workers: 2, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if report.RollupsWritten != 1 || report.RollupsDeleted != 1 {
		t.Fatalf("verify report = %+v, want 1 written and 1 deleted", report)
	}
	d.checkRollups(t, "after --verify")
	d.checkFingerprints(t)
}

func TestFingerprints_SurviveUserDeletion(t *testing.T) {
	d := MustOpenTestDB(t)
	db := d.open(t)
	ctx := context.Background()
	d.seed(t, 2000, 5, 11)
	if _, err := db.Full(ctx, aggregator.RunOptions{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	gone := userID(2)
	d.addTxn(t, gone, "2024-02-02", "food", "expense", 5) // leaves a dirty bucket behind
	d.addTxn(t, userID(3), "2024-02-02", "food", "expense", 7)
	if err := d.deleteUser(ctx, gone); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Incremental(ctx, aggregator.RunOptions{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	report, err := db.Full(ctx, aggregator.RunOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if report.RollupsWritten != 0 || report.RollupsDeleted != 0 || report.RollupsCompared != 0 {
		t.Fatalf("full after a deletion = %+v, want nothing read back or written", report)
	}
	d.checkRollups(t, "after the run")
	d.checkFingerprints(t)
	if _, ok := d.fingerprints(t)[gone]; ok {
		t.Fatal("the deleted user's fingerprint is back")
	}
}

func TestDB_ReconnectsAfterItsBackendIsTerminated(t *testing.T) {
	d := MustOpenTestDB(t)
	db := d.open(t)
	ctx := context.Background()
	d.addTxn(t, userID(1), "2024-03-03", "food", "expense", 100)
	if _, err := d.admin.Exec(ctx, `SELECT pg_terminate_backend($1)`, db.Conn().PgConn().PID()); err != nil {
		t.Fatal(err)
	}
	// As a --watch cycle after a server restart: the next run reconnects.
	report, err := db.Incremental(ctx, aggregator.RunOptions{Workers: 1})
	if err != nil {
		t.Fatalf("incremental after the backend was terminated: %v", err)
	}
	if report.BucketsUpdated != 1 {
		t.Fatalf("report = %+v, want the dirty bucket done", report)
	}
	if _, err := d.admin.Exec(ctx, `SELECT pg_terminate_backend($1)`, db.Conn().PgConn().PID()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Full(ctx, aggregator.RunOptions{Workers: 1}); err != nil {
		t.Fatalf("full after the backend was terminated: %v", err)
	}
	d.checkRollups(t, "after the run")
}

// A user deleted while a rebuild runs (after it read their transactions,
// before it writes) must not fail the rebuild: everyone else's rollups are
// written, the deleted user's are skipped.
func TestFull_UserDeletedBetweenReadAndWrite(t *testing.T) {
	d := MustOpenTestDB(t)
	db := d.open(t)
	ctx := context.Background()
	d.seed(t, 2000, 5, 12)
	gone := userID(4)
	db.BeforeWrite = func(ctx context.Context) error { return d.deleteUser(ctx, gone) }
	if _, err := db.Full(ctx, aggregator.RunOptions{Workers: 2}); err != nil {
		t.Fatalf("full with a user deleted mid-run: %v", err)
	}
	db.BeforeWrite = nil
	if got := d.rollupsOf(t, gone); len(got) != 0 {
		t.Fatalf("the deleted user has %d rollups", len(got))
	}
	d.checkRollups(t, "after the rebuild")
	d.checkFingerprints(t)
}

// deleteUser does what Django's cascade does when a user is deleted.
func (d *testDB) deleteUser(ctx context.Context, user string) error {
	return pgx.BeginFunc(ctx, d.admin, func(tx pgx.Tx) error {
		for _, table := range []string{"ledger_transaction", "ledger_transfer", "ledger_dirtybucket", "ledger_monthlyrollup", "ledger_rollupfingerprint", "ledger_account", "accounts_user"} {
			column := "user_id"
			if table == "accounts_user" {
				column = "id"
			}
			if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE `+column+` = $1`, user); err != nil {
				return err
			}
		}
		return nil
	})
}
