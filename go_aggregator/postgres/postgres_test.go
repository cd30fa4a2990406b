package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	aggregator "finance/go_aggregator"
	"finance/go_aggregator/internal/testschema"
	"finance/go_aggregator/postgres"
)

// insertUserSQL adds a user with every column accounts_user requires.
var insertUserSQL = `INSERT INTO accounts_user (` + testschema.UserColumns + `) VALUES (` +
	testschema.UserValues("$1::text::uuid", "$1::text") + `) ON CONFLICT DO NOTHING`

// insertAccountSQL adds account $1 of user $2 (a user has a few: accountOf).
const insertAccountSQL = `INSERT INTO ledger_account (id, user_id, name, name_key, kind, currency, opening_balance_minor, is_default, archived, created_at, updated_at)
VALUES ($1::text::uuid, $2, $1::text, $1::text, 'checking', 'USD', 0, false, false, now(), now()) ON CONFLICT DO NOTHING`

// markDirtySQL is exactly what the API runs for every affected bucket.
const markDirtySQL = `INSERT INTO ledger_dirtybucket (user_id, month, generation, marked_at) VALUES ($1, $2, 1, now())
ON CONFLICT (user_id, month) DO UPDATE SET generation = ledger_dirtybucket.generation + 1, marked_at = excluded.marked_at`

// testDB is one test's private schema.
type testDB struct {
	url   string    // TEST_POSTGRES_URL with search_path set to the schema
	admin *pgx.Conn // a connection of its own, standing in for the API
}

// MustOpenTestDB creates a schema with Django's tables (testschema) for this test only. Without
// TEST_POSTGRES_URL the test is skipped, unless REQUIRE_POSTGRES=1 (CI).
func MustOpenTestDB(tb testing.TB) *testDB {
	tb.Helper()
	base := os.Getenv("TEST_POSTGRES_URL")
	if base == "" {
		if os.Getenv("REQUIRE_POSTGRES") == "1" {
			tb.Fatal("TEST_POSTGRES_URL is unset but REQUIRE_POSTGRES=1")
		}
		tb.Skip("TEST_POSTGRES_URL is unset")
	}
	ctx := context.Background()
	schema := fmt.Sprintf("goagg_%d_%d", os.Getpid(), rand.Uint32())
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	url := base + sep + "search_path=" + schema
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema+"; SET search_path = "+schema+";"+testschema.Postgres(tb)); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close(context.Background())
	})
	return &testDB{url: url, admin: admin}
}

// open returns a new aggregator connection to the test schema.
func (d *testDB) open(tb testing.TB) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), d.url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func userID(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012x", n) }

// accountOf is account k (0..999) of user: the seeded users have 0, 1 and 2.
func accountOf(user string, k int) string {
	return fmt.Sprintf("00000000-0000-4000-a%03d-%s", k, user[24:])
}

// addTxn inserts a transaction into the user's first account and marks its
// bucket dirty in one transaction, as the API does.
func (d *testDB) addTxn(tb testing.TB, user, date, category, typ string, amount int64) string {
	tb.Helper()
	return d.addTxnTo(tb, accountOf(user, 0), user, date, category, typ, amount)
}

// addTxnTo is addTxn into the given account of the user.
func (d *testDB) addTxnTo(tb testing.TB, account, user, date, category, typ string, amount int64) string {
	tb.Helper()
	return d.insertEntry(tb, user, date, []string{account}, `INSERT INTO ledger_transaction (id, account_id, amount_minor, type, description, category, category_key, date, created_at, updated_at, user_id)
		VALUES (gen_random_uuid(), $6, $1, $2, '', $3::text, lower($3::text), $4, now(), now(), $5) RETURNING id::text`, amount, typ, category, date, user, account)
}

// insertEntry runs insert (RETURNING the new row's id) and marks the month
// of date dirty, in one transaction, as the API does; it creates the user and
// the accounts first if need be.
func (d *testDB) insertEntry(tb testing.TB, user, date string, accounts []string, insert string, args ...any) string {
	tb.Helper()
	ctx := context.Background()
	var id string
	err := pgx.BeginFunc(ctx, d.admin, func(tx pgx.Tx) error {
		if err := ensureAccounts(ctx, tx, user, accounts...); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, insert, args...).Scan(&id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, markDirtySQL, user, date[:7])
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

// ensureAccounts creates the user and the user's accounts if need be.
func ensureAccounts(ctx context.Context, tx pgx.Tx, user string, accounts ...string) error {
	if _, err := tx.Exec(ctx, insertUserSQL, user); err != nil {
		return err
	}
	for _, account := range accounts {
		if _, err := tx.Exec(ctx, insertAccountSQL, account, user); err != nil {
			return err
		}
	}
	return nil
}

// addTransfer inserts a transfer (amount out of from, toAmount into to) and
// marks its bucket dirty in one transaction, as the API does.
func (d *testDB) addTransfer(tb testing.TB, user, from, to, date string, amount, toAmount int64) string {
	tb.Helper()
	return d.insertEntry(tb, user, date, []string{from, to}, `INSERT INTO ledger_transfer (id, user_id, from_account_id, to_account_id, amount_minor, to_amount_minor, date, description, created_at, updated_at)
		VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, '', now(), now()) RETURNING id::text`, user, from, to, amount, toAmount, date)
}

// updateTransfer changes a transfer's accounts, amounts and date and marks
// its old and new months dirty, as the API does.
func (d *testDB) updateTransfer(tb testing.TB, id, from, to, date string, amount, toAmount int64) {
	tb.Helper()
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, d.admin, func(tx pgx.Tx) error {
		var user, oldMonth string
		if err := tx.QueryRow(ctx, `SELECT user_id::text, to_char(date, 'YYYY-MM') FROM ledger_transfer WHERE id = $1 FOR UPDATE`, id).Scan(&user, &oldMonth); err != nil {
			return err
		}
		if err := ensureAccounts(ctx, tx, user, from, to); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE ledger_transfer SET from_account_id = $2, to_account_id = $3, date = $4, amount_minor = $5, to_amount_minor = $6, updated_at = now() WHERE id = $1`,
			id, from, to, date, amount, toAmount); err != nil {
			return err
		}
		for _, month := range []string{oldMonth, date[:7]} {
			if _, err := tx.Exec(ctx, markDirtySQL, user, month); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// markDirty marks a bucket dirty, as the API does on every write.
func (d *testDB) markDirty(tb testing.TB, user, month string) {
	tb.Helper()
	if _, err := d.admin.Exec(context.Background(), markDirtySQL, user, month); err != nil {
		tb.Fatal(err)
	}
}

func (d *testDB) deleteTxn(tb testing.TB, id, user, month string) {
	tb.Helper()
	d.deleteEntry(tb, "ledger_transaction", id, user, month)
}

// deleteEntry deletes a row of ledger_transaction or ledger_transfer and
// marks its month dirty.
func (d *testDB) deleteEntry(tb testing.TB, table, id, user, month string) {
	tb.Helper()
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, d.admin, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE id = $1`, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, markDirtySQL, user, month)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func scanRollups(tb testing.TB, conn *pgx.Conn, sql string, args ...any) []aggregator.Rollup {
	tb.Helper()
	rows, err := conn.Query(context.Background(), sql, args...)
	if err != nil {
		tb.Fatal(err)
	}
	out := []aggregator.Rollup{}
	var r aggregator.Rollup
	if _, err := pgx.ForEachRow(rows, []any{&r.UserID, &r.Month, &r.AccountID, &r.Category, &r.Type, &r.TotalMinor, &r.TransactionCount}, func() error {
		out = append(out, r)
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return out
}

func (d *testDB) rollups(tb testing.TB) []aggregator.Rollup {
	return d.rollupsExcept(tb)
}

// rollupsExcept returns the stored rollups of every user but except.
func (d *testDB) rollupsExcept(tb testing.TB, except ...string) []aggregator.Rollup {
	return scanRollups(tb, d.admin, `SELECT user_id::text, month, account_id::text, category, type, total_minor, transaction_count
		FROM ledger_monthlyrollup WHERE user_id::text <> ALL($1) ORDER BY user_id, month, account_id, category COLLATE "C", type`, append([]string{}, except...))
}

// rollupsOf returns the stored rollups of one user.
func (d *testDB) rollupsOf(tb testing.TB, user string) []aggregator.Rollup {
	return scanRollups(tb, d.admin, `SELECT user_id::text, month, account_id::text, category, type, total_minor, transaction_count
		FROM ledger_monthlyrollup WHERE user_id = $1 ORDER BY user_id, month, account_id, category COLLATE "C", type`, user)
}

// checkRollups fails the test unless the stored rollups of every user but
// except equal the SQL oracle.
func (d *testDB) checkRollups(tb testing.TB, when string, except ...string) {
	tb.Helper()
	got, want := d.rollupsExcept(tb, except...), d.expectedExcept(tb, except...)
	if reflect.DeepEqual(got, want) {
		return
	}
	if len(got)+len(want) <= 40 {
		tb.Fatalf("%s: rollups = %+v, want %+v", when, got, want)
	}
	tb.Fatalf("%s: rollups differ from the SQL oracle (%d rows, want %d)", when, len(got), len(want))
}

// expected computes the rollups with SQL as an independent oracle.
func (d *testDB) expected(tb testing.TB) []aggregator.Rollup {
	return d.expectedExcept(tb)
}

// expectedExcept is the oracle for every user but except (whose rows may
// sum past bigint, or carry dates no "YYYY-MM" names): the transactions per
// account, category and type, and each transfer's two legs.
func (d *testDB) expectedExcept(tb testing.TB, except ...string) []aggregator.Rollup {
	return scanRollups(tb, d.admin, `
		SELECT user_id::text, to_char(date, 'YYYY-MM'), account_id::text, category, type, SUM(amount)::bigint, COUNT(*)
		FROM (
		  SELECT user_id, date, account_id, category_key AS category, type::text, amount_minor AS amount FROM ledger_transaction
		  UNION ALL
		  SELECT user_id, date, from_account_id, '', 'transfer_out', amount_minor FROM ledger_transfer
		  UNION ALL
		  SELECT user_id, date, to_account_id, '', 'transfer_in', to_amount_minor FROM ledger_transfer) e
		WHERE user_id::text <> ALL($1) GROUP BY 1, 2, 3, 4, 5 ORDER BY user_id, 2, account_id, category COLLATE "C", type`, append([]string{}, except...))
}

func (d *testDB) dirty(tb testing.TB) []aggregator.DirtyBucket {
	tb.Helper()
	rows, err := d.admin.Query(context.Background(), `SELECT user_id::text, month, generation FROM ledger_dirtybucket ORDER BY 1, 2`)
	if err != nil {
		tb.Fatal(err)
	}
	out := []aggregator.DirtyBucket{}
	var b aggregator.DirtyBucket
	if _, err := pgx.ForEachRow(rows, []any{&b.UserID, &b.Month, &b.Generation}, func() error {
		out = append(out, b)
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return out
}

// seed bulk-inserts n random transactions over users users (three accounts
// each) and 12 months, and n/5 transfers between two accounts of a user whose
// arriving amount differs from the leaving one (other currencies), and marks
// every touched bucket dirty.
func (d *testDB) seed(tb testing.TB, n, users int, seed int64) {
	tb.Helper()
	ctx := context.Background()
	_, err := d.admin.Exec(ctx, fmt.Sprintf(`
		SELECT setseed(%f);
		INSERT INTO accounts_user (`+testschema.UserColumns+`)
		  SELECT `+testschema.UserValues("u.id", "u.id::text")+`
		  FROM (SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid AS id FROM generate_series(1, %[2]d) g) u
		  ON CONFLICT DO NOTHING;
		INSERT INTO ledger_account (id, user_id, name, name_key, kind, currency, opening_balance_minor, is_default, archived, created_at, updated_at)
		  SELECT a.id, a.user_id, a.id::text, a.id::text, 'checking', (ARRAY['USD', 'EUR', 'JPY'])[k + 1], 0, k = 0, false, now(), now()
		  FROM (SELECT ('00000000-0000-4000-a00' || k || '-' || lpad(to_hex(g), 12, '0'))::uuid AS id,
		               ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid AS user_id, k
		        FROM generate_series(1, %[2]d) g, generate_series(0, 2) k) a
		  ON CONFLICT DO NOTHING;
		INSERT INTO ledger_transaction (id, account_id, amount_minor, type, description, category, category_key, date, created_at, updated_at, user_id)
		  SELECT gen_random_uuid(), ('00000000-0000-4000-a00' || s.k || '-' || lpad(to_hex(s.u), 12, '0'))::uuid,
		         1 + floor(random() * 1000000)::bigint,
		         (ARRAY['income', 'expense'])[1 + floor(random() * 2)::int], '', s.category, s.category,
		         date '2024-01-01' + floor(random() * 366)::int, now(), now(),
		         ('00000000-0000-4000-8000-' || lpad(to_hex(s.u), 12, '0'))::uuid
		  FROM (SELECT (ARRAY['food', 'rent', 'fun', 'salary', 'travel'])[1 + floor(random() * 5)::int] AS category,
		               1 + floor(random() * %[2]d)::int AS u, floor(random() * 3)::int AS k
		        FROM generate_series(1, %[3]d)) s;
		INSERT INTO ledger_transfer (id, user_id, from_account_id, to_account_id, amount_minor, to_amount_minor, date, description, created_at, updated_at)
		  SELECT gen_random_uuid(), ('00000000-0000-4000-8000-' || lpad(to_hex(s.u), 12, '0'))::uuid,
		         ('00000000-0000-4000-a00' || s.k || '-' || lpad(to_hex(s.u), 12, '0'))::uuid,
		         ('00000000-0000-4000-a00' || (s.k + s.step) %% 3 || '-' || lpad(to_hex(s.u), 12, '0'))::uuid,
		         s.amount, s.amount * (1 + floor(random() * 3)::bigint) + floor(random() * 100)::bigint,
		         date '2024-01-01' + floor(random() * 366)::int, '', now(), now()
		  FROM (SELECT 1 + floor(random() * %[2]d)::int AS u, floor(random() * 3)::int AS k, 1 + floor(random() * 2)::int AS step,
		               1 + floor(random() * 1000000)::bigint AS amount
		        FROM generate_series(1, %[3]d / 5)) s;
		INSERT INTO ledger_dirtybucket (user_id, month, generation, marked_at)
		  SELECT DISTINCT user_id, to_char(date, 'YYYY-MM'), 1, now()
		  FROM (SELECT user_id, date FROM ledger_transaction UNION ALL SELECT user_id, date FROM ledger_transfer) e
		  ON CONFLICT (user_id, month) DO UPDATE SET generation = ledger_dirtybucket.generation + 1;`,
		float64(seed%100)/100, users, n))
	if err != nil {
		tb.Fatal(err)
	}
}

var opts = aggregator.RunOptions{Workers: 3, BatchSize: 2}

func TestIncremental_RecomputesOnlyDirtyBuckets(t *testing.T) {
	d := MustOpenTestDB(t)
	db := d.open(t)
	ctx := context.Background()
	alice, bob := userID(1), userID(2)
	d.addTxn(t, alice, "2024-01-10", "food", "expense", 1250)
	d.addTxn(t, alice, "2024-01-11", "food", "expense", 750)
	d.addTxn(t, alice, "2024-02-01", "salary", "income", 500000)
	d.addTxn(t, bob, "2024-01-31", "rent", "expense", 90000)
	report, err := db.Incremental(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if report.RowsRead != 4 || report.BucketsUpdated != 3 || report.RollupsWritten != 3 || report.Mode != aggregator.ModeIncremental {
		t.Fatalf("report = %+v", report)
	}
	d.checkRollups(t, "after the run")
	if got := d.dirty(t); len(got) != 0 {
		t.Fatalf("dirty = %+v, want none", got)
	}

	// Tamper with a clean bucket: a run must not touch it.
	if _, err := d.admin.Exec(ctx, `UPDATE ledger_monthlyrollup SET total_minor = 1 WHERE user_id = $1`, bob); err != nil {
		t.Fatal(err)
	}
	d.addTxn(t, alice, "2024-02-15", "salary", "income", 1)
	report, err = db.Incremental(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if report.BucketsUpdated != 1 || report.RowsRead != 2 || report.RollupsWritten != 1 {
		t.Fatalf("report = %+v, want one bucket with two rows", report)
	}
	want := []aggregator.Rollup{
		{UserID: alice, Month: "2024-01", AccountID: accountOf(alice, 0), Category: "food", Type: "expense", TotalMinor: 2000, TransactionCount: 2},
		{UserID: alice, Month: "2024-02", AccountID: accountOf(alice, 0), Category: "salary", Type: "income", TotalMinor: 500001, TransactionCount: 2},
		{UserID: bob, Month: "2024-01", AccountID: accountOf(bob, 0), Category: "rent", Type: "expense", TotalMinor: 1, TransactionCount: 1},
	}
	if got := d.rollups(t); !reflect.DeepEqual(got, want) {
		t.Fatalf("rollups = %+v\nwant %+v", got, want)
	}
}

func TestIncremental_CategoryThatDisappearedVanishes(t *testing.T) {
	d := MustOpenTestDB(t)
	db := d.open(t)
	ctx := context.Background()
	alice := userID(1)
	id := d.addTxn(t, alice, "2024-03-03", "food", "expense", 100)
	d.addTxn(t, alice, "2024-04-03", "food", "expense", 100)
	if _, err := db.Incremental(ctx, opts); err != nil {
		t.Fatal(err)
	}
	d.deleteTxn(t, id, alice, "2024-03")
	if _, err := db.Incremental(ctx, opts); err != nil {
		t.Fatal(err)
	}
	want := []aggregator.Rollup{{UserID: alice, Month: "2024-04", AccountID: accountOf(alice, 0), Category: "food", Type: "expense", TotalMinor: 100, TransactionCount: 1}}
	if got := d.rollups(t); !reflect.DeepEqual(got, want) {
		t.Fatalf("rollups = %+v, want %+v", got, want)
	}
}

func TestIncremental_GenerationBumpedDuringRunStaysDirty(t *testing.T) {
	d := MustOpenTestDB(t)
	db := d.open(t)
	ctx := context.Background()
	alice, bob := userID(1), userID(2)
	d.addTxn(t, alice, "2024-05-01", "food", "expense", 10)
	d.addTxn(t, bob, "2024-05-01", "food", "expense", 20)
	db.AfterClaim = func(ctx context.Context, tx pgx.Tx, claimed []aggregator.DirtyBucket) error {
		for _, b := range claimed {
			if b.UserID == alice {
				if _, err := tx.Exec(ctx, markDirtySQL, alice, "2024-05"); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if _, err := db.Incremental(ctx, opts); err != nil {
		t.Fatal(err)
	}
	want := []aggregator.DirtyBucket{{Bucket: aggregator.Bucket{UserID: alice, Month: "2024-05"}, Generation: 2}}
	if got := d.dirty(t); !reflect.DeepEqual(got, want) {
		t.Fatalf("dirty = %+v, want %+v", got, want)
	}
	db.AfterClaim = nil
	if _, err := db.Incremental(ctx, opts); err != nil {
		t.Fatal(err)
	}
	if got := d.dirty(t); len(got) != 0 {
		t.Fatalf("dirty = %+v, want none", got)
	}
}

func TestFull_EqualsIncremental(t *testing.T) {
	d := MustOpenTestDB(t)
	db := d.open(t)
	ctx := context.Background()
	d.seed(t, 20000, 50, 1)
	inc, err := db.Incremental(ctx, aggregator.RunOptions{Workers: 4, BatchSize: 97})
	if err != nil {
		t.Fatal(err)
	}
	afterIncremental := d.rollups(t)
	if want := d.expected(t); !reflect.DeepEqual(afterIncremental, want) {
		t.Fatal("incremental rollups differ from the SQL oracle")
	}
	// A stray row behind the aggregator's back: only --verify looks past
	// the fingerprints.
	if _, err := d.admin.Exec(ctx, `INSERT INTO ledger_monthlyrollup (user_id, account_id, month, category, type, total_minor, transaction_count) VALUES ($1, $2, '1999-01', 'x', 'income', 1, 1)`, userID(1), accountOf(userID(1), 0)); err != nil {
		t.Fatal(err)
	}
	full, err := db.Full(ctx, aggregator.RunOptions{Workers: 2, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.rollups(t); !reflect.DeepEqual(got, afterIncremental) {
		t.Fatal("full rollups differ from incremental")
	}
	// Only the stray row differs from what the incremental run left.
	if full.RowsRead != 24000 || inc.RowsRead != 24000 || full.RollupsWritten != 0 || full.RollupsDeleted != 1 ||
		full.RollupsKept != int64(len(afterIncremental)) || inc.RollupsWritten != int64(len(afterIncremental)) {
		t.Fatalf("full = %+v, incremental = %+v", full, inc)
	}
	if got := d.dirty(t); len(got) != 0 {
		t.Fatalf("dirty = %d rows, want none", len(got))
	}
}

func TestFull_KeepsBucketsDirtiedAfterSnapshot(t *testing.T) {
	d := MustOpenTestDB(t)
	db := d.open(t)
	ctx := context.Background()
	alice, bob := userID(1), userID(2)
	d.addTxn(t, alice, "2024-05-01", "food", "expense", 10)
	d.addTxn(t, bob, "2024-06-01", "food", "expense", 20)
	// Full does not claim row by row; the hook runs in its write transaction,
	// and the API's write comes from another connection.
	db.AfterClaim = func(ctx context.Context, tx pgx.Tx, claimed []aggregator.DirtyBucket) error {
		d.addTxn(t, bob, "2024-06-02", "food", "expense", 5)
		return nil
	}
	if _, err := db.Full(ctx, opts); err != nil {
		t.Fatal(err)
	}
	want := []aggregator.DirtyBucket{{Bucket: aggregator.Bucket{UserID: bob, Month: "2024-06"}, Generation: 2}}
	if got := d.dirty(t); !reflect.DeepEqual(got, want) {
		t.Fatalf("dirty = %+v, want %+v", got, want)
	}
	db.AfterClaim = nil
	if _, err := db.Incremental(ctx, opts); err != nil {
		t.Fatal(err)
	}
	d.checkRollups(t, "after the run")
}

func TestCheckSchema(t *testing.T) {
	tests := []struct {
		name  string
		alter string
		want  string
	}{
		{"complete", ``, ``},
		{"missing table", `DROP TABLE ledger_monthlyrollup`, `database schema is missing ledger_monthlyrollup: run "python manage.py migrate" first`},
		{"missing column", `ALTER TABLE ledger_dirtybucket DROP COLUMN generation`, `database schema is missing ledger_dirtybucket.generation: run "python manage.py migrate" first`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := MustOpenTestDB(t)
			if tt.alter != "" {
				if _, err := d.admin.Exec(context.Background(), tt.alter); err != nil {
					t.Fatal(err)
				}
			}
			err := d.open(t).CheckSchema(context.Background())
			if got := aggregator.ErrorMessage(err); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestOpen_Unreachable(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=2")
	if aggregator.ErrorCode(err) != aggregator.EUNAVAILABLE {
		t.Fatalf("err = %v, want unavailable", err)
	}
}

// Two aggregators (and API writes) at once: no bucket is claimed twice and
// the final rollups are exact.
func TestIncremental_TwoAggregatorsConcurrently(t *testing.T) {
	d := MustOpenTestDB(t)
	ctx := context.Background()
	d.seed(t, 20000, 200, 2) // 20,000 transactions and 4,000 transfers
	dirtyBefore := int64(len(d.dirty(t)))
	a, b := d.open(t), d.open(t)

	var wg sync.WaitGroup
	reports := make([]aggregator.RunReport, 2)
	errs := make([]error, 2)
	for i, db := range []*postgres.DB{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reports[i], errs[i] = db.Incremental(ctx, aggregator.RunOptions{Workers: 2, BatchSize: 25})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := reports[0].BucketsUpdated + reports[1].BucketsUpdated; got != dirtyBefore {
		t.Fatalf("buckets updated = %d + %d, want %d in total (each once)", reports[0].BucketsUpdated, reports[1].BucketsUpdated, dirtyBefore)
	}
	if got := reports[0].RowsRead + reports[1].RowsRead; got != 24000 {
		t.Fatalf("rows read = %d, want 24000", got)
	}
	d.checkRollups(t, "after the run")

	// Now with API writes and a full rebuild racing two incremental loops.
	writer := make(chan error, 1)
	go func() {
		conn, err := pgx.Connect(ctx, d.url)
		if err != nil {
			writer <- err
			return
		}
		defer conn.Close(ctx)
		r := rand.New(rand.NewPCG(3, 3))
		for i := 0; i < 300; i++ {
			user := userID(1 + r.IntN(200))
			date := fmt.Sprintf("2024-%02d-%02d", 1+r.IntN(12), 1+r.IntN(28))
			k := r.IntN(3)
			err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
				var err error
				if i%3 == 0 { // every third write is a transfer
					_, err = tx.Exec(ctx, `INSERT INTO ledger_transfer (id, user_id, from_account_id, to_account_id, amount_minor, to_amount_minor, date, description, created_at, updated_at)
						VALUES (gen_random_uuid(), $1, $2, $3, $4::bigint, $4::bigint * 2, $5, '', now(), now())`, user, accountOf(user, k), accountOf(user, (k+1)%3), 1+r.IntN(5000), date)
				} else {
					_, err = tx.Exec(ctx, `INSERT INTO ledger_transaction (id, account_id, amount_minor, type, description, category, category_key, date, created_at, updated_at, user_id)
						VALUES (gen_random_uuid(), $4, $1, 'expense', '', 'food', 'food', $2, now(), now(), $3)`, 1+r.IntN(5000), date, user, accountOf(user, k))
				}
				if err != nil {
					return err
				}
				_, err = tx.Exec(ctx, markDirtySQL, user, date[:7])
				return err
			})
			if err != nil {
				writer <- err
				return
			}
		}
		writer <- nil
	}()
	stop := make(chan struct{})
	loopErrs := make(chan error, 3)
	for i, db := range []*postgres.DB{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					loopErrs <- nil
					return
				default:
				}
				var err error
				if i == 1 {
					_, err = db.Full(ctx, aggregator.RunOptions{Workers: 2})
				}
				if err == nil {
					_, err = db.Incremental(ctx, aggregator.RunOptions{Workers: 2, BatchSize: 7})
				}
				if err != nil {
					loopErrs <- err
					return
				}
			}
		}()
	}
	if err := <-writer; err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	close(loopErrs)
	for err := range loopErrs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Incremental(ctx, opts); err != nil {
		t.Fatal(err)
	}
	if got := d.dirty(t); len(got) != 0 {
		t.Fatalf("dirty = %d rows after the last run, want none", len(got))
	}
	d.checkRollups(t, "after concurrent writes")
	d.checkFingerprints(t)
	// What the concurrent runs left is what a rebuild trusting nothing finds.
	full, err := a.Full(ctx, aggregator.RunOptions{Workers: 2, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	if full.RollupsWritten != 0 || full.RollupsDeleted != 0 {
		t.Fatalf("verify after concurrent runs = %+v, want nothing to repair", full)
	}
}

// rowVersions maps each rollup id to its xmin: a row rewritten (updated,
// or deleted and re-inserted) gets a new one.
func (d *testDB) rowVersions(tb testing.TB) map[int64]string {
	tb.Helper()
	rows, err := d.admin.Query(context.Background(), `SELECT id, xmin::text FROM ledger_monthlyrollup`)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[int64]string{}
	var id int64
	var xmin string
	if _, err := pgx.ForEachRow(rows, []any{&id, &xmin}, func() error {
		out[id] = xmin
		return nil
	}); err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestFull_OverUnchangedDataWritesNothing(t *testing.T) {
	d := MustOpenTestDB(t)
	db := d.open(t)
	ctx := context.Background()
	d.seed(t, 5000, 20, 3)
	first, err := db.Full(ctx, aggregator.RunOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	before := d.rowVersions(t)
	if first.RollupsWritten != int64(len(before)) || first.RollupsKept != 0 {
		t.Fatalf("first full = %+v, want %d rows written", first, len(before))
	}
	again, err := db.Full(ctx, aggregator.RunOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if again.RollupsWritten != 0 || again.RollupsDeleted != 0 || again.RollupsKept != int64(len(before)) {
		t.Fatalf("second full = %+v, want nothing written", again)
	}
	if got := d.rowVersions(t); !reflect.DeepEqual(got, before) {
		t.Fatal("a rebuild over unchanged data rewrote rows")
	}
	d.checkRollups(t, "after the run")
}

// TestFull_WritesOnlyTheDifference damages rows behind the aggregator's
// back, which only --verify is meant to find (see TestFull_TrustsFingerprints).
func TestFull_WritesOnlyTheDifference(t *testing.T) {
	d := MustOpenTestDB(t)
	db := d.open(t)
	ctx := context.Background()
	d.seed(t, 5000, 20, 4)
	if _, err := db.Full(ctx, aggregator.RunOptions{Workers: 2}); err != nil {
		t.Fatal(err)
	}
	// Damage the table behind the aggregator's back: one wrong total, one
	// wrong count, one missing row and one row of a key with no transactions.
	var changed1, changed2, missing int64
	err := d.admin.QueryRow(ctx, `SELECT min(id), max(id) FROM ledger_monthlyrollup`).Scan(&changed1, &changed2)
	if err != nil {
		t.Fatal(err)
	}
	err = d.admin.QueryRow(ctx, `SELECT min(id) FROM ledger_monthlyrollup WHERE id > $1`, changed1).Scan(&missing)
	if err != nil {
		t.Fatal(err)
	}
	for _, damage := range []struct {
		sql string
		arg any
	}{
		{`UPDATE ledger_monthlyrollup SET total_minor = total_minor + 1 WHERE id = $1`, changed1},
		{`UPDATE ledger_monthlyrollup SET transaction_count = transaction_count + 7 WHERE id = $1`, changed2},
		{`DELETE FROM ledger_monthlyrollup WHERE id = $1`, missing},
		{`INSERT INTO ledger_monthlyrollup (user_id, account_id, month, category, type, total_minor, transaction_count)
		  VALUES ($1::text::uuid, replace($1::text, '-8000-', '-a002-')::uuid, '2024-05', 'vanished', 'expense', 5, 1)`, userID(1)},
	} {
		if _, err := d.admin.Exec(ctx, damage.sql, damage.arg); err != nil {
			t.Fatal(err)
		}
	}
	before := d.rowVersions(t)
	report, err := db.Full(ctx, aggregator.RunOptions{Workers: 2, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	after := d.rowVersions(t)
	if report.RollupsWritten != 3 || report.RollupsDeleted != 1 || report.RollupsKept != int64(len(after)-3) {
		t.Fatalf("report = %+v, want 3 written (2 updated, 1 inserted), 1 deleted, %d unchanged", report, len(after)-3)
	}
	d.checkRollups(t, "after the run")
	rewritten := 0
	for id, xmin := range after {
		if old, ok := before[id]; ok && old != xmin {
			rewritten++
			if id != changed1 && id != changed2 {
				t.Errorf("unchanged rollup %d was rewritten", id)
			}
		}
	}
	if rewritten != 2 {
		t.Fatalf("%d rows updated in place, want 2", rewritten)
	}
}

func TestIncremental_WritesOnlyChangedRollups(t *testing.T) {
	d := MustOpenTestDB(t)
	db := d.open(t)
	ctx := context.Background()
	alice := userID(1)
	d.addTxn(t, alice, "2024-01-10", "food", "expense", 1250)
	d.addTxn(t, alice, "2024-01-11", "rent", "expense", 90000)
	d.addTxn(t, alice, "2024-01-12", "salary", "income", 300000)
	if _, err := db.Incremental(ctx, opts); err != nil {
		t.Fatal(err)
	}
	before := d.rowVersions(t)
	d.addTxn(t, alice, "2024-01-20", "food", "expense", 50)
	report, err := db.Incremental(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if report.BucketsUpdated != 1 || report.RollupsWritten != 1 || report.RollupsKept != 2 || report.RollupsDeleted != 0 {
		t.Fatalf("report = %+v, want 1 bucket, 1 rollup written, 2 unchanged", report)
	}
	after := d.rowVersions(t)
	changed := 0
	for id, xmin := range after {
		if before[id] != xmin {
			changed++
		}
	}
	if changed != 1 || len(after) != len(before) {
		t.Fatalf("%d of %d rows rewritten, want 1", changed, len(after))
	}
	d.checkRollups(t, "after the run")
}

// BenchmarkFull_UnchangedData is --full in its steady state: a rebuild over
// data it has already rolled up (read, aggregate, compare, write nothing).
//
//	TEST_POSTGRES_URL=postgres://... go test -run X -bench Full_UnchangedData -benchtime 3x ./postgres/
func BenchmarkFull_UnchangedData(b *testing.B) {
	d := MustOpenTestDB(b)
	db := d.open(b)
	ctx := context.Background()
	d.seed(b, 1_000_000, 10_000, 7)
	if _, err := db.Full(ctx, aggregator.RunOptions{Workers: 2}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		report, err := db.Full(ctx, aggregator.RunOptions{Workers: 2})
		if err != nil {
			b.Fatal(err)
		}
		if report.RollupsWritten != 0 || report.RollupsDeleted != 0 {
			b.Fatalf("report = %+v, want nothing written", report)
		}
	}
}
