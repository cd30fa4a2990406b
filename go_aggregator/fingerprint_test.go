package aggregator_test

import (
	"context"
	"testing"

	aggregator "finance/go_aggregator"
)

func aggregate(t *testing.T, e *aggregator.Engine, txns []txn, xfers ...xfer) *aggregator.Aggregation {
	t.Helper()
	a, err := e.Aggregate(context.Background(), feed(txns, xfers...))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAggregation_FingerprintsMatchTheRollups(t *testing.T) {
	for _, workers := range []int{1, 3} {
		// Dense grids and users that went sparse, computed on several workers.
		txns := append(spreadTxns(uint64(workers)+7), randomTxns(12, 4000, 57)...)
		xfers := append(spreadXfers(uint64(workers)+7), randomXfers(12, 1000, 57)...)
		a := aggregate(t, &aggregator.Engine{Workers: workers, RowBatch: 16}, txns, xfers...)
		fps, err := a.Fingerprints(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want, err := aggregator.FingerprintsOf(naive(t, txns, xfers...))
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
		for _, r := range naive(t, txns, xfers...) {
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
	txns, xfers := randomTxns(3, 2000, 9), randomXfers(3, 300, 9)
	all := naive(t, txns, xfers...)
	keepUser := all[0].UserID
	res := aggregate(t, &aggregator.Engine{Workers: 2}, txns, xfers...).Result(func(user string) bool { return user == keepUser })
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
		typ, _ := aggregator.ParseRollupType(r.Type)
		if got := res.Find([]byte(r.UserID), m, []byte(r.AccountID), []byte(r.Category), typ); (got >= 0) != (r.UserID == keepUser) {
			t.Fatalf("Find(%+v) = %d", r, got)
		}
	}
}

func TestRollupHash_EveryFieldCounts(t *testing.T) {
	const account = "00000000-0000-4000-8000-000000000001"
	hash := func(account, category string, m aggregator.Month, typ aggregator.TxnType, total, count int64) uint64 {
		return aggregator.RollupHash(aggregator.KeyHash(aggregator.AccountHash(account), aggregator.CategoryHash(category)), m, typ, total, count)
	}
	may := aggregator.MonthOfYM(2024, 5)
	base := hash(account, "food", may, aggregator.Expense, 1250, 3)
	variants := map[string]uint64{
		"account":         hash("00000000-0000-4000-8000-000000000002", "food", may, aggregator.Expense, 1250, 3),
		"empty account":   hash("", "food", may, aggregator.Expense, 1250, 3),
		"category":        hash(account, "fooe", may, aggregator.Expense, 1250, 3),
		"empty":           hash(account, "", may, aggregator.Expense, 1250, 3),
		"month":           hash(account, "food", aggregator.MonthOfYM(2024, 6), aggregator.Expense, 1250, 3),
		"type":            hash(account, "food", may, aggregator.Income, 1250, 3),
		"transfer in":     hash(account, "food", may, aggregator.TransferIn, 1250, 3),
		"transfer out":    hash(account, "food", may, aggregator.TransferOut, 1250, 3),
		"total":           hash(account, "food", may, aggregator.Expense, 1251, 3),
		"count":           hash(account, "food", may, aggregator.Expense, 1250, 4),
		"swapped":         hash(account, "food", may, aggregator.Expense, 3, 1250),
		"account <-> cat": hash("food", account, may, aggregator.Expense, 1250, 3),
	}
	for name, h := range variants {
		if h == base {
			t.Errorf("changing the %s leaves the hash unchanged", name)
		}
	}
	if aggregator.CategoryHash("food") != aggregator.CategoryHash([]byte("food")) || aggregator.AccountHash(account) != aggregator.AccountHash([]byte(account)) {
		t.Error("string and []byte hashes differ")
	}
	// Two users' rollups, equal but for the account of one row: the
	// fingerprints differ.
	rows := []aggregator.Rollup{
		{UserID: "u", Month: "2024-05", AccountID: "a1", Category: "food", Type: "expense", TotalMinor: 5, TransactionCount: 1},
		{UserID: "u", Month: "2024-05", AccountID: "a1", Category: "", Type: "transfer_out", TotalMinor: 9, TransactionCount: 1},
		{UserID: "v", Month: "2024-05", AccountID: "a1", Category: "food", Type: "expense", TotalMinor: 5, TransactionCount: 1},
		{UserID: "v", Month: "2024-05", AccountID: "a2", Category: "", Type: "transfer_out", TotalMinor: 9, TransactionCount: 1},
	}
	fps, err := aggregator.FingerprintsOf(rows)
	if err != nil {
		t.Fatal(err)
	}
	if fps["u"] == fps["v"] {
		t.Errorf("fingerprints equal although one row's account differs: %+v", fps["u"])
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
