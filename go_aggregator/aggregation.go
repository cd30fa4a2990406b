package aggregator

import (
	"context"
	"sort"

	"golang.org/x/sync/errgroup"
)

// Aggregation is every user's accumulators after an Engine run, before any
// rollup is emitted.
type Aggregation struct {
	RowsRead int64
	workers  int
	in       *Input
	tables   []*userTable // by user number; nil for a user without rows
	order    []uint32     // the users with rows, by name
}

// aggregation merges the workers' tables; their users are disjoint.
func (in *Input) aggregation(shards [][]*userTable) *Aggregation {
	a := &Aggregation{RowsRead: in.rowsRead, workers: len(shards), in: in, tables: make([]*userTable, len(in.users))}
	for _, shard := range shards {
		for user, t := range shard {
			if t != nil {
				a.tables[user] = t
				a.order = append(a.order, uint32(user))
			}
		}
	}
	sort.Slice(a.order, func(i, j int) bool { return in.users[a.order[i]] < in.users[a.order[j]] })
	return a
}

// UserFingerprint is the Fingerprint of one user's recomputed rollups.
type UserFingerprint struct {
	UserID string
	Fingerprint
}

// Fingerprints returns the fingerprint of every user with rows, ordered by
// user id, computed on the engine's workers. It fails like Result when a
// rollup's transaction count overflows.
func (a *Aggregation) Fingerprints(ctx context.Context) ([]UserFingerprint, error) {
	catHashes := make([]uint64, len(a.in.cats))
	for i, c := range a.in.cats {
		catHashes[i] = CategoryHash(c)
	}
	out := make([]UserFingerprint, len(a.order))
	g, ctx := errgroup.WithContext(ctx)
	workers := max(a.workers, 1)
	per := (len(a.order) + workers - 1) / workers
	for lo := 0; lo < len(a.order); lo += per {
		hi := min(lo+per, len(a.order))
		g.Go(func() error {
			for i := lo; i < hi; i++ {
				if i%1024 == 0 && ctx.Err() != nil {
					return ctx.Err()
				}
				user := a.order[i]
				fp, err := a.tables[user].fingerprint(catHashes)
				if err != nil {
					return err
				}
				out[i] = UserFingerprint{UserID: a.in.users[user], Fingerprint: fp}
			}
			return nil
		})
	}
	return out, g.Wait()
}

// BucketCount returns the number of distinct (user, month) buckets with rows.
func (a *Aggregation) BucketCount() int64 {
	var n int64
	for _, user := range a.order {
		n += int64(a.tables[user].bucketCount())
	}
	return n
}

// Result emits the rollups of the users keep accepts (nil: every user), in
// the order of the unique key (user, month, category, type), so a writer
// inserts them in index order without sorting millions of rows. Result.Find
// knows only the emitted users. Call it once per Aggregation.
func (a *Aggregation) Result(keep func(userID string) bool) (*Result, error) {
	in := a.in
	order := a.order
	tables := a.tables
	if keep != nil {
		order = nil
		tables = make([]*userTable, len(a.tables))
		for _, user := range a.order {
			if keep(in.users[user]) {
				order = append(order, user)
				tables[user] = a.tables[user]
			}
		}
	}
	n := 0
	for _, user := range order {
		t := tables[user]
		n += t.filled + len(t.sparse)
	}
	months := make(map[Month]string)
	month := func(m Month) string {
		s, ok := months[m]
		if !ok {
			s = m.String()
			months[m] = s
		}
		return s
	}
	res := &Result{RowsRead: a.RowsRead, Rollups: make([]Rollup, 0, n), userIDs: in.userIDs, catIDs: in.catIDs, tables: tables}
	for _, user := range order {
		res.Rollups = tables[user].emit(res.Rollups, in.users[user], in.cats, month)
	}
	for i := range res.Rollups {
		if n := res.Rollups[i].TransactionCount; n > MaxTransactionCount {
			return nil, Errorf(EOVERFLOW, "transaction_count overflow: %d transactions in one rollup", n)
		}
	}
	return res, nil
}
