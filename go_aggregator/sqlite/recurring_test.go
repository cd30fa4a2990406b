package sqlite_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	aggregator "finance/go_aggregator"
	"finance/go_aggregator/internal/recurringtest"
	"finance/go_aggregator/sqlite"
)

// recurringFixture is a fresh SQLite file; ids are 32 hex digits, as Django
// stores UUIDs here.
type recurringFixture struct{ db *sqlite.DB }

func (f recurringFixture) Store(t *testing.T) aggregator.RecurringStore { return f.db }

func (f recurringFixture) NewID() string { return aggregator.NewUUID().Hex() }

func (f recurringFixture) Exec(t *testing.T, query string, args ...any) {
	t.Helper()
	if _, err := f.db.SQL().Exec(query, args...); err != nil {
		t.Fatal(err)
	}
}

func (f recurringFixture) Strings(t *testing.T, query string, args ...any) [][]string {
	t.Helper()
	rows, err := f.db.SQL().Query(query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		values := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range values {
			ptrs[i] = &values[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range values {
			row[i] = "NULL"
			if v.Valid {
				row[i] = v.String
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// UTCText reads the text Django stored (the driver would hand a DATETIME
// column back as a time.Time; an expression has no declared type).
func (f recurringFixture) UTCText(column string) string { return "(" + column + " || '')" }

func TestRecording(t *testing.T) {
	recurringtest.Run(t, func(t *testing.T) recurringtest.Fixture { return recurringFixture{MustOpenDB(t)} })
}

// Rows written the way Django writes them on SQLite: dates as text, UUIDs as
// 32 hex digits, datetimes as UTC text Django parses back.
func TestRecording_StoresValuesAsDjangoDoes(t *testing.T) {
	f := recurringFixture{MustOpenDB(t)}
	l := recurringtest.NewLedger(t, f)
	l.AddRule(t, f, recurringtest.Rule{Frequency: "daily", Start: "2024-01-01"})
	recurringtest.Record(t, f, "2024-01-01")
	rows := f.Strings(t, `SELECT typeof("date"), "date" || '', length(id), id = lower(id), typeof(created_at), created_at || '' FROM ledger_transaction`)
	row := rows[0]
	if row[0] != "text" || row[1] != "2024-01-01" || row[2] != "32" || row[3] != "1" || row[4] != "text" {
		t.Fatalf("stored %v", row)
	}
	if _, err := time.Parse("2006-01-02 15:04:05.999999", row[5]); err != nil {
		t.Errorf("created_at %q is not Django's format: %v", row[5], err)
	}
	if got := f.Strings(t, `SELECT typeof(skipped), skipped FROM ledger_recurringoccurrence`); got[0][0] != "integer" || got[0][1] != "0" {
		t.Errorf("skipped stored as %v", got[0])
	}
}

func TestDjangoDateTime(t *testing.T) {
	for _, tt := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), "2024-01-02 03:04:05"},
		{time.Date(2024, 1, 2, 3, 4, 5, 120_000_999, time.UTC), "2024-01-02 03:04:05.120000"},
		{time.Date(2024, 1, 2, 3, 4, 5, 999, time.UTC), "2024-01-02 03:04:05"},
		{time.Date(2024, 1, 2, 0, 30, 0, 0, time.FixedZone("x", 3600)), "2024-01-01 23:30:00"},
	} {
		if got := sqlite.DjangoDateTime(tt.t); got != tt.want {
			t.Errorf("%v: got %q, want %q", tt.t, got, tt.want)
		}
	}
}

// A pause committed by the API while the recording waits for the write lock
// is honoured: the rule is re-read inside the recording's transaction.
func TestRecording_PauseCommittedWhileWaitingIsHonoured(t *testing.T) {
	f := recurringFixture{MustOpenDB(t)}
	l := recurringtest.NewLedger(t, f)
	rule := l.AddRule(t, f, recurringtest.Rule{Frequency: "daily", Start: "2024-01-01"})
	api, err := sqlite.Open(context.Background(), dbPath(t, f.db))
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	ctx := context.Background()
	tx, err := api.SQL().BeginTx(ctx, nil) // BEGIN IMMEDIATE: the write lock
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`UPDATE ledger_recurringrule SET paused = 1 WHERE id = ?`, rule); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var report aggregator.RecurringReport
	wg.Add(1)
	go func() {
		defer wg.Done()
		// The scan (a read) still sees the rule due; its transaction waits.
		report, err = aggregator.RecordDue(ctx, f.db, recurringtest.MustDate(t, "2024-01-05"))
	}()
	time.Sleep(200 * time.Millisecond)
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if report.Recorded != 0 || len(recurringtest.Dates(t, f, l.UserID)) != 0 {
		t.Errorf("recorded %d occurrences of a paused rule", report.Recorded)
	}
}

// dbPath returns the file of a test database.
func dbPath(t *testing.T, db *sqlite.DB) string {
	t.Helper()
	var seq int
	var name, file string
	if err := db.SQL().QueryRow(`SELECT seq, name, file FROM pragma_database_list WHERE name = 'main'`).Scan(&seq, &name, &file); err != nil {
		t.Fatal(err)
	}
	return file
}
