package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	aggregator "finance/go_aggregator"
)

// fullCopySQL streams every transaction in binary form, fullTransferCopySQL
// every transfer.
const (
	fullCopySQL         = `COPY (SELECT user_id, account_id, date, category_key, type, amount_minor FROM ledger_transaction) TO STDOUT (FORMAT binary)`
	fullTransferCopySQL = `COPY (SELECT user_id, from_account_id, to_account_id, date, amount_minor, to_amount_minor FROM ledger_transfer) TO STDOUT (FORMAT binary)`
)

// Full rebuilds every rollup. It holds the exclusive session advisory lock
// for the whole run, so no incremental batch overlaps it. The dirty rows, the
// transactions and the transfers are read in one REPEATABLE READ READ ONLY
// transaction (one snapshot) and aggregated (readRebuild). The recomputed fingerprint of each
// user is then compared with the stored one (fingerprint.go): only the users
// that differ have their stored rollups read back and diffed (diff.go), so a
// rebuild over unchanged data costs about the COPYs of the transactions and
// transfers (planRebuild). With opts.Verify no fingerprint is trusted: every stored row
// is read (on a second connection, overlapping the COPY) and compared.
// The snapshotted dirty rows are deleted, each only if its generation is
// unchanged, in the one READ COMMITTED write transaction, so rows bumped
// after the snapshot stay dirty (writeRebuild). (Deleting them inside the
// repeatable-read transaction would fail with a serialization error whenever
// the API bumps a row concurrently.) A user with a bucket that cannot be
// computed is left as it was: rollups, fingerprint and dirty rows.
func (db *DB) Full(ctx context.Context, opts aggregator.RunOptions) (report aggregator.RunReport, err error) {
	start := time.Now()
	report = aggregator.RunReport{Mode: aggregator.ModeFull, Workers: opts.WorkerCount()}
	defer func() { err = lostConnection(ctx, db.conn, err) }()
	if err := db.live(ctx); err != nil {
		return report, err
	}
	unlock, err := db.lockExclusive(ctx)
	if err != nil {
		return report, err
	}
	defer unlock()

	read, err := db.readRebuild(ctx, opts)
	if err != nil {
		return report, err
	}
	plan, err := db.planRebuild(ctx, read, opts.Verify)
	if err != nil {
		return report, err
	}
	written, deleted, err := db.writeRebuild(ctx, plan)
	if err != nil {
		return report, err
	}

	buckets := read.agg.BucketCount()
	opts.Progress.AddBuckets(buckets)
	report.RowsRead = read.agg.RowsRead
	report.BucketsUpdated = buckets
	report.RollupsWritten = written
	report.RollupsDeleted = deleted
	report.RollupsKept = plan.diff.unchanged + plan.fingerprints.keptRows
	report.RollupsCompared = plan.diff.compared
	report.AddFailures(read.agg.Failures())
	report.Finish(start)
	return report, nil
}

// lockExclusive takes the exclusive session advisory lock and returns its release.
func (db *DB) lockExclusive(ctx context.Context) (unlock func(), err error) {
	if _, err := db.conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, AdvisoryLockKey); err != nil {
		return nil, fmt.Errorf("take exclusive advisory lock: %w", err)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = db.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, AdvisoryLockKey)
	}, nil
}

// rebuildInput is what a full rebuild reads before it decides what to write.
type rebuildInput struct {
	storedFPs map[string]storedFingerprint
	stored    *storedTable // with --verify: every stored rollup; otherwise nil
	dirty     []aggregator.DirtyBucket
	agg       *aggregator.Aggregation
}

// readRebuild reads the stored fingerprints, then the dirty rows and every
// transaction and transfer under one snapshot (and, with verify, every stored rollup on a
// second connection at the same time).
func (db *DB) readRebuild(ctx context.Context, opts aggregator.RunOptions) (*rebuildInput, error) {
	// Fingerprints and rollups change only under the advisory lock, so
	// reading them now is as good as reading them at the write.
	storedFPs, err := readFingerprints(ctx, db.conn)
	if err != nil {
		return nil, err
	}
	read := &rebuildInput{storedFPs: storedFPs}
	g, gctx := errgroup.WithContext(ctx)
	if opts.Verify {
		g.Go(func() error {
			conn, err := db.another(gctx)
			if err != nil {
				return err
			}
			defer conn.Close(context.Background())
			read.stored, err = readStoredTable(gctx, conn, nil)
			return err
		})
	}
	g.Go(func() error {
		var err error
		read.dirty, read.agg, err = db.snapshot(gctx, opts)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return read, nil
}

// rebuildPlan is what a full rebuild writes.
type rebuildPlan struct {
	fingerprints *fingerprintPlan
	diff         *rollupDiff
	clear        []aggregator.DirtyBucket // the snapshotted dirty rows of the users without failures
}

// planRebuild compares the recomputed fingerprints with the stored ones,
// reads back the stored rollups of the users that differ (all of them when
// verify or when most differ) and diffs them with the recomputation. Users
// with a failed bucket are left out of all of it.
func (db *DB) planRebuild(ctx context.Context, read *rebuildInput, verify bool) (*rebuildPlan, error) {
	agg := read.agg
	fresh, err := agg.Fingerprints(ctx)
	if err != nil {
		return nil, err
	}
	fps := planFingerprints(fresh, read.storedFPs, verify, agg.UserFailed)
	stored := read.stored
	keep := func(user string) bool { return !agg.UserFailed(user) }
	switch {
	case stored != nil: // --verify read it already
	case fps.everyUser:
		if stored, err = readStoredTable(ctx, db.conn, nil); err != nil {
			return nil, err
		}
	default:
		keep = func(user string) bool { return fps.changed[user] }
		if stored, err = readStoredTable(ctx, db.conn, fps.changedUsers()); err != nil {
			return nil, err
		}
	}
	diff := newRollupDiff(agg.Result(keep))
	diff.compareTable(stored)
	plan := &rebuildPlan{fingerprints: fps, diff: diff}
	for _, b := range read.dirty {
		if !agg.UserFailed(b.UserID) {
			plan.clear = append(plan.clear, b)
		}
	}
	return plan, nil
}

// writeRebuild writes the plan in one READ COMMITTED transaction and returns
// the rollups inserted or updated and deleted.
func (db *DB) writeRebuild(ctx context.Context, plan *rebuildPlan) (written, deleted int64, err error) {
	if db.BeforeWrite != nil {
		if err := db.BeforeWrite(ctx); err != nil {
			return 0, 0, fmt.Errorf("before write hook: %w", err)
		}
	}
	tx, err := db.conn.Begin(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("begin full write: %w", err)
	}
	defer tx.Rollback(context.Background())
	if written, deleted, err = plan.diff.apply(ctx, tx); err != nil {
		return 0, 0, err
	}
	if err := plan.fingerprints.apply(ctx, tx, plan.diff.partial); err != nil {
		return 0, 0, err
	}
	if db.AfterClaim != nil {
		if err := db.AfterClaim(ctx, tx, plan.clear); err != nil {
			return 0, 0, fmt.Errorf("after claim hook: %w", err)
		}
	}
	if _, err := clearDirty(ctx, tx, plan.clear); err != nil {
		return 0, 0, err
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, 0, fmt.Errorf("commit full write: %w", err)
	}
	return written, deleted, nil
}

// snapshot reads the dirty generations and aggregates every transaction and
// transfer under one repeatable-read snapshot.
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

// AggregateCopy streams every transaction, then every transfer, with binary
// COPY and aggregates them with the engine, without emitting or writing
// anything. It runs in conn's current transaction, if any (a full rebuild's
// snapshot: both COPYs see one state).
func AggregateCopy(ctx context.Context, conn *pgx.Conn, opts aggregator.RunOptions) (*aggregator.Aggregation, error) {
	engine := &aggregator.Engine{Workers: opts.WorkerCount(), KeyName: formatUUID, Progress: opts.Progress}
	return engine.Aggregate(ctx, func(ctx context.Context, in *aggregator.Input) error {
		for _, c := range []struct {
			sql, what string
			parser    *copyParser
		}{
			{fullCopySQL, "transactions", newTransactionParser(in)},
			{fullTransferCopySQL, "transfers", newTransferParser(in)},
		} {
			if _, err := conn.PgConn().CopyTo(ctx, c.parser, c.sql); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("copy %s: %w", c.what, err)
			}
			if err := c.parser.finish(); err != nil {
				return err
			}
		}
		return nil
	})
}
