package aggregator

import "sort"

// Result is the outcome of one aggregation.
type Result struct {
	RowsRead int64
	// Rollups are ordered by user id, month, category and type (byte order).
	Rollups []Rollup
	// Failures are the buckets left out of Rollups, in (user, month) order.
	Failures []Failure

	userIDs     userIndex         // raw user key -> user number
	catIDs      map[string]uint32 // category -> category number
	tables      []*userTable      // by user number
	failedUsers map[uint32]bool   // users with a failed bucket
}

// UserFailed reports whether a bucket of the user (by the raw key the read
// function gave Input.User) failed.
func (r *Result) UserFailed(userKey []byte) bool {
	if len(r.failedUsers) == 0 {
		return false
	}
	user, ok := r.userIDs.get(userKey)
	return ok && r.failedUsers[user]
}

// Find returns the index in r.Rollups of the rollup of (user, month,
// category, type), where user is the raw key the read function gave
// Input.User, or -1 if the aggregation has none. It does not allocate, so a
// writer can compare millions of existing rows against the result.
func (r *Result) Find(userKey []byte, month Month, category []byte, typ TxnType) int {
	user, ok := r.userIDs.get(userKey)
	if !ok {
		return -1
	}
	cat, ok := r.catIDs[string(category)]
	if !ok || int(user) >= len(r.tables) || r.tables[user] == nil {
		return -1
	}
	return r.tables[user].find(cat, month, typ)
}

// Buckets returns the distinct (user, month) buckets present in the result.
// Rollups in key order (as Run leaves them) need no map: a bucket's rows are
// adjacent.
func (r *Result) Buckets() []Bucket {
	var out []Bucket
	for i, ru := range r.Rollups {
		b := Bucket{UserID: ru.UserID, Month: ru.Month}
		if i > 0 {
			prev := out[len(out)-1]
			if b == prev {
				continue
			}
			if b.UserID < prev.UserID || (b.UserID == prev.UserID && b.Month < prev.Month) {
				return r.unorderedBuckets()
			}
		}
		out = append(out, b)
	}
	return out
}

// unorderedBuckets is Buckets for rollups in any order.
func (r *Result) unorderedBuckets() []Bucket {
	seen := make(map[Bucket]struct{})
	var out []Bucket
	for _, ru := range r.Rollups {
		b := Bucket{UserID: ru.UserID, Month: ru.Month}
		if _, ok := seen[b]; !ok {
			seen[b] = struct{}{}
			out = append(out, b)
		}
	}
	return out
}

// SortRollups orders rollups by user, month, category and type; handy for
// deterministic writes and comparisons.
func SortRollups(rs []Rollup) {
	sort.Slice(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.UserID != b.UserID {
			return a.UserID < b.UserID
		}
		if a.Month != b.Month {
			return a.Month < b.Month
		}
		if a.Category != b.Category {
			return a.Category < b.Category
		}
		return a.Type < b.Type
	})
}
