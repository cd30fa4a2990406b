package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	aggregator "finance/go_aggregator"
)

// insertRowsPerStatement keeps a multi-row INSERT well under SQLite's
// parameter limit (7 parameters per row).
const insertRowsPerStatement = 200

// Incremental claims dirty buckets batch by batch, each batch in its own
// BEGIN IMMEDIATE transaction, and recomputes them. A bucket that cannot be
// computed is reported and left dirty; the others are written.
func (db *DB) Incremental(ctx context.Context, opts aggregator.RunOptions) (aggregator.RunReport, error) {
	start := time.Now()
	report := aggregator.RunReport{Mode: aggregator.ModeIncremental, Workers: opts.WorkerCount()}
	// The id cursor makes a run finite: a row left dirty because its
	// generation moved, or because it failed, keeps its id and is not
	// claimed again in this run.
	var afterID int64
	for {
		b, err := db.incrementalBatch(ctx, opts, afterID)
		if err != nil {
			return report, err
		}
		if b.claimed == 0 {
			break
		}
		afterID = b.lastID
		report.RowsRead += b.rows
		report.BucketsUpdated += b.updated
		report.RollupsWritten += b.written
		report.AddFailures(b.failures)
		opts.Progress.AddBuckets(b.updated)
	}
	report.Finish(start)
	return report, nil
}

// batchResult is what one incremental batch did.
type batchResult struct {
	claimed       int
	lastID        int64
	rows, written int64
	updated       int64 // buckets recomputed and cleared
	failures      []aggregator.Failure
}

func (db *DB) incrementalBatch(ctx context.Context, opts aggregator.RunOptions, afterID int64) (batchResult, error) {
	var res batchResult
	tx, err := db.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE via _txlock
	if err != nil {
		return res, fmt.Errorf("begin batch: %w", err)
	}
	defer tx.Rollback()

	claimed, lastID, err := claimBuckets(ctx, tx, afterID, opts.Batch())
	if err != nil || len(claimed) == 0 {
		return res, err
	}
	months, parsed, failed := aggregator.ParseClaimed(claimed)
	engine := &aggregator.Engine{Workers: opts.WorkerCount(), Progress: opts.Progress}
	result, err := engine.Run(ctx, func(ctx context.Context, in *aggregator.Input) error {
		for _, r := range readers {
			stmt, err := tx.PrepareContext(ctx, r.sql+` WHERE user_id = ? AND "date" BETWEEN ? AND ?`)
			if err != nil {
				return fmt.Errorf("read %s: %w", r.table, err)
			}
			for i, b := range parsed {
				rows, err := stmt.QueryContext(ctx, b.UserID, months[i].FirstDay(), lastDayBound(months[i]))
				if err == nil {
					err = r.scan(rows, in)
				}
				if err != nil {
					stmt.Close()
					return fmt.Errorf("read %s: %w", r.table, err)
				}
			}
			if err := stmt.Close(); err != nil {
				return fmt.Errorf("read %s: %w", r.table, err)
			}
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	done, notComputed := aggregator.SplitClaimed(parsed, result.Failures)

	del, err := tx.PrepareContext(ctx, `DELETE FROM ledger_monthlyrollup WHERE user_id = ? AND month = ?`)
	if err != nil {
		return res, fmt.Errorf("delete bucket rollups: %w", err)
	}
	defer del.Close()
	for _, b := range done {
		if _, err := del.ExecContext(ctx, b.UserID, b.Month); err != nil {
			return res, fmt.Errorf("delete bucket rollups: %w", err)
		}
	}
	written, err := insertRollups(ctx, tx, result.Rollups)
	if err != nil {
		return res, err
	}
	if err := db.finishClaim(ctx, tx, done); err != nil {
		return res, err
	}
	if err := tx.Commit(); err != nil {
		return res, fmt.Errorf("commit batch: %w", err)
	}
	return batchResult{claimed: len(claimed), lastID: lastID, rows: result.RowsRead, written: written,
		updated: int64(len(done)), failures: append(failed, notComputed...)}, nil
}

// Full rebuilds every rollup inside one BEGIN IMMEDIATE transaction: the
// dirty snapshot, the read, the rewrite and the dirty-row deletes all see one
// state, and no writer can slip in between (API writes wait on busy_timeout).
// A user with a bucket that cannot be computed is left as it was: rollups
// and dirty marks.
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
	agg, err := engine.Aggregate(ctx, func(ctx context.Context, in *aggregator.Input) error {
		for _, r := range readers {
			rows, err := tx.QueryContext(ctx, r.sql)
			if err == nil {
				err = r.scan(rows, in)
			}
			if err != nil {
				return fmt.Errorf("read %s: %w", r.table, err)
			}
		}
		return nil
	})
	if err != nil {
		return report, err
	}
	failures := agg.Failures()
	result := agg.Result(func(user string) bool { return !agg.UserFailed(user) })
	if err := deleteRollupsExcept(ctx, tx, failures); err != nil {
		return report, err
	}
	written, err := insertRollups(ctx, tx, result.Rollups)
	if err != nil {
		return report, err
	}
	done := dirty[:0:0]
	for _, b := range dirty {
		if !agg.UserFailed(b.UserID) {
			done = append(done, b)
		}
	}
	if err := db.finishClaim(ctx, tx, done); err != nil {
		return report, err
	}
	if err := tx.Commit(); err != nil {
		return report, fmt.Errorf("commit full rebuild: %w", err)
	}
	buckets := agg.BucketCount()
	opts.Progress.AddBuckets(buckets)
	report.RowsRead = result.RowsRead
	report.BucketsUpdated = buckets
	report.RollupsWritten = written
	report.AddFailures(failures)
	report.Finish(start)
	return report, nil
}

// deleteRollupsExcept deletes every rollup but those of the failures' users.
func deleteRollupsExcept(ctx context.Context, tx *sql.Tx, failures []aggregator.Failure) error {
	users := make([]string, 0, len(failures))
	for _, f := range failures {
		users = append(users, f.UserID)
	}
	list, err := json.Marshal(users)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM ledger_monthlyrollup WHERE user_id NOT IN (SELECT value FROM json_each(?))`, string(list)); err != nil {
		return fmt.Errorf("delete rollups: %w", err)
	}
	return nil
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

// readers are the tables a bucket's rollups come from: the SELECT of each
// (a WHERE clause may follow) and the function that feeds its rows to the
// engine.
var readers = []struct {
	table, sql string
	scan       func(rows *sql.Rows, in *aggregator.Input) error
}{
	{"ledger_transaction", `SELECT user_id, account_id, CAST("date" AS TEXT), category_key, type, amount_minor FROM ledger_transaction`, scanTransactions},
	{"ledger_transfer", `SELECT user_id, from_account_id, to_account_id, CAST("date" AS TEXT), amount_minor, to_amount_minor FROM ledger_transfer`, scanTransfers},
}

// scanTransactions feeds (user_id, account_id, date, category_key, type,
// amount_minor) rows into the engine and closes rows. A row that cannot be
// read fails its bucket (its user, when its date names no month) and the
// read goes on.
func scanTransactions(rows *sql.Rows, in *aggregator.Input) error {
	defer rows.Close()
	var user, account, category, typ sql.RawBytes
	var date dateMonth
	var amount amountMinor
	for rows.Next() {
		if err := rows.Scan(&user, &account, &date, &category, &typ, &amount); err != nil {
			return err
		}
		u := in.User(user)
		if date.err != nil {
			in.FailUser(u, date.err)
			continue
		}
		t, err := aggregator.ParseTxnType([]byte(typ))
		if err == nil {
			err = amount.err
		}
		if err != nil {
			in.FailBucket(u, date.month, err)
			continue
		}
		if err := in.Add(u, in.Account(account), in.Category(category), date.month, t, amount.value); err != nil {
			return err
		}
	}
	return rows.Err()
}

// scanTransfers feeds (user_id, from_account_id, to_account_id, date,
// amount_minor, to_amount_minor) rows into the engine as two legs each and
// closes rows; a row that cannot be read fails like a transaction's.
func scanTransfers(rows *sql.Rows, in *aggregator.Input) error {
	defer rows.Close()
	var user, from, to sql.RawBytes
	var date dateMonth
	var amount, toAmount amountMinor
	for rows.Next() {
		if err := rows.Scan(&user, &from, &to, &date, &amount, &toAmount); err != nil {
			return err
		}
		u := in.User(user)
		if date.err != nil {
			in.FailUser(u, date.err)
			continue
		}
		if err := cmp.Or(amount.err, toAmount.err); err != nil {
			in.FailBucket(u, date.month, err)
			continue
		}
		if err := in.AddTransfer(u, in.Account(from), in.Account(to), date.month, amount.value, toAmount.value); err != nil {
			return err
		}
	}
	return rows.Err()
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
	args := make([]any, 0, 7*insertRowsPerStatement)
	for start := 0; start < len(rollups); start += insertRowsPerStatement {
		chunk := rollups[start:min(start+insertRowsPerStatement, len(rollups))]
		args = args[:0]
		for _, r := range chunk {
			if r.TransactionCount > aggregator.MaxTransactionCount {
				return 0, aggregator.Errorf(aggregator.EOVERFLOW, "transaction_count overflow in %s %s", r.UserID, r.Month)
			}
			args = append(args, r.UserID, r.Month, r.AccountID, r.Category, r.Type, r.TotalMinor, r.TransactionCount)
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
	b.WriteString(`INSERT INTO ledger_monthlyrollup (user_id, month, account_id, category, type, total_minor, transaction_count) VALUES `)
	for i := 0; i < rows; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?)")
	}
	return b.String()
}

// lastDayBound is the inclusive upper bound of a month's dates as SQLite
// compares them (text): its last day followed by '~', which sorts after any
// time of day a datetime text in the date column may carry
// ("2024-01-31 10:00:00"). It needs no first day of the following month,
// which 9999-12 does not have.
func lastDayBound(m aggregator.Month) string { return m.LastDay() + "~" }
