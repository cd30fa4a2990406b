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
	userIDs  userIndex
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
	if id, ok := in.userIDs.get(key); ok {
		return id
	}
	id := uint32(len(in.users))
	name := string(key)
	if in.engine.UserName != nil {
		name = in.engine.UserName(key)
	}
	h := fnv.New32a()
	h.Write(key)
	in.userIDs.put(key, id)
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

// userIndex numbers raw user keys. PostgreSQL hands over 16-byte uuids: a
// fixed-size array key hashes and compares faster than a string.
type userIndex struct {
	uuids map[[16]byte]uint32
	other map[string]uint32
}

func (x userIndex) get(key []byte) (uint32, bool) {
	if len(key) == 16 {
		id, ok := x.uuids[[16]byte(key)]
		return id, ok
	}
	id, ok := x.other[string(key)]
	return id, ok
}

func (x userIndex) put(key []byte, id uint32) {
	if len(key) == 16 {
		x.uuids[[16]byte(key)] = id
	} else {
		x.other[string(key)] = id
	}
}

// Result is the outcome of one aggregation.
type Result struct {
	RowsRead int64
	// Rollups are ordered by user id, month, category and type (byte order).
	Rollups []Rollup

	userIDs userIndex         // raw user key -> user number
	catIDs  map[string]uint32 // category -> category number
	tables  []*userTable      // by user number
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

// Run calls read with an Input, aggregates every row it adds across the
// engine's workers and returns the rollups. The first error from read or a
// worker cancels the others and is returned.
func (e *Engine) Run(ctx context.Context, read func(ctx context.Context, in *Input) error) (*Result, error) {
	a, err := e.Aggregate(ctx, read)
	if err != nil {
		return nil, err
	}
	return a.Result(nil)
}

// Aggregate is Run without emitting the rollups: the caller picks, from the
// users' fingerprints, whose rollups it needs (Aggregation.Result).
func (e *Engine) Aggregate(ctx context.Context, read func(ctx context.Context, in *Input) error) (*Aggregation, error) {
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
		userIDs: userIndex{uuids: make(map[[16]byte]uint32), other: make(map[string]uint32)},
		catIDs:  make(map[string]uint32),
		pending: make([][]row, workers),
		outs:    make([]chan []row, workers),
		free:    make(chan []row, 4*workers),
	}
	for i := range in.outs {
		in.outs[i] = make(chan []row, 4)
		in.pending[i] = make([]row, 0, batch)
	}

	shards := make([][]*userTable, workers)
	for w := 0; w < workers; w++ {
		g.Go(func() error {
			var err error
			shards[w], err = aggregateShard(ctx, in.outs[w], in.free)
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
	return in.aggregation(shards), nil
}

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

// aggregateShard is one worker: it folds every batch it receives into the
// tables of its own users and hands the emptied batch back for reuse.
func aggregateShard(ctx context.Context, rows <-chan []row, free chan<- []row) ([]*userTable, error) {
	var tables []*userTable // by global user id; nil for other shards' users
	shape := &gridShape{}
	for {
		var batch []row
		var ok bool
		select {
		case batch, ok = <-rows:
			if !ok {
				return tables, nil
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		for i := range batch {
			r := &batch[i]
			if int(r.user) >= len(tables) {
				tables = append(tables, make([]*userTable, int(r.user)+1-len(tables))...)
			}
			t := tables[r.user]
			if t == nil {
				t = newUserTable(r.month, shape)
				tables[r.user] = t
			}
			if err := t.add(r.category, r.month, r.typ, r.amountMinor); err != nil {
				return nil, err
			}
		}
		select {
		case free <- batch:
		default:
		}
	}
}
