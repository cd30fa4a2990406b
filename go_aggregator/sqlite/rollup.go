package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	aggregator "finance/go_aggregator"
)

// insertRowsPerStatement keeps a multi-row INSERT well under SQLite's
// parameter limit (6 parameters per row).
const insertRowsPerStatement = 200

// Incremental claims dirty buckets batch by batch, each batch in its own
// BEGIN IMMEDIATE transaction, and recomputes them.
func (db *DB) Incremental(ctx context.Context, opts aggregator.RunOptions) (aggregator.RunReport, error) {
	start := time.Now()
	report := aggregator.RunReport{Mode: aggregator.ModeIncremental, Workers: opts.WorkerCount()}
	// The id cursor makes a run finite: a row left dirty because its
	// generation moved keeps its id and is not claimed again in this run.
	var afterID int64
	for {
		claimed, lastID, rows, written, err := db.incrementalBatch(ctx, opts, afterID)
		if err != nil {
			return report, err
		}
		if claimed == 0 {
			break
		}
		afterID = lastID
		report.RowsRead += rows
		report.BucketsUpdated += int64(claimed)
		report.RollupsWritten += written
		opts.Progress.AddBuckets(int64(claimed))
	}
	report.Finish(start)
	return report, nil
}

func (db *DB) incrementalBatch(ctx context.Context, opts aggregator.RunOptions, afterID int64) (claimed int, lastID, rowsRead, written int64, err error) {
	tx, err := db.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE via _txlock
	if err != nil {
		return 0, 0, 0, 0, fmt.Errorf("begin batch: %w", err)
	}
	defer tx.Rollback()

	buckets, lastID, err := claimBuckets(ctx, tx, afterID, opts.Batch())
	if err != nil || len(buckets) == 0 {
		return 0, 0, 0, 0, err
	}
	engine := &aggregator.Engine{Workers: opts.WorkerCount(), Progress: opts.Progress}
	result, err := engine.Run(ctx, func(ctx context.Context, in *aggregator.Input) error {
		stmt, err := tx.PrepareContext(ctx, `
			SELECT user_id, CAST("date" AS TEXT), category, type, amount_minor
			FROM ledger_transaction
			WHERE user_id = ? AND "date" BETWEEN ? AND ?`)
		if err != nil {
			return fmt.Errorf("read transactions: %w", err)
		}
		defer stmt.Close()
		for _, b := range buckets {
			m, err := aggregator.ParseMonth(b.Month)
			if err != nil {
				return fmt.Errorf("dirty bucket of user %s: %w", b.UserID, err)
			}
			rows, err := stmt.QueryContext(ctx, b.UserID, m.FirstDay(), lastDayBound(m))
			if err != nil {
				return fmt.Errorf("read transactions: %w", err)
			}
			if err := scanTransactions(rows, in); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, 0, 0, err
	}

	del, err := tx.PrepareContext(ctx, `DELETE FROM ledger_monthlyrollup WHERE user_id = ? AND month = ?`)
	if err != nil {
		return 0, 0, 0, 0, fmt.Errorf("delete bucket rollups: %w", err)
	}
	defer del.Close()
	for _, b := range buckets {
		if _, err := del.ExecContext(ctx, b.UserID, b.Month); err != nil {
			return 0, 0, 0, 0, fmt.Errorf("delete bucket rollups: %w", err)
		}
	}
	if written, err = insertRollups(ctx, tx, result.Rollups); err != nil {
		return 0, 0, 0, 0, err
	}
	if err := db.finishClaim(ctx, tx, buckets); err != nil {
		return 0, 0, 0, 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, 0, 0, fmt.Errorf("commit batch: %w", err)
	}
	return len(buckets), lastID, result.RowsRead, written, nil
}

// Full rebuilds every rollup inside one BEGIN IMMEDIATE transaction: the
// dirty snapshot, the read, the rewrite and the dirty-row deletes all see one
// state, and no writer can slip in between (API writes wait on busy_timeout).
func (db *DB) Full(ctx context.Context, opts aggregator.RunOptions) (aggregator.RunReport, error) {
	start := time.Now()
	report := aggregator.RunReport{Mode: aggregator.ModeFull, Workers: opts.WorkerCount()}
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return report, fmt.Errorf("begin full rebuild: %w", err)
	}
	defer tx.Rollback()

	dirty, _, err := claimBuckets(ctx, tx, 0, -1)
	if err != nil {
		return report, err
	}
	engine := &aggregator.Engine{Workers: opts.WorkerCount(), Progress: opts.Progress}
	result, err := engine.Run(ctx, func(ctx context.Context, in *aggregator.Input) error {
		rows, err := tx.QueryContext(ctx, `
			SELECT user_id, CAST("date" AS TEXT), category, type, amount_minor FROM ledger_transaction`)
		if err != nil {
			return fmt.Errorf("read transactions: %w", err)
		}
		return scanTransactions(rows, in)
	})
	if err != nil {
		return report, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM ledger_monthlyrollup`); err != nil {
		return report, fmt.Errorf("delete all rollups: %w", err)
	}
	written, err := insertRollups(ctx, tx, result.Rollups)
	if err != nil {
		return report, err
	}
	if err := db.finishClaim(ctx, tx, dirty); err != nil {
		return report, err
	}
	if err := tx.Commit(); err != nil {
		return report, fmt.Errorf("commit full rebuild: %w", err)
	}
	buckets := int64(len(result.Buckets()))
	opts.Progress.AddBuckets(buckets)
	report.RowsRead = result.RowsRead
	report.BucketsUpdated = buckets
	report.RollupsWritten = written
	report.Finish(start)
	return report, nil
}

// claimBuckets reads up to limit (all if negative) dirty rows after the cursor.
func claimBuckets(ctx context.Context, tx *sql.Tx, afterID int64, limit int) ([]aggregator.DirtyBucket, int64, error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT id, user_id, month, generation FROM ledger_dirtybucket
		WHERE id > ? ORDER BY id LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("claim buckets: %w", err)
	}
	defer rows.Close()
	var claimed []aggregator.DirtyBucket
	var lastID int64
	for rows.Next() {
		var b aggregator.DirtyBucket
		if err := rows.Scan(&lastID, &b.UserID, &b.Month, &b.Generation); err != nil {
			return nil, 0, fmt.Errorf("claim buckets: %w", err)
		}
		claimed = append(claimed, b)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("claim buckets: %w", err)
	}
	return claimed, lastID, nil
}

// scanTransactions feeds (user_id, date, category, type, amount_minor) rows
// into the engine and closes rows.
func scanTransactions(rows *sql.Rows, in *aggregator.Input) error {
	defer rows.Close()
	var user, category, typ sql.RawBytes
	var date dateMonth
	var amount int64
	for rows.Next() {
		if err := rows.Scan(&user, &date, &category, &typ, &amount); err != nil {
			return fmt.Errorf("read transactions: %w", err)
		}
		t, err := aggregator.ParseTxnType([]byte(typ))
		if err != nil {
			return err
		}
		if err := in.Add(in.User(user), in.Category(category), date.month, t, amount); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read transactions: %w", err)
	}
	return nil
}

// finishClaim runs the test hook and deletes each claimed dirty row whose
// generation is unchanged.
func (db *DB) finishClaim(ctx context.Context, tx *sql.Tx, claimed []aggregator.DirtyBucket) error {
	if db.AfterClaim != nil {
		if err := db.AfterClaim(ctx, tx, claimed); err != nil {
			return fmt.Errorf("after claim hook: %w", err)
		}
	}
	stmt, err := tx.PrepareContext(ctx, `DELETE FROM ledger_dirtybucket WHERE user_id = ? AND month = ? AND generation = ?`)
	if err != nil {
		return fmt.Errorf("clear dirty buckets: %w", err)
	}
	defer stmt.Close()
	for _, b := range claimed {
		if _, err := stmt.ExecContext(ctx, b.UserID, b.Month, b.Generation); err != nil {
			return fmt.Errorf("clear dirty buckets: %w", err)
		}
	}
	return nil
}

// insertRollups writes rollups with prepared multi-row INSERTs.
func insertRollups(ctx context.Context, tx *sql.Tx, rollups []aggregator.Rollup) (int64, error) {
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	args := make([]any, 0, 6*insertRowsPerStatement)
	for start := 0; start < len(rollups); start += insertRowsPerStatement {
		chunk := rollups[start:min(start+insertRowsPerStatement, len(rollups))]
		args = args[:0]
		for _, r := range chunk {
			if r.TransactionCount > aggregator.MaxTransactionCount {
				return 0, aggregator.Errorf(aggregator.EOVERFLOW, "transaction_count overflow in %s %s", r.UserID, r.Month)
			}
			args = append(args, r.UserID, r.Month, r.Category, r.Type, r.TotalMinor, r.TransactionCount)
		}
		var err error
		if len(chunk) == insertRowsPerStatement {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, insertSQL(insertRowsPerStatement)); err != nil {
					return 0, fmt.Errorf("insert rollups: %w", err)
				}
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, insertSQL(len(chunk)), args...)
		}
		if err != nil {
			return 0, fmt.Errorf("insert rollups: %w", err)
		}
	}
	return int64(len(rollups)), nil
}

func insertSQL(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO ledger_monthlyrollup (user_id, month, category, type, total_minor, transaction_count) VALUES `)
	for i := 0; i < rows; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?)")
	}
	return b.String()
}

// lastDayBound is the inclusive upper bound of a month's dates as SQLite
// compares them (text): its last day followed by '~', which sorts after any
// time of day a datetime text in the date column may carry
// ("2024-01-31 10:00:00"). It needs no first day of the following month,
// which 9999-12 does not have.
func lastDayBound(m aggregator.Month) string { return m.LastDay() + "~" }
