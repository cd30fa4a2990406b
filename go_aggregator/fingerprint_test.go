package aggregator_test

import (
	"context"
	"testing"

	aggregator "finance/go_aggregator"
)

func aggregate(t *testing.T, e *aggregator.Engine, txns []txn) *aggregator.Aggregation {
	t.Helper()
	a, err := e.Aggregate(context.Background(), feed(txns))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAggregation_FingerprintsMatchTheRollups(t *testing.T) {
	for _, workers := range []int{1, 3} {
		// Dense grids and users that went sparse, computed on several workers.
		txns := append(spreadTxns(uint64(workers)+7), randomTxns(12, 4000, 57)...)
		a := aggregate(t, &aggregator.Engine{Workers: workers, RowBatch: 16}, txns)
		fps, err := a.Fingerprints(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want, err := aggregator.FingerprintsOf(naive(t, txns))
		if err != nil {
			t.Fatal(err)
		}
		if len(fps) != len(want) {
			t.Fatalf("%d fingerprints, want %d", len(fps), len(want))
		}
		for i, f := range fps {
			if i > 0 && fps[i-1].UserID >= f.UserID {
				t.Fatalf("fingerprints out of order at %d", i)
			}
			if f.Fingerprint != want[f.UserID] || f.Count == 0 {
				t.Errorf("user %s: fingerprint %+v, want %+v", f.UserID, f.Fingerprint, want[f.UserID])
			}
		}
		var buckets int64
		seen := map[aggregator.Bucket]bool{}
		for _, r := range naive(t, txns) {
			if b := (aggregator.Bucket{UserID: r.UserID, Month: r.Month}); !seen[b] {
				seen[b] = true
				buckets++
			}
		}
		if got := a.BucketCount(); got != buckets {
			t.Errorf("BucketCount = %d, want %d", got, buckets)
		}
	}
}

func TestAggregation_ResultKeepsOnlyChosenUsers(t *testing.T) {
	txns := randomTxns(3, 2000, 9)
	all := naive(t, txns)
	keepUser := all[0].UserID
	res := aggregate(t, &aggregator.Engine{Workers: 2}, txns).Result(func(user string) bool { return user == keepUser })
	var want []aggregator.Rollup
	for _, r := range all {
		if r.UserID == keepUser {
			want = append(want, r)
		}
	}
	if len(res.Rollups) != len(want) {
		t.Fatalf("%d rollups, want %d", len(res.Rollups), len(want))
	}
	for i, r := range want {
		if res.Rollups[i] != r {
			t.Fatalf("rollup %d = %+v, want %+v", i, res.Rollups[i], r)
		}
	}
	// Find knows the kept user only.
	for _, r := range all {
		m, _ := aggregator.ParseMonth(r.Month)
		typ, _ := aggregator.ParseTxnType(r.Type)
		if got := res.Find([]byte(r.UserID), m, []byte(r.Category), typ); (got >= 0) != (r.UserID == keepUser) {
			t.Fatalf("Find(%+v) = %d", r, got)
		}
	}
}

func TestRollupHash_EveryFieldCounts(t *testing.T) {
	base := aggregator.RollupHash(aggregator.CategoryHash("food"), aggregator.MonthOfYM(2024, 5), aggregator.Expense, 1250, 3)
	variants := map[string]uint64{
		"category": aggregator.RollupHash(aggregator.CategoryHash("fooe"), aggregator.MonthOfYM(2024, 5), aggregator.Expense, 1250, 3),
		"empty":    aggregator.RollupHash(aggregator.CategoryHash(""), aggregator.MonthOfYM(2024, 5), aggregator.Expense, 1250, 3),
		"month":    aggregator.RollupHash(aggregator.CategoryHash("food"), aggregator.MonthOfYM(2024, 6), aggregator.Expense, 1250, 3),
		"type":     aggregator.RollupHash(aggregator.CategoryHash("food"), aggregator.MonthOfYM(2024, 5), aggregator.Income, 1250, 3),
		"total":    aggregator.RollupHash(aggregator.CategoryHash("food"), aggregator.MonthOfYM(2024, 5), aggregator.Expense, 1251, 3),
		"count":    aggregator.RollupHash(aggregator.CategoryHash("food"), aggregator.MonthOfYM(2024, 5), aggregator.Expense, 1250, 4),
		"swapped":  aggregator.RollupHash(aggregator.CategoryHash("food"), aggregator.MonthOfYM(2024, 5), aggregator.Expense, 3, 1250),
	}
	for name, h := range variants {
		if h == base {
			t.Errorf("changing the %s leaves the hash unchanged", name)
		}
	}
	if aggregator.CategoryHash("food") != aggregator.CategoryHash([]byte("food")) {
		t.Error("string and []byte category hashes differ")
	}
}

func TestFingerprint_AddRemoveIsOrderFree(t *testing.T) {
	hashes := []uint64{0x9e3779b97f4a7c15, 42, 1 << 63, 7}
	var a, b aggregator.Fingerprint
	for i := range hashes {
		a.Add(hashes[i])
		b.Add(hashes[len(hashes)-1-i])
	}
	if a != b {
		t.Fatalf("order matters: %+v vs %+v", a, b)
	}
	a.Remove(42)
	var c aggregator.Fingerprint
	for _, h := range []uint64{0x9e3779b97f4a7c15, 1 << 63, 7} {
		c.Add(h)
	}
	if a != c {
		t.Fatalf("remove is not the inverse of add: %+v vs %+v", a, c)
	}
}
