package aggregator_test

import (
	"strings"
	"testing"

	aggregator "finance/go_aggregator"
)

func TestParseDatabaseURL(t *testing.T) {
	tests := []struct {
		in         string
		wantDriver string
		wantDSN    string
		wantErr    bool
	}{
		{"sqlite:///db.sqlite3", aggregator.DriverSQLite, "db.sqlite3", false},
		{"sqlite:///var/data/db.sqlite3", aggregator.DriverSQLite, "var/data/db.sqlite3", false},
		{"sqlite:////tmp/x.db", aggregator.DriverSQLite, "/tmp/x.db", false},
		{"sqlite://:memory:", aggregator.DriverSQLite, ":memory:", false},
		{"postgres://u:p@localhost:5432/app", aggregator.DriverPostgres, "postgres://u:p@localhost:5432/app", false},
		{"postgresql://u@h/app?sslmode=disable", aggregator.DriverPostgres, "postgres://u@h/app?sslmode=disable", false},
		{"pgsql://u@h:5433/app", aggregator.DriverPostgres, "postgres://u@h:5433/app", false},
		{"mysql://u@h/app", "", "", true},
		{"db.sqlite3", "", "", true},
		{"", "", "", true},
		{"sqlite://host/x.db", "", "", true},
	}
	for _, tt := range tests {
		got, err := aggregator.ParseDatabaseURL(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseDatabaseURL(%q) = %+v, want error", tt.in, got)
			} else if aggregator.ErrorCode(err) != aggregator.EINVALID {
				t.Errorf("ParseDatabaseURL(%q): code %q", tt.in, aggregator.ErrorCode(err))
			}
			continue
		}
		if err != nil || got.Driver != tt.wantDriver || got.DSN != tt.wantDSN {
			t.Errorf("ParseDatabaseURL(%q) = %+v, %v; want %s %s", tt.in, got, err, tt.wantDriver, tt.wantDSN)
		}
	}
}

func TestParseDatabaseURL_RedactsPassword(t *testing.T) {
	_, err := aggregator.ParseDatabaseURL("postgres//u:secret@h/db")
	if err == nil {
		t.Fatal("want error")
	}
	if msg := aggregator.ErrorMessage(err); strings.Contains(msg, "secret") {
		t.Fatalf("message leaks password: %s", msg)
	}
}

func TestCheckColumns(t *testing.T) {
	full := map[string]map[string]bool{}
	for _, tc := range aggregator.RequiredColumns {
		full[tc.Table] = map[string]bool{}
		for _, c := range tc.Columns {
			full[tc.Table][c] = true
		}
	}
	if err := aggregator.CheckColumns(full); err != nil {
		t.Fatal(err)
	}
	delete(full["ledger_dirtybucket"], "generation")
	err := aggregator.CheckColumns(full)
	want := `database schema is missing ledger_dirtybucket.generation: run "python manage.py migrate" first`
	if got := aggregator.ErrorMessage(err); got != want || aggregator.ErrorCode(err) != aggregator.ESCHEMA {
		t.Fatalf("got %q (%s), want %q", got, aggregator.ErrorCode(err), want)
	}
	delete(full, "ledger_monthlyrollup")
	full["ledger_dirtybucket"]["generation"] = true
	if got, want := aggregator.ErrorMessage(aggregator.CheckColumns(full)), `database schema is missing ledger_monthlyrollup: run "python manage.py migrate" first`; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
