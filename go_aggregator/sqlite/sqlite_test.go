package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"

	aggregator "finance/go_aggregator"
	"finance/go_aggregator/internal/testschema"
	"finance/go_aggregator/sqlite"
)

// insertUserSQL adds a user with every column accounts_user requires.
var insertUserSQL = `INSERT OR IGNORE INTO accounts_user (` + testschema.UserColumns + `) VALUES (` + testschema.UserValues("?1", "?1") + `)`

// markDirtySQL is exactly what the API runs for every affected bucket.
const markDirtySQL = `INSERT INTO ledger_dirtybucket (user_id, month, generation, marked_at) VALUES (?, ?, 1, datetime('now'))
ON CONFLICT (user_id, month) DO UPDATE SET generation = ledger_dirtybucket.generation + 1, marked_at = excluded.marked_at`

// MustOpenDB creates a SQLite file with Django's tables (testschema) in a temp dir and opens it.
func MustOpenDB(tb testing.TB) *sqlite.DB {
	tb.Helper()
	return mustOpen(tb, mustCreateDB(tb))
}

// mustCreateDB creates a database file with Django's tables (testschema)
// and returns its path.
func mustCreateDB(tb testing.TB) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "db.sqlite3")
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := raw.Exec(testschema.SQLite(tb)); err != nil {
		tb.Fatal(err)
	}
	raw.Close()
	return path
}

// mustOpen opens a connection of its own to the database file at path,
// closed when the test ends.
func mustOpen(tb testing.TB, path string) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

var txnSeq int

// accountOf is account k (0..99) of user, in the 32-hex form Django stores.
func accountOf(user string, k int) string { return fmt.Sprintf("a%02d%s", k, user[3:]) }

// addTxn inserts a transaction into the user's first account and marks its
// bucket dirty, as the API does.
func addTxn(tb testing.TB, db execer, user, date, category, typ string, amount int64) string {
	tb.Helper()
	return addTxnTo(tb, db, accountOf(user, 0), user, date, category, typ, amount)
}

// addTxnTo is addTxn into the given account of the user.
func addTxnTo(tb testing.TB, db execer, account, user, date, category, typ string, amount int64) string {
	tb.Helper()
	txnSeq++
	id := fmt.Sprintf("%032x", txnSeq)
	ctx := context.Background()
	ensureAccounts(tb, db, user, account)
	if _, err := db.ExecContext(ctx, `INSERT INTO ledger_transaction (id, account_id, amount_minor, type, description, category, category_key, date, created_at, updated_at, user_id)
		VALUES (?, ?, ?, ?, '', ?, lower(?), ?, datetime('now'), datetime('now'), ?)`, id, account, amount, typ, category, category, date, user); err != nil {
		tb.Fatal(err)
	}
	markDirty(tb, db, user, date[:7])
	return id
}

// ensureAccounts creates the user and the user's accounts if need be.
func ensureAccounts(tb testing.TB, db execer, user string, accounts ...string) {
	tb.Helper()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, insertUserSQL, user); err != nil {
		tb.Fatal(err)
	}
	for _, account := range accounts {
		if _, err := db.ExecContext(ctx, `INSERT OR IGNORE INTO ledger_account (id, user_id, name, name_key, kind, currency, opening_balance_minor, is_default, archived, created_at, updated_at)
			VALUES (?1, ?2, ?1, ?1, 'checking', 'USD', 0, false, false, datetime('now'), datetime('now'))`, account, user); err != nil {
			tb.Fatal(err)
		}
	}
}

// addTransfer inserts a transfer (amount out of from, toAmount into to) and
// marks its bucket dirty, as the API does.
func addTransfer(tb testing.TB, db execer, user, from, to, date string, amount, toAmount int64) string {
	tb.Helper()
	txnSeq++
	id := fmt.Sprintf("%032x", txnSeq)
	ensureAccounts(tb, db, user, from, to)
	if _, err := db.ExecContext(context.Background(), `INSERT INTO ledger_transfer (id, user_id, from_account_id, to_account_id, amount_minor, to_amount_minor, date, description, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, '', datetime('now'), datetime('now'))`, id, user, from, to, amount, toAmount, date); err != nil {
		tb.Fatal(err)
	}
	markDirty(tb, db, user, date[:7])
	return id
}

func deleteTxn(tb testing.TB, db execer, id, user, month string) {
	tb.Helper()
	if _, err := db.ExecContext(context.Background(), `DELETE FROM ledger_transaction WHERE id = ?`, id); err != nil {
		tb.Fatal(err)
	}
	markDirty(tb, db, user, month)
}

func markDirty(tb testing.TB, db execer, user, month string) {
	tb.Helper()
	if _, err := db.ExecContext(context.Background(), markDirtySQL, user, month); err != nil {
		tb.Fatal(err)
	}
}

func rollups(tb testing.TB, db *sql.DB) []aggregator.Rollup {
	tb.Helper()
	rows, err := db.Query(`SELECT user_id, month, account_id, category, type, total_minor, transaction_count FROM ledger_monthlyrollup ORDER BY user_id, month, account_id, category, type`)
	if err != nil {
		tb.Fatal(err)
	}
	return scanRollups(tb, rows)
}

// scanRollups reads (user, month, account, category, type, total, count) rows and closes them.
func scanRollups(tb testing.TB, rows *sql.Rows) []aggregator.Rollup {
	tb.Helper()
	defer rows.Close()
	out := []aggregator.Rollup{}
	for rows.Next() {
		var r aggregator.Rollup
		if err := rows.Scan(&r.UserID, &r.Month, &r.AccountID, &r.Category, &r.Type, &r.TotalMinor, &r.TransactionCount); err != nil {
			tb.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// expected computes the rollups with SQL as an independent oracle.
func expected(tb testing.TB, db *sql.DB) []aggregator.Rollup {
	tb.Helper()
	return expectedExcept(tb, db)
}

// entriesSQL is every transaction and every transfer leg as (user_id, date,
// account_id, category, type, amount), for the oracles.
const entriesSQL = `
	SELECT user_id, date, account_id, category_key AS category, type, amount_minor AS amount FROM ledger_transaction
	UNION ALL
	SELECT user_id, date, from_account_id, '', 'transfer_out', amount_minor FROM ledger_transfer
	UNION ALL
	SELECT user_id, date, to_account_id, '', 'transfer_in', to_amount_minor FROM ledger_transfer`

func dirty(tb testing.TB, db *sql.DB) []aggregator.DirtyBucket {
	tb.Helper()
	rows, err := db.Query(`SELECT user_id, month, generation FROM ledger_dirtybucket ORDER BY user_id, month`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	out := []aggregator.DirtyBucket{}
	for rows.Next() {
		var b aggregator.DirtyBucket
		if err := rows.Scan(&b.UserID, &b.Month, &b.Generation); err != nil {
			tb.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

var opts = aggregator.RunOptions{Workers: 3, BatchSize: 2}

const (
	alice = "0000000000000000000000000000000a"
	bob   = "0000000000000000000000000000000b"
)

func TestIncremental_RecomputesOnlyDirtyBuckets(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	addTxn(t, db.SQL(), alice, "2024-01-10", "food", "expense", 1250)
	addTxn(t, db.SQL(), alice, "2024-01-11", "food", "expense", 750)
	addTxn(t, db.SQL(), alice, "2024-02-01", "salary", "income", 500000)
	addTxn(t, db.SQL(), bob, "2024-01-31", "rent", "expense", 90000)
	report, err := db.Incremental(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := report, (aggregator.RunReport{Mode: "incremental", RowsRead: 4, BucketsUpdated: 3, RollupsWritten: 3, Workers: 3}); got.RowsRead != want.RowsRead || got.BucketsUpdated != want.BucketsUpdated || got.RollupsWritten != want.RollupsWritten || got.Mode != want.Mode || got.Workers != want.Workers {
		t.Fatalf("report = %+v, want %+v", got, want)
	}
	if got, want := rollups(t, db.SQL()), expected(t, db.SQL()); !reflect.DeepEqual(got, want) {
		t.Fatalf("rollups = %+v, want %+v", got, want)
	}
	if got := dirty(t, db.SQL()); len(got) != 0 {
		t.Fatalf("dirty = %+v, want none", got)
	}

	// Tamper with a clean bucket: a run must not touch it.
	if _, err := db.SQL().Exec(`UPDATE ledger_monthlyrollup SET total_minor = 1 WHERE user_id = ? AND month = '2024-01'`, bob); err != nil {
		t.Fatal(err)
	}
	addTxn(t, db.SQL(), alice, "2024-02-15", "salary", "income", 1)
	report, err = db.Incremental(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if report.BucketsUpdated != 1 || report.RowsRead != 2 || report.RollupsWritten != 1 {
		t.Fatalf("report = %+v, want one bucket with two rows", report)
	}
	got := rollups(t, db.SQL())
	want := []aggregator.Rollup{
		{UserID: alice, Month: "2024-01", AccountID: accountOf(alice, 0), Category: "food", Type: "expense", TotalMinor: 2000, TransactionCount: 2},
		{UserID: alice, Month: "2024-02", AccountID: accountOf(alice, 0), Category: "salary", Type: "income", TotalMinor: 500001, TransactionCount: 2},
		{UserID: bob, Month: "2024-01", AccountID: accountOf(bob, 0), Category: "rent", Type: "expense", TotalMinor: 1, TransactionCount: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("rollups = %+v\nwant %+v", got, want)
	}
}

func TestIncremental_CategoryThatDisappearedVanishes(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	id := addTxn(t, db.SQL(), alice, "2024-03-03", "food", "expense", 100)
	addTxn(t, db.SQL(), alice, "2024-04-03", "food", "expense", 100)
	if _, err := db.Incremental(ctx, opts); err != nil {
		t.Fatal(err)
	}
	deleteTxn(t, db.SQL(), id, alice, "2024-03")
	if _, err := db.Incremental(ctx, opts); err != nil {
		t.Fatal(err)
	}
	want := []aggregator.Rollup{{UserID: alice, Month: "2024-04", AccountID: accountOf(alice, 0), Category: "food", Type: "expense", TotalMinor: 100, TransactionCount: 1}}
	if got := rollups(t, db.SQL()); !reflect.DeepEqual(got, want) {
		t.Fatalf("rollups = %+v, want %+v", got, want)
	}
}

func TestIncremental_GenerationBumpedDuringRunStaysDirty(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	addTxn(t, db.SQL(), alice, "2024-05-01", "food", "expense", 10)
	addTxn(t, db.SQL(), bob, "2024-05-01", "food", "expense", 20)
	// A write lands on alice's bucket after the claim, before the finish.
	db.AfterClaim = func(ctx context.Context, tx *sql.Tx, claimed []aggregator.DirtyBucket) error {
		for _, b := range claimed {
			if b.UserID == alice {
				addTxn(t, tx, alice, "2024-05-02", "food", "expense", 5)
			}
		}
		return nil
	}
	if _, err := db.Incremental(ctx, opts); err != nil {
		t.Fatal(err)
	}
	want := []aggregator.DirtyBucket{{Bucket: aggregator.Bucket{UserID: alice, Month: "2024-05"}, Generation: 2}}
	if got := dirty(t, db.SQL()); !reflect.DeepEqual(got, want) {
		t.Fatalf("dirty = %+v, want %+v", got, want)
	}

	db.AfterClaim = nil
	if _, err := db.Incremental(ctx, opts); err != nil {
		t.Fatal(err)
	}
	if got := dirty(t, db.SQL()); len(got) != 0 {
		t.Fatalf("dirty = %+v, want none", got)
	}
	if got, want := rollups(t, db.SQL()), expected(t, db.SQL()); !reflect.DeepEqual(got, want) {
		t.Fatalf("rollups = %+v, want %+v", got, want)
	}
}

func TestFull_EqualsIncremental(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 7))
	tx, err := db.SQL().Begin()
	if err != nil {
		t.Fatal(err)
	}
	cats := []string{"food", "rent", "fun", "salary"}
	for i := 0; i < 3000; i++ {
		typ := "expense"
		if r.IntN(3) == 0 {
			typ = "income"
		}
		user := fmt.Sprintf("%032x", r.IntN(40)+1)
		addTxnTo(t, tx, accountOf(user, r.IntN(3)), user, fmt.Sprintf("2024-%02d-%02d", r.IntN(12)+1, r.IntN(28)+1), cats[r.IntN(4)], typ, int64(r.IntN(100000)+1))
	}
	for i := 0; i < 600; i++ { // transfers between two of a user's three accounts, in other currencies
		user, from, amount := fmt.Sprintf("%032x", r.IntN(40)+1), r.IntN(3), int64(r.IntN(100000)+1)
		addTransfer(t, tx, user, accountOf(user, from), accountOf(user, (from+1+r.IntN(2))%3), fmt.Sprintf("2024-%02d-%02d", r.IntN(12)+1, r.IntN(28)+1),
			amount, amount*int64(1+r.IntN(3))+int64(r.IntN(9)))
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	inc, err := db.Incremental(ctx, aggregator.RunOptions{Workers: 4, BatchSize: 37})
	if err != nil {
		t.Fatal(err)
	}
	afterIncremental := rollups(t, db.SQL())
	if want := expected(t, db.SQL()); !reflect.DeepEqual(afterIncremental, want) {
		t.Fatalf("incremental rollups differ from oracle")
	}

	// A stale row for a bucket with no transactions must go too.
	if _, err := db.SQL().Exec(`INSERT INTO ledger_monthlyrollup (user_id, account_id, month, category, type, total_minor, transaction_count) VALUES (?, ?, '1999-01', 'x', 'income', 1, 1)`, alice, accountOf(alice, 0)); err != nil {
		t.Fatal(err)
	}
	full, err := db.Full(ctx, aggregator.RunOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := rollups(t, db.SQL()); !reflect.DeepEqual(got, afterIncremental) {
		t.Fatalf("full rollups differ from incremental")
	}
	if full.RowsRead != 3600 || inc.RowsRead != 3600 || full.RollupsWritten != int64(len(afterIncremental)) || full.Mode != aggregator.ModeFull {
		t.Fatalf("full = %+v, incremental = %+v", full, inc)
	}
}

func TestFull_ClearsDirtyButKeepsBumped(t *testing.T) {
	db := MustOpenDB(t)
	ctx := context.Background()
	addTxn(t, db.SQL(), alice, "2024-05-01", "food", "expense", 10)
	addTxn(t, db.SQL(), bob, "2024-06-01", "food", "expense", 20)
	db.AfterClaim = func(ctx context.Context, tx *sql.Tx, claimed []aggregator.DirtyBucket) error {
		markDirty(t, tx, bob, "2024-06")
		return nil
	}
	if _, err := db.Full(ctx, opts); err != nil {
		t.Fatal(err)
	}
	want := []aggregator.DirtyBucket{{Bucket: aggregator.Bucket{UserID: bob, Month: "2024-06"}, Generation: 2}}
	if got := dirty(t, db.SQL()); !reflect.DeepEqual(got, want) {
		t.Fatalf("dirty = %+v, want %+v", got, want)
	}
}

func TestCheckSchema(t *testing.T) {
	t.Run("complete", func(t *testing.T) {
		if err := MustOpenDB(t).CheckSchema(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	tests := []struct {
		name  string
		alter string
		want  string
	}{
		{"missing table", `DROP TABLE ledger_dirtybucket`, `database schema is missing ledger_dirtybucket: run "python manage.py migrate" first`},
		{"missing column", `ALTER TABLE ledger_monthlyrollup DROP COLUMN transaction_count`, `database schema is missing ledger_monthlyrollup.transaction_count: run "python manage.py migrate" first`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := MustOpenDB(t)
			if _, err := db.SQL().Exec(tt.alter); err != nil {
				t.Fatal(err)
			}
			err := db.CheckSchema(context.Background())
			if got := aggregator.ErrorMessage(err); got != tt.want || aggregator.ErrorCode(err) != aggregator.ESCHEMA {
				t.Fatalf("got %q (%s), want %q", got, aggregator.ErrorCode(err), tt.want)
			}
		})
	}
}

func TestOpen_MissingFile(t *testing.T) {
	_, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "nope.db"))
	if aggregator.ErrorCode(err) != aggregator.EUNAVAILABLE {
		t.Fatalf("err = %v, want unavailable", err)
	}
}
