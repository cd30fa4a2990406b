// Package testschema hands the tests Django's DDL of the tables they create:
// testdata/schema_sqlite.sql and testdata/schema_postgres.sql, generated from
// the migrations by `python manage.py dump_go_schema` (and checked for
// staleness by tests/ledger/test_go_schema_dump.py), never copied by hand.
package testschema

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// SQLite returns the SQLite DDL.
func SQLite(tb testing.TB) string { return load(tb, "schema_sqlite.sql") }

// Postgres returns the PostgreSQL DDL, with unqualified names: run it with
// the search_path set to the schema to create the tables in.
func Postgres(tb testing.TB) string { return load(tb, "schema_postgres.sql") }

// UserColumns are the columns of accounts_user a test row fills: every one
// the schema requires.
const UserColumns = `id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined, token_version`

// UserValues returns the values for UserColumns of the user whose id is the
// SQL expression id; idText is the same id as text (username and email are
// unique in accounts_user, so they are made of it).
func UserValues(id, idText string) string {
	return id + `, '', false, ` + idText + `, '', '', ` + idText + ` || '@example.com', false, true, CURRENT_TIMESTAMP, 0`
}

func load(tb testing.TB, name string) string {
	tb.Helper()
	_, file, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(file), "..", "..", "testdata", name)
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("read %s (generate it with `python manage.py dump_go_schema`): %v", path, err)
	}
	return strings.TrimSpace(string(b))
}
