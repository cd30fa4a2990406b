package aggregator_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	aggregator "finance/go_aggregator"
)

// spreadTxns builds users whose rows exercise every path of the per-user
// tables: months far apart in both directions (grid re-layout, then the
// switch to a map), hundreds of categories, and ordinary dense users.
func spreadTxns(seed uint64) []txn {
	r := rand.New(rand.NewPCG(seed, 2))
	var out []txn
	add := func(user string, year, month int, category, typ string) {
		out = append(out, txn{user: user, account: accountOf(user, r.IntN(2)), date: fmt.Sprintf("%04d-%02d-15", year, month),
			category: category, typ: typ, amount: int64(r.IntN(1000) - 300)})
	}
	for i := 0; i < 400; i++ {
		// Dense: 3 years, 4 categories, in random order (the grid grows both ways).
		add("dense", 2020+r.IntN(3), 1+r.IntN(12), fmt.Sprint("c", r.IntN(4)), []string{"income", "expense"}[r.IntN(2)])
		// Centuries apart: too sparse for a grid.
		add("decades", []int{1, 1900, 2024, 9999}[r.IntN(4)], 1+r.IntN(12), "c0", "expense")
		// Hundreds of categories with a row or two each.
		add("categories", 2024, 1+r.IntN(2), fmt.Sprint("k", r.IntN(300)), "income")
	}
	// A user that goes sparse after filling a grid: ordinary rows first, then
	// far-off months, then more ordinary rows that must merge with the first.
	for _, year := range []int{2020, 2021, 5000, 100, 2020, 2021} {
		for m := 1; m <= 12; m++ {
			add("late", year, m, "c1", "income")
		}
	}
	r.Shuffle(len(out)/2, func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// spreadXfers gives the users of spreadTxns transfers between their two
// accounts, spread like their transactions.
func spreadXfers(seed uint64) []xfer {
	r := rand.New(rand.NewPCG(seed, 4))
	var out []xfer
	add := func(user string, year, month int) {
		from := r.IntN(2)
		out = append(out, xfer{user: user, from: accountOf(user, from), to: accountOf(user, 1-from),
			date: fmt.Sprintf("%04d-%02d-09", year, month), amount: int64(r.IntN(1000) + 1), toAmount: int64(r.IntN(900) + 1)})
	}
	for i := 0; i < 100; i++ {
		add("dense", 2020+r.IntN(3), 1+r.IntN(12))
		add("decades", []int{1, 1900, 2024, 9999}[r.IntN(4)], 1+r.IntN(12))
	}
	for _, year := range []int{2020, 7000, 2021} {
		add("late", year, 1+r.IntN(12))
	}
	return out
}

func TestEngine_SparseAndDenseUsersMatchNaive(t *testing.T) {
	for _, workers := range []int{1, 3} {
		t.Run(fmt.Sprint(workers, " workers"), func(t *testing.T) {
			txns := append(spreadTxns(uint64(workers)), randomTxns(9, 3000, 40)...)
			xfers := append(spreadXfers(uint64(workers)), randomXfers(9, 700, 40)...)
			res, err := runEngine(t, &aggregator.Engine{Workers: workers, RowBatch: 16}, txns, xfers...)
			if err != nil {
				t.Fatal(err)
			}
			// Rollups come out in key order: no sort needed.
			if want := naive(t, txns, xfers...); !reflect.DeepEqual(res.Rollups, want) {
				t.Fatalf("rollups differ or are out of order: got %d rows, want %d rows", len(res.Rollups), len(want))
			}
		})
	}
}

func TestResult_Find(t *testing.T) {
	txns := append(spreadTxns(5), randomTxns(6, 2000, 30)...)
	res, err := runEngine(t, &aggregator.Engine{Workers: 2}, txns, append(spreadXfers(5), randomXfers(6, 500, 30)...)...)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res.Rollups {
		m, err := aggregator.ParseMonth(r.Month)
		if err != nil {
			t.Fatal(err)
		}
		typ, err := aggregator.ParseRollupType(r.Type)
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Find([]byte(r.UserID), m, []byte(r.AccountID), []byte(r.Category), typ); got != i {
			t.Fatalf("Find(%+v) = %d, want %d", r, got, i)
		}
	}
	m2024, m1800 := aggregator.MonthOfYM(2024, 1), aggregator.MonthOfYM(1800, 1)
	dense, decades := accountOf("dense", 0), accountOf("decades", 0)
	misses := []struct {
		name, user, account, category string
		month                         aggregator.Month
		typ                           aggregator.TxnType
	}{
		{"unknown user", "nobody", dense, "c0", m2024, aggregator.Income},
		{"unknown category", "dense", dense, "nothing", m2024, aggregator.Income},
		{"category of another user", "dense", dense, "k7", m2024, aggregator.Income},
		{"unknown account", "dense", "nowhere", "c0", m2024, aggregator.Income},
		{"account of another user", "dense", decades, "c0", m2024, aggregator.Income},
		{"account the user has no rows in", "dense", accountOf("dense", 2), "c0", m2024, aggregator.Income},
		{"month outside the grid", "dense", dense, "c0", m1800, aggregator.Income},
		{"month the sparse user lacks", "decades", decades, "c0", m1800, aggregator.Expense},
		{"type the user lacks", "decades", decades, "c0", aggregator.MonthOfYM(1900, 1), aggregator.Income},
		{"a transfer leg under a category", "dense", dense, "c0", m2024, aggregator.TransferIn},
	}
	for _, tt := range misses {
		if got := res.Find([]byte(tt.user), tt.month, []byte(tt.account), []byte(tt.category), tt.typ); got != -1 {
			t.Errorf("%s: Find = %d, want -1", tt.name, got)
		}
	}
}
