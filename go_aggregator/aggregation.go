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

	failures    []Failure       // in (user, month) order
	failedUsers map[uint32]bool // users with any failure
	failedNames map[string]bool // the same, by user id
	monthless   map[uint32]bool // users with a row of no month: none of their buckets is emitted
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
	a.collectFailures()
	return a
}

// collectFailures gathers the read function's failures and the workers'
// failed months into one list, one entry per bucket (the first error).
func (a *Aggregation) collectFailures() {
	a.failedUsers, a.failedNames, a.monthless = map[uint32]bool{}, map[string]bool{}, map[uint32]bool{}
	seen := map[Bucket]bool{}
	add := func(user uint32, month, msg string) {
		b := Bucket{UserID: a.in.users[user], Month: month}
		if !seen[b] {
			seen[b] = true
			a.failures = append(a.failures, Failure{UserID: b.UserID, Month: month, Error: msg})
			a.failedUsers[user], a.failedNames[b.UserID] = true, true
		}
	}
	for _, f := range a.in.failures {
		switch t := a.tables[f.user]; {
		case f.month == noMonth:
			a.monthless[f.user] = true
			add(f.user, "", ErrorMessage(f.err))
		case t != nil:
			t.fail(f.month, f.err)
		default: // no row of the user was added: nothing to leave out, only to report
			add(f.user, f.month.String(), ErrorMessage(f.err))
		}
	}
	for _, user := range a.order {
		for m, msg := range a.tables[user].failed {
			add(user, m.String(), msg)
		}
	}
	sortFailures(a.failures)
}

// Failures returns the buckets that could not be computed, in (user, month)
// order. Result leaves them out; a full rebuild leaves their users alone.
func (a *Aggregation) Failures() []Failure { return a.failures }

// UserFailed reports whether any bucket of the user (by id) failed.
func (a *Aggregation) UserFailed(userID string) bool { return a.failedNames[userID] }

// okUsers returns the users with rows and no failure, by name.
func (a *Aggregation) okUsers() []uint32 {
	if len(a.failedUsers) == 0 {
		return a.order
	}
	ok := make([]uint32, 0, len(a.order))
	for _, user := range a.order {
		if !a.failedUsers[user] {
			ok = append(ok, user)
		}
	}
	return ok
}

// UserFingerprint is the Fingerprint of one user's recomputed rollups.
type UserFingerprint struct {
	UserID string
	Fingerprint
}

// Fingerprints returns the fingerprint of every user with rows and no
// failure, ordered by user id, computed on the engine's workers.
func (a *Aggregation) Fingerprints(ctx context.Context) ([]UserFingerprint, error) {
	catHashes := make([]uint64, len(a.in.cats))
	for i, c := range a.in.cats {
		catHashes[i] = CategoryHash(c)
	}
	accountHashes := make([]uint64, len(a.in.accounts))
	for i, acc := range a.in.accounts {
		accountHashes[i] = AccountHash(acc)
	}
	users := a.okUsers()
	out := make([]UserFingerprint, len(users))
	g, ctx := errgroup.WithContext(ctx)
	workers := max(a.workers, 1)
	per := (len(users) + workers - 1) / workers
	for lo := 0; lo < len(users); lo += per {
		hi := min(lo+per, len(users))
		g.Go(func() error {
			for i := lo; i < hi; i++ {
				if i%1024 == 0 && ctx.Err() != nil {
					return ctx.Err()
				}
				user := users[i]
				out[i] = UserFingerprint{UserID: a.in.users[user], Fingerprint: a.tables[user].fingerprint(accountHashes, catHashes)}
			}
			return nil
		})
	}
	return out, g.Wait()
}

// BucketCount returns the number of distinct (user, month) buckets with
// rows of the users without failures.
func (a *Aggregation) BucketCount() int64 {
	var n int64
	for _, user := range a.okUsers() {
		n += int64(a.tables[user].bucketCount())
	}
	return n
}

// Result emits the rollups of the users keep accepts (nil: every user), in
// the order of the unique key (user, month, account, category, type), so a writer
// inserts them in index order without sorting millions of rows. Failed
// buckets are left out (all of a user's, for a row without a month); the
// Result lists them. Result.Find knows only the emitted rollups. Call it
// once per Aggregation.
func (a *Aggregation) Result(keep func(userID string) bool) *Result {
	in := a.in
	order := a.order
	tables := a.tables
	if keep != nil || len(a.monthless) > 0 {
		order = nil
		tables = make([]*userTable, len(a.tables))
		for _, user := range a.order {
			if !a.monthless[user] && (keep == nil || keep(in.users[user])) {
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
	e := newEmitter(in.accounts, in.cats)
	res := &Result{RowsRead: a.RowsRead, Rollups: make([]Rollup, 0, n), Failures: a.failures,
		userIDs: in.userIDs, accountIDs: in.accountIDs, catIDs: in.catIDs, tables: tables, failedUsers: a.failedUsers}
	for _, user := range order {
		res.Rollups = tables[user].emit(res.Rollups, in.users[user], e)
	}
	return res
}
