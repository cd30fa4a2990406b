// Package sqlite implements aggregator.RollupService on SQLite with the pure
// Go modernc.org/sqlite driver (no cgo).
//
// Claims: every batch, and a whole full rebuild, runs inside BEGIN IMMEDIATE
// (the driver's _txlock=immediate), which takes SQLite's single write lock
// up front. Batches therefore serialize with the API's writes and with any
// other aggregator: a claimed bucket cannot change until the batch commits.
// Dirty rows are still deleted only if their generation is the claimed one,
// the same rule as on PostgreSQL.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	aggregator "finance/go_aggregator"
)

// BusyTimeout is how long a statement waits for another writer's lock.
const BusyTimeout = 20 * time.Second

// Ensure DB implements the service.
var _ aggregator.RollupService = (*DB)(nil)

// DB is the SQLite database Django owns.
type DB struct {
	db   *sql.DB
	path string

	// AfterClaim, when set, runs inside each batch transaction (and the full
	// rebuild's) after the rollups are written and before the dirty rows are
	// deleted. Tests use it to simulate a write landing during a run.
	AfterClaim func(ctx context.Context, tx *sql.Tx, claimed []aggregator.DirtyBucket) error
}

// Open opens the SQLite file at path with WAL and a busy timeout. A missing
// file is an error: SQLite would silently create an empty database.
func Open(ctx context.Context, path string) (*DB, error) {
	if path != ":memory:" {
		if _, err := os.Stat(path); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, aggregator.Errorf(aggregator.EUNAVAILABLE, "sqlite database %s does not exist", path)
			}
			return nil, aggregator.Errorf(aggregator.EUNAVAILABLE, "cannot open sqlite database %s: %v", path, err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, aggregator.Errorf(aggregator.EUNAVAILABLE, "cannot open sqlite database %s: %v", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, aggregator.Errorf(aggregator.EUNAVAILABLE, "cannot open sqlite database %s: %v", path, err)
	}
	return &DB{db: db, path: path}, nil
}

// Close closes the database.
func (db *DB) Close() error { return db.db.Close() }

// SQL returns the underlying *sql.DB (for tests and tools).
func (db *DB) SQL() *sql.DB { return db.db }

// CheckSchema verifies aggregator.RequiredColumns with pragma table_info.
func (db *DB) CheckSchema(ctx context.Context) error {
	found := make(map[string]map[string]bool)
	for _, tc := range aggregator.RequiredColumns {
		rows, err := db.db.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, tc.Table)
		if err != nil {
			return fmt.Errorf("check schema: %w", err)
		}
		cols := make(map[string]bool)
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				rows.Close()
				return fmt.Errorf("check schema: %w", err)
			}
			cols[name] = true
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("check schema: %w", err)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("check schema: %w", err)
		}
		found[tc.Table] = cols
	}
	return aggregator.CheckColumns(found)
}

// dateMonth scans a transaction date given as 'YYYY-MM-DD' text or as a
// time.Time (the driver parses columns declared DATE). A date that names no
// month is not a scan error (which would end the read) but kept in err, so
// the caller fails that row's user alone.
type dateMonth struct {
	month aggregator.Month
	err   error
}

// Scan implements sql.Scanner.
func (d *dateMonth) Scan(v any) error {
	d.err = nil
	switch v := v.(type) {
	case string:
		d.month, d.err = aggregator.MonthOfDate(v)
	case []byte:
		d.month, d.err = aggregator.MonthOfDate(v)
	case time.Time:
		d.month = aggregator.MonthOf(v)
		if !d.month.Valid() {
			d.err = aggregator.Errorf(aggregator.EINVALID, "date out of range: %s, want years 0001-9999", v.Format(time.DateOnly))
		}
	default:
		d.err = aggregator.Errorf(aggregator.EINVALID, "unexpected date value %T", v)
	}
	return nil
}

// amountMinor scans amount_minor. SQLite stores what it is given: an amount
// past int64 written outside the API comes back as a REAL, kept in err so the
// caller fails that row's bucket alone.
type amountMinor struct {
	value int64
	err   error
}

// Scan implements sql.Scanner.
func (a *amountMinor) Scan(v any) error {
	a.err = nil
	switch v := v.(type) {
	case int64:
		a.value = v
	default:
		a.err = aggregator.Errorf(aggregator.EINVALID, "amount_minor %v is not a 64-bit integer", v)
	}
	return nil
}
