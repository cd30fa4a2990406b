package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	aggregator "finance/go_aggregator"
)

// fullCopySQL streams every transaction in binary form.
const fullCopySQL = `COPY (SELECT user_id, date, category, type, amount_minor FROM ledger_transaction) TO STDOUT (FORMAT binary)`

// Full rebuilds every rollup. It holds the exclusive session advisory lock
// for the whole run, so no incremental batch overlaps it. The dirty rows and
// the transactions are read in one REPEATABLE READ READ ONLY transaction (one
// snapshot) and aggregated. The recomputed fingerprint of each user is then
// compared with the stored one (fingerprint.go): only the users that differ
// have their stored rollups read back, diffed (diff.go) and rewritten, so a
// rebuild over unchanged data costs about the COPY of the transactions.
// With opts.Verify no fingerprint is trusted: every stored row is read (on a
// second connection, overlapping the COPY) and compared.
// The snapshotted dirty rows are deleted, each only if its generation is
// unchanged, in the one READ COMMITTED write transaction, so rows bumped
// after the snapshot stay dirty. (Deleting them inside the repeatable-read
// transaction would fail with a serialization error whenever the API bumps a
// row concurrently.)
func (db *DB) Full(ctx context.Context, opts aggregator.RunOptions) (aggregator.RunReport, error) {
	start := time.Now()
	report := aggregator.RunReport{Mode: aggregator.ModeFull, Workers: opts.WorkerCount()}
	if err := db.live(ctx); err != nil {
		return report, err
	}

	if _, err := db.conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, AdvisoryLockKey); err != nil {
		return report, fmt.Errorf("take exclusive advisory lock: %w", err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = db.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, AdvisoryLockKey)
	}()

	// Fingerprints and rollups change only under the advisory lock, so
	// reading them now is as good as reading them at the write.
	storedFPs, err := readFingerprints(ctx, db.conn)
	if err != nil {
		return report, err
	}

	var stored *storedTable
	var dirty []aggregator.DirtyBucket
	var agg *aggregator.Aggregation
	g, gctx := errgroup.WithContext(ctx)
	if opts.Verify {
		g.Go(func() error {
			conn, err := db.another(gctx)
			if err != nil {
				return err
			}
			defer conn.Close(context.Background())
			stored, err = readStoredTable(gctx, conn, nil)
			return err
		})
	}
	g.Go(func() error {
		var err error
		dirty, agg, err = db.snapshot(gctx, opts)
		return err
	})
	if err := g.Wait(); err != nil {
		return report, err
	}

	fresh, err := agg.Fingerprints(ctx)
	if err != nil {
		return report, err
	}
	plan := planFingerprints(fresh, storedFPs, opts.Verify)
	var keep func(string) bool
	switch {
	case stored != nil: // --verify read it already
	case plan.everyUser:
		if stored, err = readStoredTable(ctx, db.conn, nil); err != nil {
			return report, err
		}
	default:
		keep = func(user string) bool { return plan.changed[user] }
		if stored, err = readStoredTable(ctx, db.conn, plan.changedUsers()); err != nil {
			return report, err
		}
	}
	result, err := agg.Result(keep)
	if err != nil {
		return report, err
	}
	diff := newRollupDiff(result)
	diff.compareTable(stored)
	stored = nil // let the collector have it before the writes

	tx, err := db.conn.Begin(ctx)
	if err != nil {
		return report, fmt.Errorf("begin full write: %w", err)
	}
	defer tx.Rollback(context.Background())
	written, deleted, err := diff.apply(ctx, tx)
	if err != nil {
		return report, err
	}
	if err := plan.apply(ctx, tx); err != nil {
		return report, err
	}
	if db.AfterClaim != nil {
		if err := db.AfterClaim(ctx, tx, dirty); err != nil {
			return report, fmt.Errorf("after claim hook: %w", err)
		}
	}
	if _, err := clearDirty(ctx, tx, dirty); err != nil {
		return report, err
	}
	if err := tx.Commit(ctx); err != nil {
		return report, fmt.Errorf("commit full write: %w", err)
	}

	buckets := agg.BucketCount()
	opts.Progress.AddBuckets(buckets)
	report.RowsRead = agg.RowsRead
	report.BucketsUpdated = buckets
	report.RollupsWritten = written
	report.RollupsDeleted = deleted
	report.RollupsKept = diff.unchanged + plan.keptRows
	report.RollupsCompared = diff.compared
	report.Finish(start)
	return report, nil
}

// snapshot reads the dirty generations and aggregates every transaction
// under one repeatable-read snapshot.
func (db *DB) snapshot(ctx context.Context, opts aggregator.RunOptions) ([]aggregator.DirtyBucket, *aggregator.Aggregation, error) {
	tx, err := db.conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, nil, fmt.Errorf("begin snapshot: %w", err)
	}
	defer tx.Rollback(context.Background())

	rows, err := tx.Query(ctx, `SELECT user_id::text, month, generation FROM ledger_dirtybucket`)
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot dirty buckets: %w", err)
	}
	var dirty []aggregator.DirtyBucket
	var b aggregator.DirtyBucket
	if _, err := pgx.ForEachRow(rows, []any{&b.UserID, &b.Month, &b.Generation}, func() error {
		dirty = append(dirty, b)
		return nil
	}); err != nil {
		return nil, nil, fmt.Errorf("snapshot dirty buckets: %w", err)
	}

	agg, err := AggregateCopy(ctx, db.conn, opts)
	if err != nil {
		return nil, nil, err
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, nil, fmt.Errorf("end snapshot: %w", err)
	}
	return dirty, agg, nil
}

// AggregateCopy streams every transaction with binary COPY and aggregates it
// with the engine, without emitting or writing anything. It runs in conn's
// current transaction, if any.
func AggregateCopy(ctx context.Context, conn *pgx.Conn, opts aggregator.RunOptions) (*aggregator.Aggregation, error) {
	engine := &aggregator.Engine{Workers: opts.WorkerCount(), UserName: formatUUID, Progress: opts.Progress}
	return engine.Aggregate(ctx, func(ctx context.Context, in *aggregator.Input) error {
		p := newTransactionParser(in)
		if _, err := conn.PgConn().CopyTo(ctx, p, fullCopySQL); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("copy transactions: %w", err)
		}
		return p.finish()
	})
}
