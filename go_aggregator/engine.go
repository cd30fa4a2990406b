package aggregator

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// The engine: one reader goroutine (the caller's read function) streams
// transaction and transfer rows and dispatches them, in batches, to N workers sharded by
// user. Each worker owns the map of its users' accumulators, so the hot path
// has no locks, and the shards are disjoint, so merging the workers' results
// is a concatenation.

// DefaultRowBatch is the number of rows sent per channel message.
const DefaultRowBatch = 1024

// row is one transaction, or one leg of a transfer, in its compact form.
type row struct {
	user        uint32
	account     uint32
	category    uint32
	month       Month
	typ         TxnType
	amountMinor int64
}

// Engine aggregates transaction rows into rollups concurrently.
type Engine struct {
	Workers  int // number of worker goroutines; <= 0 means 1
	RowBatch int // rows per channel message; <= 0 means DefaultRowBatch

	// KeyName, when set, turns the raw key given to Input.User or
	// Input.Account into the id written back (for example 16 raw uuid bytes
	// into their text form). It is called once per distinct user and account.
	KeyName func(key []byte) string

	// Progress, when set, receives the number of rows read as they are dispatched.
	Progress *Progress
}

// Run calls read with an Input, aggregates every row it adds across the
// engine's workers and returns the rollups. The first error from read or a
// worker cancels the others and is returned. A bucket that cannot be
// computed (a total past int64, a count past MaxTransactionCount, a row read
// refused with Input.FailBucket or FailUser) is not an error: it is left out
// of the rollups and listed in Result.Failures.
func (e *Engine) Run(ctx context.Context, read func(ctx context.Context, in *Input) error) (*Result, error) {
	a, err := e.Aggregate(ctx, read)
	if err != nil {
		return nil, err
	}
	return a.Result(nil), nil
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
		ctx:        ctx,
		engine:     e,
		batch:      batch,
		userIDs:    newUserIndex(),
		accountIDs: newUserIndex(),
		catIDs:     make(map[string]uint32),
		pending:    make([][]row, workers),
		outs:       make([]chan []row, workers),
		free:       make(chan []row, 4*workers),
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

// name returns the id written back for a raw user or account key.
func (e *Engine) name(key []byte) string {
	if e.KeyName != nil {
		return e.KeyName(key)
	}
	return string(key)
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
			if err := t.add(r.key(), r.month, r.amountMinor); err != nil {
				t.fail(r.month, err) // one bucket's poison must not stop the others
			}
		}
		select {
		case free <- batch:
		default:
		}
	}
}
