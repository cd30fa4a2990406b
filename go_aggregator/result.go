package aggregator

import "sort"

// Result is the outcome of one aggregation.
type Result struct {
	RowsRead int64
	// Rollups are ordered by user id, month, account id, category and type
	// (byte order).
	Rollups []Rollup
	// Failures are the buckets left out of Rollups, in (user, month) order.
	Failures []Failure

	userIDs     userIndex         // raw user key -> user number
	accountIDs  userIndex         // raw account key -> account number
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
// account, category, type), where user and account are the raw keys the
// read function gave Input.User and Input.Account, or -1 if the aggregation
// has none. It does not allocate, so a writer can compare millions of
// existing rows against the result.
func (r *Result) Find(userKey []byte, month Month, accountKey, category []byte, typ TxnType) int {
	user, ok := r.userIDs.get(userKey)
	if !ok {
		return -1
	}
	account, ok := r.accountIDs.get(accountKey)
	if !ok {
		return -1
	}
	cat, ok := r.catIDs[string(category)]
	if !ok || int(user) >= len(r.tables) || r.tables[user] == nil {
		return -1
	}
	return r.tables[user].find(rowKey{account: account, category: cat, typ: typ}, month)
}

// SortRollups orders rollups by user, month, account, category and type;
// handy for deterministic writes and comparisons.
func SortRollups(rs []Rollup) {
	sort.Slice(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.UserID != b.UserID {
			return a.UserID < b.UserID
		}
		if a.Month != b.Month {
			return a.Month < b.Month
		}
		if a.AccountID != b.AccountID {
			return a.AccountID < b.AccountID
		}
		if a.Category != b.Category {
			return a.Category < b.Category
		}
		return a.Type < b.Type
	})
}
