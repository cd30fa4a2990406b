package aggregator

import (
	"context"
	"hash/fnv"
)

// Input is handed to the read function; it interns keys and dispatches rows.
// It must be used from the read function's goroutine only.
type Input struct {
	ctx        context.Context
	engine     *Engine
	batch      int
	userIDs    userIndex
	users      []string
	shards     []uint32 // shard of each interned user
	accountIDs userIndex
	accounts   []string
	catIDs     map[string]uint32
	cats       []string
	noCategory uint32 // the category id of "" (transfer legs), once interned
	haveNoCat  bool
	pending    [][]row
	outs       []chan []row
	free       chan []row
	rowsRead   int64
	unflush    int64
	failures   []inputFailure        // rows the read function could not add, one per bucket
	failed     map[failedBucket]bool // the buckets in failures: a million bad rows cost one entry
}

// inputFailure is a row the read function could not add: of a known bucket
// (month valid) or of a date that names no month (noMonth).
type inputFailure struct {
	failedBucket
	err error
}

// failedBucket is the key of a failure: user and month (noMonth for a row
// without one).
type failedBucket struct {
	user  uint32
	month Month
}

// noMonth marks a failure whose row has no month.
const noMonth Month = -1 << 31

// User interns a user key and returns its compact id. Looking up a known key
// does not allocate.
func (in *Input) User(key []byte) uint32 {
	if id, ok := in.userIDs.get(key); ok {
		return id
	}
	id := uint32(len(in.users))
	h := fnv.New32a()
	h.Write(key)
	in.userIDs.put(key, id)
	in.users = append(in.users, in.engine.name(key))
	in.shards = append(in.shards, h.Sum32()%uint32(len(in.outs)))
	return id
}

// Account interns an account key (ledger_account.id as the read function
// gets it: 16 raw uuid bytes or text) and returns its compact id. Looking up
// a known key does not allocate.
func (in *Input) Account(key []byte) uint32 {
	if id, ok := in.accountIDs.get(key); ok {
		return id
	}
	id := uint32(len(in.accounts))
	in.accountIDs.put(key, id)
	in.accounts = append(in.accounts, in.engine.name(key))
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

// Add dispatches one transaction row (typ Income or Expense) to the worker
// owning its user.
func (in *Input) Add(user, account, category uint32, month Month, typ TxnType, amountMinor int64) error {
	in.rowsRead++
	return in.push(row{user: user, account: account, category: category, month: month, typ: typ, amountMinor: amountMinor})
}

// AddTransfer dispatches one transfer row as its two legs: amountMinor out
// of from (TransferOut) and toAmountMinor into to (TransferIn), both under
// the category "" and in the transfer's month. It counts as one row read.
func (in *Input) AddTransfer(user, from, to uint32, month Month, amountMinor, toAmountMinor int64) error {
	if !in.haveNoCat {
		in.noCategory, in.haveNoCat = in.Category(nil), true
	}
	in.rowsRead++
	out := row{user: user, account: from, category: in.noCategory, month: month, typ: TransferOut, amountMinor: amountMinor}
	if err := in.push(out); err != nil {
		return err
	}
	return in.push(row{user: user, account: to, category: in.noCategory, month: month, typ: TransferIn, amountMinor: toAmountMinor})
}

// push appends a row to its worker's pending batch, sending the batch when full.
func (in *Input) push(r row) error {
	shard := in.shards[r.user]
	p := append(in.pending[shard], r)
	in.pending[shard] = p
	if len(p) >= in.batch {
		return in.flush(shard)
	}
	return nil
}

// FailBucket records that a row of user's month m could not be read (an
// unparseable type or amount): the bucket is not emitted and is reported.
func (in *Input) FailBucket(user uint32, m Month, err error) {
	key := failedBucket{user: user, month: m}
	if in.failed[key] {
		return
	}
	if in.failed == nil {
		in.failed = make(map[failedBucket]bool)
	}
	in.failed[key] = true
	in.failures = append(in.failures, inputFailure{failedBucket: key, err: err})
}

// FailUser records that a row of user could not be given a month (a date
// outside 0001-9999, an unparseable date): none of the user's buckets in
// this aggregation is emitted, and the failure is reported without a month.
func (in *Input) FailUser(user uint32, err error) {
	in.FailBucket(user, noMonth, err)
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

// userIndex numbers raw user (and account) keys. PostgreSQL hands over
// 16-byte uuids: a fixed-size array key hashes and compares faster than a
// string.
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

func newUserIndex() userIndex {
	return userIndex{uuids: make(map[[16]byte]uint32), other: make(map[string]uint32)}
}
