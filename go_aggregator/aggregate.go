package aggregator

import (
	"context"
	"hash/fnv"
	"sort"

	"golang.org/x/sync/errgroup"
)

// The engine: one reader goroutine (the caller's read function) streams
// transaction rows and dispatches them, in batches, to N workers sharded by
// user. Each worker owns the map of its users' accumulators, so the hot path
// has no locks, and the shards are disjoint, so merging the workers' results
// is a concatenation.

// DefaultRowBatch is the number of rows sent per channel message.
const DefaultRowBatch = 1024

// row is one transaction in its compact form.
type row struct {
	user        uint32
	category    uint32
	month       Month
	typ         TxnType
	amountMinor int64
}

// accKey packs (user, category, month, type) into 16 bytes with no padding so
// the map hashes it as plain memory.
type accKey struct {
	userCategory uint64 // user<<32 | category
	monthType    uint64 // uint32(month)<<8 | type
}

type accumulator struct {
	key        accKey
	totalMinor int64
	count      int64
}

// Engine aggregates transaction rows into rollups concurrently.
type Engine struct {
	Workers  int // number of worker goroutines; <= 0 means 1
	RowBatch int // rows per channel message; <= 0 means DefaultRowBatch

	// UserName, when set, turns the raw user key given to Input.User into the
	// user id written back (for example 16 raw uuid bytes into their text
	// form). It is called once per distinct user.
	UserName func(key []byte) string

	// Progress, when set, receives the number of rows read as they are dispatched.
	Progress *Progress
}

// Input is handed to the read function; it interns keys and dispatches rows.
// It must be used from the read function's goroutine only.
type Input struct {
	ctx      context.Context
	engine   *Engine
	batch    int
	userIDs  map[string]uint32
	users    []string
	shards   []uint32 // shard of each interned user
	catIDs   map[string]uint32
	cats     []string
	pending  [][]row
	outs     []chan []row
	free     chan []row
	rowsRead int64
	unflush  int64
}

// User interns a user key and returns its compact id. Looking up a known key
// does not allocate.
func (in *Input) User(key []byte) uint32 {
	if id, ok := in.userIDs[string(key)]; ok {
		return id
	}
	id := uint32(len(in.users))
	name := string(key)
	if in.engine.UserName != nil {
		name = in.engine.UserName(key)
	}
	h := fnv.New32a()
	h.Write(key)
	in.userIDs[string(key)] = id
	in.users = append(in.users, name)
	in.shards = append(in.shards, h.Sum32()%uint32(len(in.outs)))
	return id
}

// Category interns a category and returns its compact id. Looking up a known
// category does not allocate.
func (in *Input) Category(name []byte) uint32 {
	if id, ok := in.catIDs[string(name)]; ok {
		return id
	}
	id := uint32(len(in.cats))
	s := string(name)
	in.catIDs[s] = id
	in.cats = append(in.cats, s)
	return id
}

// Add dispatches one transaction row to the worker owning its user.
func (in *Input) Add(user, category uint32, month Month, typ TxnType, amountMinor int64) error {
	shard := in.shards[user]
	p := append(in.pending[shard], row{user: user, category: category, month: month, typ: typ, amountMinor: amountMinor})
	in.pending[shard] = p
	in.rowsRead++
	if len(p) >= in.batch {
		return in.flush(shard)
	}
	return nil
}

func (in *Input) flush(shard uint32) error {
	p := in.pending[shard]
	if len(p) == 0 {
		return nil
	}
	select {
	case in.outs[shard] <- p:
	case <-in.ctx.Done():
		return in.ctx.Err()
	}
	if in.engine.Progress != nil {
		in.engine.Progress.AddRows(in.rowsRead - in.unflush)
		in.unflush = in.rowsRead
	}
	// Reuse a slice a worker has finished with, so steady state allocates nothing.
	select {
	case b := <-in.free:
		in.pending[shard] = b[:0]
	default:
		in.pending[shard] = make([]row, 0, in.batch)
	}
	return nil
}

// Result is the outcome of one aggregation.
type Result struct {
	RowsRead int64
	Rollups  []Rollup
}

// Buckets returns the distinct (user, month) buckets present in the result.
func (r *Result) Buckets() []Bucket {
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

// Run calls read with an Input, aggregates every row it adds across the
// engine's workers and returns the rollups. The first error from read or a
// worker cancels the others and is returned.
func (e *Engine) Run(ctx context.Context, read func(ctx context.Context, in *Input) error) (*Result, error) {
	workers := e.Workers
	if workers <= 0 {
		workers = 1
	}
	batch := e.RowBatch
	if batch <= 0 {
		batch = DefaultRowBatch
	}

	g, ctx := errgroup.WithContext(ctx)
	in := &Input{
		ctx:     ctx,
		engine:  e,
		batch:   batch,
		userIDs: make(map[string]uint32),
		catIDs:  make(map[string]uint32),
		pending: make([][]row, workers),
		outs:    make([]chan []row, workers),
		free:    make(chan []row, 4*workers),
	}
	for i := range in.outs {
		in.outs[i] = make(chan []row, 4)
		in.pending[i] = make([]row, 0, batch)
	}

	accs := make([][]accumulator, workers)
	for w := 0; w < workers; w++ {
		g.Go(func() error {
			var err error
			accs[w], err = aggregateShard(ctx, in.outs[w], in.free)
			return err
		})
	}

	g.Go(func() error {
		// Closing the channels lets the workers finish, whatever happens here.
		defer func() {
			for _, c := range in.outs {
				close(c)
			}
		}()
		if err := read(ctx, in); err != nil {
			return err
		}
		for shard := range in.pending {
			if err := in.flush(uint32(shard)); err != nil {
				return err
			}
		}
		return nil
	})

	if err := g.Wait(); err != nil {
		return nil, err
	}

	res := &Result{RowsRead: in.rowsRead}
	n := 0
	for _, a := range accs {
		n += len(a)
	}
	res.Rollups = make([]Rollup, 0, n)
	months := make(map[Month]string)
	for _, shard := range accs {
		for _, a := range shard {
			m := Month(int32(a.key.monthType >> 8))
			ms, ok := months[m]
			if !ok {
				ms = m.String()
				months[m] = ms
			}
			if a.count > MaxTransactionCount {
				return nil, Errorf(EOVERFLOW, "transaction_count overflow: %d transactions in one rollup", a.count)
			}
			res.Rollups = append(res.Rollups, Rollup{
				UserID:           in.users[a.key.userCategory>>32],
				Month:            ms,
				Category:         in.cats[uint32(a.key.userCategory)],
				Type:             TxnType(a.key.monthType).String(),
				TotalMinor:       a.totalMinor,
				TransactionCount: a.count,
			})
		}
	}
	return res, nil
}

// aggregateShard is one worker: it folds every batch it receives into its own
// map and hands the emptied batch back for reuse.
func aggregateShard(ctx context.Context, rows <-chan []row, free chan<- []row) ([]accumulator, error) {
	index := make(map[accKey]int32)
	var accs []accumulator
	for {
		var batch []row
		var ok bool
		select {
		case batch, ok = <-rows:
			if !ok {
				return accs, nil
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		for i := range batch {
			r := &batch[i]
			k := accKey{
				userCategory: uint64(r.user)<<32 | uint64(r.category),
				monthType:    uint64(uint32(r.month))<<8 | uint64(r.typ),
			}
			idx, found := index[k]
			if !found {
				idx = int32(len(accs))
				index[k] = idx
				accs = append(accs, accumulator{key: k})
			}
			a := &accs[idx]
			s := a.totalMinor + r.amountMinor
			if (r.amountMinor > 0 && s < a.totalMinor) || (r.amountMinor < 0 && s > a.totalMinor) {
				_, err := AddMinor(a.totalMinor, r.amountMinor)
				return nil, err
			}
			a.totalMinor = s
			a.count++
		}
		select {
		case free <- batch:
		default:
		}
	}
}
