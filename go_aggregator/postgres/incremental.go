package postgres

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/sync/errgroup"

	aggregator "finance/go_aggregator"
)

// incrementalStreams is how many batches run at once, each in its own
// transaction on its own connection. A batch is mostly index scans on one
// PostgreSQL backend, so a second stream keeps the other core busy; more would
// only queue on the same cores (3 measured no faster). Claims stay in id order
// (incrementalRun.claim), so the streams never claim the same dirty row. Two
// batches touching one user do meet on its fingerprint row: the second waits
// for the first to commit; the fold comes last in a batch, in user order, so
// the wait is short and cannot deadlock.
const incrementalStreams = 2

// Incremental claims dirty buckets batch by batch and recomputes them. Each
// batch is one transaction; see the package comment for the locking.
func (db *DB) Incremental(ctx context.Context, opts aggregator.RunOptions) (aggregator.RunReport, error) {
	start := time.Now()
	run := &incrementalRun{opts: opts, report: aggregator.RunReport{Mode: aggregator.ModeIncremental, Workers: opts.WorkerCount()}}
	if err := db.live(ctx); err != nil {
		return run.report, err
	}
	// The first batch alone: a run with at most one batch of work (the common
	// case with --watch) opens no second connection.
	claimed, err := run.batch(ctx, db, db.conn)
	if err == nil && claimed == opts.Batch() {
		err = run.streams(ctx, db)
	}
	if err != nil {
		return run.report, err
	}
	run.report.Finish(start)
	return run.report, nil
}

// incrementalRun is the state the streams of one run share.
type incrementalRun struct {
	opts aggregator.RunOptions

	// claimMu serializes the claims. The id cursor makes a run finite: a row
	// left dirty because its generation moved keeps its id and is not claimed
	// again in this run.
	claimMu sync.Mutex
	afterID int64

	reportMu sync.Mutex
	report   aggregator.RunReport
}

// streams runs batches on db's connection and on one more until nothing is
// left to claim; the first error cancels the other stream.
func (run *incrementalRun) streams(ctx context.Context, db *DB) error {
	g, gctx := errgroup.WithContext(ctx)
	for i := range incrementalStreams {
		g.Go(func() error {
			conn := db.conn
			if i > 0 {
				var err error
				if conn, err = db.another(gctx); err != nil {
					if gctx.Err() != nil {
						return gctx.Err()
					}
					return err
				}
				defer conn.Close(context.Background())
			}
			for {
				claimed, err := run.batch(gctx, db, conn)
				if err != nil || claimed == 0 {
					return err
				}
			}
		})
	}
	return g.Wait()
}

// batch claims, recomputes and commits one batch on conn, adds it to the
// report and returns how many buckets it claimed. A batch refused as a whole
// while the connection is fine (a statement failing on one bucket's rows) is
// retried bucket by bucket, so that only the bucket at fault is reported and
// left dirty.
func (run *incrementalRun) batch(ctx context.Context, db *DB, conn *pgx.Conn) (int, error) {
	b, err := db.incrementalBatch(ctx, conn, run.opts, run.claim)
	err = lostConnection(ctx, conn, err)
	refused := err != nil && ctx.Err() == nil && aggregator.ErrorCode(err) != aggregator.EUNAVAILABLE
	if refused && len(b.buckets) > 0 {
		b, err = db.retrySingly(ctx, conn, run.opts, b.buckets)
	}
	if err != nil || b.claimed == 0 {
		return 0, err
	}
	run.reportMu.Lock()
	defer run.reportMu.Unlock()
	run.report.RowsRead += b.rows
	run.report.BucketsUpdated += b.updated
	run.report.RollupsWritten += b.rollups
	run.report.RollupsDeleted += b.deleted
	run.report.RollupsKept += b.unchanged
	run.report.RollupsCompared += b.compared
	run.report.AddFailures(b.failures)
	run.opts.Progress.AddBuckets(b.updated)
	return b.claimed, nil
}

// retrySingly recomputes each bucket of a failed batch in a transaction of
// its own (claimed again by id: one another aggregator took meanwhile is
// skipped) and reports those that fail again. A lost connection ends it.
func (db *DB) retrySingly(ctx context.Context, conn *pgx.Conn, opts aggregator.RunOptions, buckets []aggregator.DirtyBucket) (batchResult, error) {
	total := batchResult{claimed: len(buckets)}
	for _, b := range buckets {
		one, err := db.incrementalBatch(ctx, conn, opts, func(ctx context.Context, tx pgx.Tx) ([]aggregator.DirtyBucket, error) {
			return claimBucketByID(ctx, tx, b.ID)
		})
		if err != nil {
			if ctx.Err() != nil {
				return total, ctx.Err()
			}
			if err = lostConnection(ctx, conn, err); aggregator.ErrorCode(err) == aggregator.EUNAVAILABLE {
				return total, err
			}
			total.failures = append(total.failures, aggregator.Failure{UserID: b.UserID, Month: b.Month, Error: aggregator.ErrorMessage(err)})
			continue
		}
		total.rows += one.rows
		total.updated += one.updated
		total.rollups += one.rollups
		total.deleted += one.deleted
		total.unchanged += one.unchanged
		total.compared += one.compared
		total.failures = append(total.failures, one.failures...)
	}
	return total, nil
}

// lostConnection returns err as an EUNAVAILABLE error when conn no longer
// answers (a statement refused leaves it answering; a server gone does not),
// and err as it is otherwise.
func lostConnection(ctx context.Context, conn *pgx.Conn, err error) error {
	if err == nil || ctx.Err() != nil || aggregator.ErrorCode(err) != aggregator.EINTERNAL {
		return err
	}
	if !conn.IsClosed() && conn.Ping(ctx) == nil {
		return err
	}
	return aggregator.Errorf(aggregator.EUNAVAILABLE, "lost the postgres connection: %v", err)
}

// claim claims the next batch after the cursor and moves the cursor past it.
func (run *incrementalRun) claim(ctx context.Context, tx pgx.Tx) ([]aggregator.DirtyBucket, error) {
	run.claimMu.Lock()
	defer run.claimMu.Unlock()
	claimed, lastID, err := claimBuckets(ctx, tx, run.afterID, run.opts.Batch())
	if err == nil && len(claimed) > 0 {
		run.afterID = lastID
	}
	return claimed, err
}

// batchResult is what one batch did.
type batchResult struct {
	claimed   int                      // buckets claimed
	buckets   []aggregator.DirtyBucket // the claimed buckets, set on failure too (to retry them)
	rows      int64
	updated   int64 // buckets recomputed and cleared
	rollups   int64 // inserted or updated
	deleted   int64
	unchanged int64
	compared  int64
	failures  []aggregator.Failure // buckets claimed but not computed: left dirty
}

// claimFunc claims the buckets of one batch inside its transaction.
type claimFunc func(ctx context.Context, tx pgx.Tx) ([]aggregator.DirtyBucket, error)

// incrementalBatch recomputes the buckets claim claims in one transaction
// on conn. The buckets that cannot be computed (Failure) are left alone,
// stored rollups and dirty rows; the others are written and cleared.
func (db *DB) incrementalBatch(ctx context.Context, conn *pgx.Conn, opts aggregator.RunOptions, claim claimFunc) (batchResult, error) {
	var res batchResult
	tx, err := conn.Begin(ctx)
	if err != nil {
		return res, fmt.Errorf("begin batch: %w", err)
	}
	defer tx.Rollback(context.Background())

	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock_shared($1)`, AdvisoryLockKey); err != nil {
		return res, fmt.Errorf("take shared advisory lock: %w", err)
	}
	claimed, err := claim(ctx, tx)
	if err != nil {
		return res, err
	}
	if len(claimed) == 0 {
		return res, nil
	}
	res.buckets = claimed

	months, parsed, failed := aggregator.ParseClaimed(claimed)
	result, err := aggregateBuckets(ctx, tx, parsed, months, opts)
	if err != nil {
		return res, err
	}
	done, notComputed := aggregator.SplitClaimed(parsed, result.Failures)
	diff := newTrackingDiff(result)
	if err := diff.readBucketsStored(ctx, tx, done); err != nil {
		return res, err
	}
	written, deleted, err := diff.apply(ctx, tx)
	if err != nil {
		return res, err
	}
	if db.AfterClaim != nil {
		if err := db.AfterClaim(ctx, tx, claimed); err != nil {
			return res, fmt.Errorf("after claim hook: %w", err)
		}
	}
	if _, err := clearDirty(ctx, tx, done); err != nil {
		return res, err
	}
	// Last: the fingerprint rows are the only ones two batches can share.
	if err := diff.deltas.apply(ctx, tx); err != nil {
		return res, err
	}
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("commit batch: %w", err)
	}
	return batchResult{claimed: len(claimed), rows: result.RowsRead, updated: int64(len(done)), rollups: written,
		deleted: deleted, unchanged: diff.unchanged, compared: diff.compared, failures: append(failed, notComputed...)}, nil
}

// claimBuckets locks up to limit dirty rows after the cursor, skipping rows
// another aggregator (or an API write in flight) holds.
func claimBuckets(ctx context.Context, tx pgx.Tx, afterID int64, limit int) ([]aggregator.DirtyBucket, int64, error) {
	rows, err := tx.Query(ctx, `
		SELECT id, user_id::text, month, generation
		FROM ledger_dirtybucket
		WHERE id > $1
		ORDER BY id
		LIMIT $2
		FOR UPDATE SKIP LOCKED`, afterID, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("claim buckets: %w", err)
	}
	claimed, err := scanClaimed(rows)
	if err != nil {
		return nil, 0, err
	}
	var lastID int64
	if len(claimed) > 0 {
		lastID = claimed[len(claimed)-1].ID
	}
	// In key order, the per-bucket index scans walk the indexes forward.
	slices.SortFunc(claimed, func(a, b aggregator.DirtyBucket) int {
		return cmp.Or(cmp.Compare(a.UserID, b.UserID), cmp.Compare(a.Month, b.Month))
	})
	return claimed, lastID, nil
}

// claimBucketByID claims one dirty row again (a bucket of a failed batch),
// unless another aggregator holds it or it is gone.
func claimBucketByID(ctx context.Context, tx pgx.Tx, id int64) ([]aggregator.DirtyBucket, error) {
	rows, err := tx.Query(ctx, `
		SELECT id, user_id::text, month, generation FROM ledger_dirtybucket WHERE id = $1 FOR UPDATE SKIP LOCKED`, id)
	if err != nil {
		return nil, fmt.Errorf("claim bucket: %w", err)
	}
	return scanClaimed(rows)
}

// scanClaimed reads (id, user_id, month, generation) rows in id order.
func scanClaimed(rows pgx.Rows) ([]aggregator.DirtyBucket, error) {
	var claimed []aggregator.DirtyBucket
	var b aggregator.DirtyBucket
	if _, err := pgx.ForEachRow(rows, []any{&b.ID, &b.UserID, &b.Month, &b.Generation}, func() error {
		claimed = append(claimed, b)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("claim buckets: %w", err)
	}
	return claimed, nil
}

// The claimed buckets' rows: one index range scan per bucket and table.
var (
	bucketTransactionsSQL = bucketRowsSQL("ledger_transaction", "user_id, account_id, date, category_key, type, amount_minor")
	bucketTransfersSQL    = bucketRowsSQL("ledger_transfer", "user_id, from_account_id, to_account_id, date, amount_minor, to_amount_minor")
)

// bucketRowsSQL selects the columns of the rows of table dated in the
// buckets ($1 user ids, $2 first days, $3 last days). OFFSET 0 keeps the
// planner from flattening the LATERAL subquery into a join, which for a few
// thousand buckets it would run as a hash join over the whole table.
func bucketRowsSQL(table, columns string) string {
	return `
		SELECT t.* FROM unnest($1::text[], $2::text[], $3::text[]) AS b(user_id, first_day, last_day)
		CROSS JOIN LATERAL (
		  SELECT ` + columns + ` FROM ` + table + `
		  WHERE user_id = b.user_id::uuid AND date BETWEEN b.first_day::date AND b.last_day::date
		  OFFSET 0) t`
}

// aggregateBuckets streams the claimed buckets' transactions and transfers
// (months[i] is the parsed month of claimed[i]) through the engine. Each
// claimed bucket's dirty row is locked by this transaction, so no API write
// to these buckets commits between the two reads.
func aggregateBuckets(ctx context.Context, tx pgx.Tx, claimed []aggregator.DirtyBucket, months []aggregator.Month, opts aggregator.RunOptions) (*aggregator.Result, error) {
	users := make([]string, len(claimed))
	firsts := make([]string, len(claimed))
	lasts := make([]string, len(claimed))
	for i, b := range claimed {
		users[i], firsts[i], lasts[i] = b.UserID, months[i].FirstDay(), months[i].LastDay()
	}
	engine := &aggregator.Engine{Workers: opts.WorkerCount(), KeyName: formatUUID, Progress: opts.Progress}
	return engine.Run(ctx, func(ctx context.Context, in *aggregator.Input) error {
		err := eachRow(ctx, tx, "ledger_transaction", bucketTransactionsSQL, []any{users, firsts, lasts}, func(v [][]byte, fds []pgconn.FieldDescription) error {
			user := in.User(v[0])
			month, err := decodeMonth(v[2], fds[2].Format)
			if err != nil {
				in.FailUser(user, err)
				return nil
			}
			typ, err := aggregator.ParseTxnType(v[4])
			if err != nil {
				in.FailBucket(user, month, err)
				return nil
			}
			amount, err := decodeInt8(v[5], fds[5].Format)
			if err != nil {
				in.FailBucket(user, month, err)
				return nil
			}
			return in.Add(user, in.Account(v[1]), in.Category(v[3]), month, typ, amount)
		})
		if err != nil {
			return err
		}
		return eachRow(ctx, tx, "ledger_transfer", bucketTransfersSQL, []any{users, firsts, lasts}, func(v [][]byte, fds []pgconn.FieldDescription) error {
			user := in.User(v[0])
			month, err := decodeMonth(v[3], fds[3].Format)
			if err != nil {
				in.FailUser(user, err)
				return nil
			}
			amount, err := decodeInt8(v[4], fds[4].Format)
			if err != nil {
				in.FailBucket(user, month, err)
				return nil
			}
			toAmount, err := decodeInt8(v[5], fds[5].Format)
			if err != nil {
				in.FailBucket(user, month, err)
				return nil
			}
			return in.AddTransfer(user, in.Account(v[1]), in.Account(v[2]), month, amount, toAmount)
		})
	})
}

// eachRow runs sql and hands each row's raw values (no NULLs allowed; valid
// during the call only) to fn.
func eachRow(ctx context.Context, tx pgx.Tx, table, sql string, args []any, fn func(v [][]byte, fds []pgconn.FieldDescription) error) error {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	defer rows.Close()
	fds := rows.FieldDescriptions()
	for rows.Next() {
		v := rows.RawValues()
		if len(v) != len(fds) || slices.ContainsFunc(v, func(b []byte) bool { return b == nil }) {
			return aggregator.Errorf(aggregator.EINVALID, "unexpected NULL in %s", table)
		}
		if err := fn(v, fds); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", table, err)
	}
	return nil
}

// decodeMonth decodes a date value in either wire format.
func decodeMonth(b []byte, format int16) (aggregator.Month, error) {
	if format == pgx.BinaryFormatCode {
		if len(b) != 4 {
			return 0, aggregator.Errorf(aggregator.EINVALID, "binary date of %d bytes", len(b))
		}
		return aggregator.MonthOfPGDate(int32(binary.BigEndian.Uint32(b)))
	}
	return aggregator.MonthOfDate(b)
}

// decodeInt8 decodes a bigint value in either wire format.
func decodeInt8(b []byte, format int16) (int64, error) {
	if format == pgx.BinaryFormatCode {
		if len(b) != 8 {
			return 0, aggregator.Errorf(aggregator.EINVALID, "binary bigint of %d bytes", len(b))
		}
		return int64(binary.BigEndian.Uint64(b)), nil
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, aggregator.Errorf(aggregator.EINVALID, "invalid amount_minor %q", string(b))
	}
	return n, nil
}
