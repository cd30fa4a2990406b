package aggregator_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	aggregator "finance/go_aggregator"
)

// txn is a test transaction in plain form.
type txn struct {
	user, account, date, category, typ string
	amount                             int64
}

// xfer is a test transfer in plain form: amount leaves from, toAmount
// arrives in to (accounts of other currencies).
type xfer struct {
	user, from, to, date string
	amount, toAmount     int64
}

// naive computes the expected rollups the slow, obvious way.
func naive(t *testing.T, txns []txn, xfers ...xfer) []aggregator.Rollup {
	t.Helper()
	type key struct{ u, m, a, c, ty string }
	acc := map[key]*aggregator.Rollup{}
	add := func(user, account, date, category, typ string, amount int64) {
		m, err := aggregator.MonthOfDate(date)
		if err != nil {
			t.Fatal(err)
		}
		k := key{user, m.String(), account, category, typ}
		if acc[k] == nil {
			acc[k] = &aggregator.Rollup{UserID: user, Month: m.String(), AccountID: account, Category: category, Type: typ}
		}
		acc[k].TotalMinor += amount
		acc[k].TransactionCount++
	}
	for _, x := range txns {
		add(x.user, x.account, x.date, x.category, x.typ, x.amount)
	}
	for _, x := range xfers {
		add(x.user, x.from, x.date, "", aggregator.TypeTransferOut, x.amount)
		add(x.user, x.to, x.date, "", aggregator.TypeTransferIn, x.toAmount)
	}
	out := []aggregator.Rollup{}
	for _, r := range acc {
		out = append(out, *r)
	}
	aggregator.SortRollups(out)
	return out
}

func runEngine(t *testing.T, e *aggregator.Engine, txns []txn, xfers ...xfer) (*aggregator.Result, error) {
	t.Helper()
	return e.Run(context.Background(), feed(txns, xfers...))
}

// feed is a read function that adds txns, then xfers.
func feed(txns []txn, xfers ...xfer) func(ctx context.Context, in *aggregator.Input) error {
	return func(ctx context.Context, in *aggregator.Input) error {
		for _, x := range txns {
			m, err := aggregator.MonthOfDate(x.date)
			if err != nil {
				return err
			}
			typ, err := aggregator.ParseTxnType(x.typ)
			if err != nil {
				return err
			}
			if err := in.Add(in.User([]byte(x.user)), in.Account([]byte(x.account)), in.Category([]byte(x.category)), m, typ, x.amount); err != nil {
				return err
			}
		}
		for _, x := range xfers {
			m, err := aggregator.MonthOfDate(x.date)
			if err != nil {
				return err
			}
			if err := in.AddTransfer(in.User([]byte(x.user)), in.Account([]byte(x.from)), in.Account([]byte(x.to)), m, x.amount, x.toAmount); err != nil {
				return err
			}
		}
		return nil
	}
}

// accountOf names account k (0..2) of user: each user has three.
func accountOf(user string, k int) string { return fmt.Sprintf("%s-acct%d", user, k) }

func randomTxns(seed uint64, n, users int) []txn {
	r := rand.New(rand.NewPCG(seed, 1))
	cats := []string{"food", "rent", "salary", "fun", "travel", "bills"}
	out := make([]txn, n)
	for i := range out {
		typ := aggregator.TypeExpense
		if r.IntN(4) == 0 {
			typ = aggregator.TypeIncome
		}
		user := fmt.Sprintf("%032x", r.IntN(users)+1)
		out[i] = txn{
			user:     user,
			account:  accountOf(user, r.IntN(3)),
			date:     fmt.Sprintf("%04d-%02d-%02d", 2023+r.IntN(2), r.IntN(12)+1, r.IntN(28)+1),
			category: cats[r.IntN(len(cats))],
			typ:      typ,
			amount:   int64(r.IntN(1_000_000) + 1),
		}
	}
	return out
}

// randomXfers returns n transfers between two of a user's three accounts,
// the amount arriving differing from the amount leaving (other currencies).
func randomXfers(seed uint64, n, users int) []xfer {
	r := rand.New(rand.NewPCG(seed, 3))
	out := make([]xfer, n)
	for i := range out {
		user := fmt.Sprintf("%032x", r.IntN(users)+1)
		from := r.IntN(3)
		amount := int64(r.IntN(1_000_000) + 1)
		out[i] = xfer{
			user:     user,
			from:     accountOf(user, from),
			to:       accountOf(user, (from+1+r.IntN(2))%3),
			date:     fmt.Sprintf("%04d-%02d-%02d", 2023+r.IntN(2), r.IntN(12)+1, r.IntN(28)+1),
			amount:   amount,
			toAmount: amount*int64(1+r.IntN(3)) + int64(r.IntN(7)),
		}
	}
	return out
}

func TestEngine_MatchesNaiveAggregation(t *testing.T) {
	tests := []struct {
		name     string
		workers  int
		rowBatch int
		rows     int
		users    int
	}{
		{"empty", 3, 0, 0, 1},
		{"one row", 1, 0, 1, 1},
		{"one worker one user", 1, 0, 500, 1},
		{"one user many workers", 8, 7, 500, 1},
		{"many users two workers", 2, 64, 20_000, 300},
		{"many users many workers tiny batches", 7, 1, 5_000, 1000},
		{"more workers than users", 16, 3, 100, 3},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			txns, xfers := randomTxns(uint64(i), tt.rows, tt.users), randomXfers(uint64(i), tt.rows/4, tt.users)
			res, err := runEngine(t, &aggregator.Engine{Workers: tt.workers, RowBatch: tt.rowBatch}, txns, xfers...)
			if err != nil {
				t.Fatal(err)
			}
			// In key order, with no sort.
			if got, want := res.Rollups, naive(t, txns, xfers...); !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Fatalf("rollups differ: got %d rows, want %d rows", len(got), len(want))
			}
			if got, want := res.RowsRead, int64(tt.rows+len(xfers)); got != want {
				t.Fatalf("RowsRead = %d, want %d", got, want)
			}
		})
	}
}

func TestEngine_MergesRowsOfOneKey(t *testing.T) {
	txns := []txn{
		{"u1", "chk", "2024-03-01", "food", "expense", 150},
		{"u1", "chk", "2024-03-31", "food", "expense", 250},
		{"u1", "card", "2024-03-15", "food", "expense", 33}, // the same category in another account
		{"u1", "chk", "2024-04-01", "food", "expense", 7},
		{"u1", "chk", "2024-03-05", "food", "income", 1000},
		{"u2", "u2chk", "2024-03-05", "food", "expense", 1},
	}
	xfers := []xfer{
		{"u1", "chk", "eur", "2024-03-02", 10_000, 9_200}, // leaves in one currency, arrives in another
		{"u1", "chk", "eur", "2024-03-20", 500, 460},
		{"u1", "eur", "chk", "2024-03-21", 100, 108},
		{"u1", "chk", "card", "2024-04-30", 77, 77},
	}
	res, err := runEngine(t, &aggregator.Engine{Workers: 3, RowBatch: 2}, txns, xfers...)
	if err != nil {
		t.Fatal(err)
	}
	want := []aggregator.Rollup{
		{UserID: "u1", Month: "2024-03", AccountID: "card", Category: "food", Type: "expense", TotalMinor: 33, TransactionCount: 1},
		{UserID: "u1", Month: "2024-03", AccountID: "chk", Category: "", Type: "transfer_in", TotalMinor: 108, TransactionCount: 1},
		{UserID: "u1", Month: "2024-03", AccountID: "chk", Category: "", Type: "transfer_out", TotalMinor: 10_500, TransactionCount: 2},
		{UserID: "u1", Month: "2024-03", AccountID: "chk", Category: "food", Type: "expense", TotalMinor: 400, TransactionCount: 2},
		{UserID: "u1", Month: "2024-03", AccountID: "chk", Category: "food", Type: "income", TotalMinor: 1000, TransactionCount: 1},
		{UserID: "u1", Month: "2024-03", AccountID: "eur", Category: "", Type: "transfer_in", TotalMinor: 9_660, TransactionCount: 2},
		{UserID: "u1", Month: "2024-03", AccountID: "eur", Category: "", Type: "transfer_out", TotalMinor: 100, TransactionCount: 1},
		{UserID: "u1", Month: "2024-04", AccountID: "card", Category: "", Type: "transfer_in", TotalMinor: 77, TransactionCount: 1},
		{UserID: "u1", Month: "2024-04", AccountID: "chk", Category: "", Type: "transfer_out", TotalMinor: 77, TransactionCount: 1},
		{UserID: "u1", Month: "2024-04", AccountID: "chk", Category: "food", Type: "expense", TotalMinor: 7, TransactionCount: 1},
		{UserID: "u2", Month: "2024-03", AccountID: "u2chk", Category: "food", Type: "expense", TotalMinor: 1, TransactionCount: 1},
	}
	// Emitted in key order already.
	if !reflect.DeepEqual(res.Rollups, want) {
		t.Fatalf("got %+v\nwant %+v", res.Rollups, want)
	}
	if res.RowsRead != int64(len(txns)+len(xfers)) {
		t.Fatalf("RowsRead = %d, want one per transaction and per transfer", res.RowsRead)
	}
	if got, want := aggregate(t, &aggregator.Engine{Workers: 3, RowBatch: 2}, txns, xfers...).BucketCount(), int64(3); got != want {
		t.Fatalf("buckets = %d, want %d", got, want)
	}
	// Find tells the accounts and the legs apart.
	m := aggregator.MonthOfYM(2024, 3)
	for _, tt := range []struct {
		account, category string
		typ               aggregator.TxnType
		want              int
	}{
		{"chk", "", aggregator.TransferOut, 2},
		{"eur", "", aggregator.TransferIn, 5},
		{"card", "food", aggregator.Expense, 0},
		{"card", "", aggregator.TransferIn, -1}, // in April only
		{"eur", "food", aggregator.Expense, -1},
		{"nowhere", "food", aggregator.Expense, -1},
	} {
		if got := res.Find([]byte("u1"), m, []byte(tt.account), []byte(tt.category), tt.typ); got != tt.want {
			t.Errorf("Find(%s, %q, %s) = %d, want %d", tt.account, tt.category, tt.typ, got, tt.want)
		}
	}
}

func TestEngine_DetectsOverflow(t *testing.T) {
	tests := []struct {
		name    string
		amounts []int64
		wantErr bool
	}{
		{"max fits", []int64{math.MaxInt64}, false},
		{"max minus one plus one fits", []int64{math.MaxInt64 - 1, 1}, false},
		{"max plus one overflows", []int64{math.MaxInt64, 1}, true},
		{"two halves overflow", []int64{math.MaxInt64/2 + 1, math.MaxInt64/2 + 1}, true},
		{"min minus one overflows", []int64{math.MinInt64, -1}, true},
	}
	// The amounts as transactions of one account, as what transfers take
	// out of one account (their in legs, one each, land in three others) and
	// as what transfers bring into one account.
	feeds := map[string]func(amounts []int64) ([]txn, []xfer){
		"transactions": func(amounts []int64) ([]txn, []xfer) {
			var txns []txn
			for _, a := range amounts {
				txns = append(txns, txn{"u", "a", "2024-01-02", "c", "income", a})
			}
			return txns, nil
		},
		"transfers out": func(amounts []int64) ([]txn, []xfer) {
			var xfers []xfer
			for i, a := range amounts {
				xfers = append(xfers, xfer{"u", "a", fmt.Sprint("b", i), "2024-01-02", a, 1})
			}
			return nil, xfers
		},
		"transfers in": func(amounts []int64) ([]txn, []xfer) {
			var xfers []xfer
			for i, a := range amounts {
				xfers = append(xfers, xfer{"u", fmt.Sprint("b", i), "a", "2024-01-02", 1, a})
			}
			return nil, xfers
		},
	}
	for _, tt := range tests {
		for how, feedOf := range feeds {
			t.Run(tt.name+" "+how, func(t *testing.T) {
				txns, xfers := feedOf(tt.amounts)
				res, err := runEngine(t, &aggregator.Engine{Workers: 2, RowBatch: 1}, txns, xfers...)
				if err != nil {
					t.Fatal(err) // a bucket's overflow is never the run's error
				}
				if !tt.wantErr {
					var sum int64
					for _, a := range tt.amounts {
						sum += a
					}
					i := slices.IndexFunc(res.Rollups, func(r aggregator.Rollup) bool { return r.AccountID == "a" })
					if i < 0 || res.Rollups[i].TotalMinor != sum || len(res.Failures) != 0 {
						t.Fatalf("rollups %+v, failures %v; want a total of %d in account a", res.Rollups, res.Failures, sum)
					}
					return
				}
				if len(res.Rollups) != 0 || len(res.Failures) != 1 || res.Failures[0].UserID != "u" || res.Failures[0].Month != "2024-01" ||
					!strings.Contains(res.Failures[0].Error, "overflow") {
					t.Fatalf("rollups %v, failures %+v; want the bucket failed with an overflow", res.Rollups, res.Failures)
				}
			})
		}
	}
}

// A bucket that cannot be computed is left out and reported; every other
// bucket, of the same user or another, dense or sparse, comes out exact.
func TestEngine_FailedBucketsAreLeftOutAndReported(t *testing.T) {
	good := append(spreadTxns(11), randomTxns(12, 2000, 20)...)
	var poison []txn
	for _, user := range []string{"dense", "decades", fmt.Sprintf("%032x", 3)} {
		poison = append(poison, txn{user, accountOf(user, 0), "9999-12-31", "poison", "expense", math.MaxInt64}, txn{user, accountOf(user, 0), "9999-12-01", "poison", "expense", 1})
	}
	for _, workers := range []int{1, 3} {
		res, err := (&aggregator.Engine{Workers: workers, RowBatch: 7}).Run(context.Background(), func(ctx context.Context, in *aggregator.Input) error {
			if err := feed(append(append([]txn(nil), good...), poison...))(ctx, in); err != nil {
				return err
			}
			// Rows the read function itself could not read.
			in.FailBucket(in.User([]byte("categories")), aggregator.MonthOfYM(2024, 1), errors.New("unreadable amount"))
			in.FailBucket(in.User([]byte("nobody-else")), aggregator.MonthOfYM(2024, 3), errors.New("unreadable type"))
			in.FailUser(in.User([]byte("late")), errors.New("date out of range"))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		failed := map[string]bool{}
		for _, p := range poison {
			failed[p.user+" "+p.date[:7]] = true
		}
		var want []aggregator.Rollup
		for _, r := range naive(t, good) {
			if !failed[r.UserID+" "+r.Month] && !(r.UserID == "categories" && r.Month == "2024-01") && r.UserID != "late" {
				want = append(want, r)
			}
		}
		if !reflect.DeepEqual(res.Rollups, want) {
			t.Fatalf("%d workers: rollups differ: got %d rows, want %d", workers, len(res.Rollups), len(want))
		}
		var got []string
		for _, f := range res.Failures {
			got = append(got, f.UserID+" "+f.Month)
		}
		wantFailed := []string{fmt.Sprintf("%032x", 3) + " 9999-12", "categories 2024-01", "decades 9999-12", "dense 9999-12", "late ", "nobody-else 2024-03"}
		if !reflect.DeepEqual(got, wantFailed) {
			t.Fatalf("failures = %q, want %q", got, wantFailed)
		}
		for _, f := range res.Failures[:1] {
			if !strings.Contains(f.Error, "overflow") {
				t.Fatalf("failure %+v: want an overflow error", f)
			}
		}
		// Find knows no rollup of a failed bucket.
		m, _ := aggregator.ParseMonth("9999-12")
		if i := res.Find([]byte("dense"), m, []byte(accountOf("dense", 0)), []byte("poison"), aggregator.Expense); i != -1 {
			t.Fatalf("Find of a failed bucket = %d, want -1", i)
		}
		if !res.UserFailed([]byte("late")) || !res.UserFailed([]byte("dense")) || res.UserFailed([]byte(fmt.Sprintf("%032x", 4))) {
			t.Fatal("UserFailed is wrong")
		}
	}
}

func TestEngine_ReadErrorCancelsWorkers(t *testing.T) {
	boom := errors.New("boom")
	_, err := (&aggregator.Engine{Workers: 4, RowBatch: 1}).Run(context.Background(), func(ctx context.Context, in *aggregator.Input) error {
		for i := 0; i < 100; i++ {
			if err := in.Add(in.User([]byte{byte(i)}), in.Account([]byte("a")), in.Category([]byte("c")), 1, aggregator.Income, 1); err != nil {
				return err
			}
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
}

func TestEngine_UnknownTypeIsRejected(t *testing.T) {
	_, err := runEngine(t, &aggregator.Engine{Workers: 2}, []txn{{"u", "a", "2024-01-01", "c", "refund", 5}})
	if got, want := aggregator.ErrorCode(err), aggregator.EINVALID; got != want {
		t.Fatalf("code = %q, want %q", got, want)
	}
}

func TestEngine_SteadyStateDoesNotAllocatePerRow(t *testing.T) {
	e := &aggregator.Engine{Workers: 2}
	users := make([][]byte, 100)
	for i := range users {
		users[i] = []byte(fmt.Sprintf("%032x", i))
	}
	cat := []byte("groceries")
	accounts := [][]byte{[]byte("checking"), []byte("savings"), []byte("card")}
	const rows = 200_000
	var res *aggregator.Result
	allocs := testing.AllocsPerRun(1, func() {
		var err error
		res, err = e.Run(context.Background(), func(ctx context.Context, in *aggregator.Input) error {
			for i := 0; i < rows; i++ {
				if err := in.Add(in.User(users[i%100]), in.Account(accounts[i%3]), in.Category(cat), aggregator.MonthOfYM(2024, i%12+1), aggregator.Expense, 1); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	if res.RowsRead != rows {
		t.Fatalf("rows = %d", res.RowsRead)
	}
	if perRow := allocs / rows; perRow > 0.05 {
		t.Fatalf("%.0f allocations for %d rows (%.3f per row), want near zero", allocs, rows, perRow)
	}
}

func BenchmarkEngine(b *testing.B) {
	users := make([][]byte, 10_000)
	for i := range users {
		users[i] = []byte(fmt.Sprintf("%016x", i))
	}
	cats := [][]byte{[]byte("food"), []byte("rent"), []byte("fun"), []byte("travel")}
	accounts := [][]byte{[]byte("checking"), []byte("savings"), []byte("card")}
	e := &aggregator.Engine{Workers: 2}
	b.ReportAllocs()
	b.ResetTimer()
	_, err := e.Run(context.Background(), func(ctx context.Context, in *aggregator.Input) error {
		for i := 0; i < b.N; i++ {
			if err := in.Add(in.User(users[i%len(users)]), in.Account(accounts[i%3]), in.Category(cats[i&3]), aggregator.MonthOfYM(2024, i%12+1), aggregator.TxnType(i&1), int64(i&1023+1)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
