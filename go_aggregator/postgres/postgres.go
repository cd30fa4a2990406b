// Package postgres implements aggregator.RollupService on PostgreSQL with pgx.
//
// Claims: an incremental batch runs in one READ COMMITTED transaction that
// takes pg_advisory_xact_lock_shared(AdvisoryLockKey), claims dirty rows with
// SELECT ... FOR UPDATE SKIP LOCKED, reads the claimed buckets' transactions
// and transfers, replaces their rollups and deletes each dirty row only if its generation is
// still the claimed one. Row locks are held until commit, so two aggregators
// never claim the same bucket. A full rebuild holds the session lock
// pg_advisory_lock(AdvisoryLockKey) exclusively for its whole run, so it never
// overlaps an incremental batch.
package postgres

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	aggregator "finance/go_aggregator"
)

// AdvisoryLockKey is the pg_advisory lock key shared by every aggregator:
// incremental batches take it shared (per transaction), --full takes it
// exclusively (per session). Anything else that must not overlap a full
// rebuild may take it shared too.
const AdvisoryLockKey int64 = 0x6c6564676572 // "ledger" in ASCII = 119182278386034

// Ensure DB implements the service.
var _ aggregator.RollupService = (*DB)(nil)

// DB is a connection to the PostgreSQL database Django owns.
type DB struct {
	conn *pgx.Conn

	// AfterClaim, when set, runs inside each incremental batch transaction,
	// and inside the full rebuild's write transaction, after the rollups are
	// written and before the dirty rows are deleted.
	// Tests use it to simulate a write landing during a run.
	AfterClaim func(ctx context.Context, tx pgx.Tx, claimed []aggregator.DirtyBucket) error

	// BeforeWrite, when set, runs after a full rebuild has read and planned
	// and before its write transaction begins. Tests use it to delete a user
	// in between.
	BeforeWrite func(ctx context.Context) error
}

// Open connects to the database at dsn (a postgres:// URL).
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, aggregator.Errorf(aggregator.EINVALID, "invalid postgres URL: %v", err)
	}
	conn, err := connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &DB{conn: conn}, nil
}

// connect opens a connection, reducing a failure to one EUNAVAILABLE error
// naming the server. Every connection of this package is opened here.
func connect(ctx context.Context, cfg *pgx.ConnConfig) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, aggregator.Errorf(aggregator.EUNAVAILABLE, "cannot connect to postgres at %s:%d: %v", cfg.Host, cfg.Port, rootCause(err))
	}
	return conn, nil
}

// another opens one more connection configured like db's (a second stream
// or reader of the same run).
func (db *DB) another(ctx context.Context) (*pgx.Conn, error) {
	return connect(ctx, db.conn.Config())
}

// live reconnects when the connection is gone (a restarted server, a
// terminated backend), so a --watch loop recovers at its next cycle instead
// of failing every cycle on a dead connection.
func (db *DB) live(ctx context.Context) error {
	if !db.conn.IsClosed() && db.conn.Ping(ctx) == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	conn, err := db.another(ctx)
	if err != nil {
		return err
	}
	_ = db.conn.Close(ctx)
	db.conn = conn
	return nil
}

// Close closes the connection.
func (db *DB) Close() error {
	if db.conn == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5e9)
	defer cancel()
	return db.conn.Close(ctx)
}

// Conn returns the underlying connection (for tests and tools).
func (db *DB) Conn() *pgx.Conn { return db.conn }

// CheckSchema verifies aggregator.RequiredColumns in the current schema.
func (db *DB) CheckSchema(ctx context.Context) error {
	tables := make([]string, 0, len(aggregator.RequiredColumns))
	for _, tc := range aggregator.RequiredColumns {
		tables = append(tables, tc.Table)
	}
	rows, err := db.conn.Query(ctx, `
		SELECT table_name::text, column_name::text
		FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = ANY($1)`, tables)
	if err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	found := make(map[string]map[string]bool)
	var table, column string
	_, err = pgx.ForEachRow(rows, []any{&table, &column}, func() error {
		if found[table] == nil {
			found[table] = make(map[string]bool)
		}
		found[table][column] = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	return aggregator.CheckColumns(found)
}

// rootCause reduces pgx's connection error to its network cause, if any.
func rootCause(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		return op
	}
	return err
}

// formatUUID turns a raw 16-byte uuid into its canonical text, the form
// user_id::text yields; any other key is returned as is.
func formatUUID(b []byte) string {
	if len(b) != 16 {
		return string(b)
	}
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}

// parseUUID parses a uuid (a user or account id) in canonical (or undashed)
// text form.
func parseUUID(s string) (pgtype.UUID, error) {
	var u pgtype.UUID
	if err := u.Scan(s); err != nil {
		return u, aggregator.Errorf(aggregator.EINVALID, "invalid id %q", s)
	}
	return u, nil
}
