package aggregator

import "sort"

// A userTable holds the accumulators of one user. The hot path indexes a
// dense grid by ((account, category, type) row, month) instead of hashing a
// key per row: a user's cells are contiguous, so a row costs about one cache
// miss, where one map shared by every bucket cost several. Users, accounts
// and categories are already numbered by Input, so the grid needs no hashing
// at all.
//
// Layout: cells[row*span + (month-base)], where row is the position of the
// (global account id, global category id, type) key in rows: a category is
// usually either income or expense, and used in one or two of the user's
// accounts, so a full cross product would be mostly empty. A new key appends
// span cells (the layout of the others is unchanged); a month outside
// [base, base+span) re-lays the grid out with some headroom. A grid that
// would be mostly empty (a user with a few rows spread over decades or
// hundreds of categories) is converted once to a per-user map (sparse), and
// the user stays there: every key then lives in exactly one place.
type userTable struct {
	base   Month
	span   int32
	rows   []rowKey // a user has few, so a linear search beats a map
	cells  []cell
	filled int // cells with count > 0

	shape *gridShape // the worker's, shared by its tables

	sparse      map[sparseKey]int32 // non-nil once the user no longer fits the grid: index in sparseCells
	sparseCells []sparseCell

	// out holds, after Engine.Run, the index in Result.Rollups of each
	// non-empty cell (parallel to cells), -1 for a cell not emitted; sparse
	// cells carry it in cell.out.
	out []int32

	// failed holds the months that cannot be computed (a total or a count
	// past its range), with the first error: they are not emitted. Nil for
	// the users it never happens to.
	failed map[Month]string
}

type cell struct {
	totalMinor int64
	count      int64
}

type sparseCell struct {
	cell
	key sparseKey
	out int32 // index in Result.Rollups
}

// rowKey is what one grid row sums: one account's entries of one type (and
// category: "" for transfer legs).
type rowKey struct {
	account  uint32
	category uint32
	typ      TxnType
}

// key returns the grid row key of a row.
func (r *row) key() rowKey { return rowKey{account: r.account, category: r.category, typ: r.typ} }

type sparseKey struct {
	rowKey
	month Month
}

// Grid limits: a grid may always use gridFreeCells cells; beyond that it must
// stay at least 1/gridMaxSparsity full, which bounds its memory to a small
// multiple of the rollups it holds.
const (
	gridFreeCells   = 2048
	gridMaxSparsity = 8
	gridHeadroom    = 12 // months added on the growing side
)

// gridShape is the month range and the number of rows the grids of one
// worker have grown to. Users look alike, so a new grid starts with this
// range and room for this many rows, which saves most re-layouts.
type gridShape struct {
	base Month
	span int32
	rows int
}

// newUserTable returns the table of a user whose first row falls in m.
func newUserTable(m Month, shape *gridShape) *userTable {
	t := &userTable{base: m, span: 1, shape: shape}
	if shape.span > 0 && m >= shape.base && m < shape.base+Month(shape.span) && t.fits(shape.rows*int(shape.span)) {
		t.base, t.span = shape.base, shape.span
		t.cells = make([]cell, 0, shape.rows*int(shape.span))
	}
	return t
}

// grew records the table's new shape in the worker's.
func (t *userTable) grew() {
	sh := t.shape
	if sh.span == 0 {
		sh.base, sh.span = t.base, t.span
	}
	lo, hi := min(sh.base, t.base), max(sh.base+Month(sh.span), t.base+Month(t.span))
	sh.base, sh.span, sh.rows = lo, int32(hi-lo), max(sh.rows, len(t.rows))
}

// row returns the position of k in t.rows, or -1.
func (t *userTable) row(k rowKey) int {
	for i, r := range t.rows {
		if r == k {
			return i
		}
	}
	return -1
}

// add folds one row in.
func (t *userTable) add(k rowKey, m Month, amountMinor int64) error {
	if t.sparse == nil {
		l := t.row(k)
		if l < 0 {
			l = t.addRow(k)
		}
		off := int32(m - t.base)
		if l >= 0 && (off < 0 || off >= t.span) {
			off = t.cover(m)
		}
		if l >= 0 && off >= 0 {
			c := &t.cells[int32(l)*t.span+off]
			if c.count == 0 {
				t.filled++
			}
			return c.add(amountMinor)
		}
		t.spill()
	}
	sk := sparseKey{rowKey: k, month: m}
	i, ok := t.sparse[sk]
	if !ok {
		i = int32(len(t.sparseCells))
		t.sparse[sk] = i
		t.sparseCells = append(t.sparseCells, sparseCell{key: sk})
	}
	return t.sparseCells[i].add(amountMinor)
}

// fail marks month m as not computable; the first error is kept.
func (t *userTable) fail(m Month, err error) {
	if t.failed == nil {
		t.failed = make(map[Month]string)
	}
	if _, ok := t.failed[m]; !ok {
		t.failed[m] = ErrorMessage(err)
	}
}

// emits reports whether month m's rollups are emitted (it did not fail).
func (t *userTable) emits(m Month) bool {
	if t.failed == nil {
		return true
	}
	_, bad := t.failed[m]
	return !bad
}

// add folds one amount in; a total past int64 or a count past
// MaxTransactionCount leaves the cell as it was and fails.
func (c *cell) add(amountMinor int64) error {
	if c.count >= MaxTransactionCount {
		return Errorf(EOVERFLOW, "transaction_count overflow: more than %d transactions in one rollup", MaxTransactionCount)
	}
	s := c.totalMinor + amountMinor
	if (amountMinor > 0 && s < c.totalMinor) || (amountMinor < 0 && s > c.totalMinor) {
		_, err := AddMinor(c.totalMinor, amountMinor)
		return err
	}
	c.totalMinor = s
	c.count++
	return nil
}

// fits reports whether a grid of n cells is dense enough to keep.
func (t *userTable) fits(n int) bool {
	return n <= gridFreeCells || n <= gridMaxSparsity*(t.filled+1)
}

// addRow appends a row for k to the grid and returns its index, or -1 if
// the grid would get too sparse.
func (t *userTable) addRow(k rowKey) int {
	n := len(t.cells) + int(t.span)
	if !t.fits(n) {
		return -1
	}
	t.rows = append(t.rows, k)
	t.cells = append(t.cells, make([]cell, int(t.span))...)
	t.grew()
	return len(t.rows) - 1
}

// cover widens the grid's month range to include m and returns m's offset,
// or -1 if the grid would get too sparse.
func (t *userTable) cover(m Month) int32 {
	lo, hi := t.base, t.base+Month(t.span) // [lo, hi)
	rows := int32(len(t.rows))
	try := func(lo, hi Month) bool {
		span := int32(hi - lo)
		if !t.fits(int(rows * span)) {
			return false
		}
		cells := make([]cell, int(rows*span))
		shift := int32(t.base - lo)
		for r := int32(0); r < rows; r++ {
			copy(cells[r*span+shift:r*span+shift+t.span], t.cells[r*t.span:(r+1)*t.span])
		}
		t.base, t.span, t.cells = lo, span, cells
		t.grew()
		return true
	}
	var ok bool
	if m < lo {
		ok = try(m-gridHeadroom, hi) || try(m, hi)
	} else {
		ok = try(lo, m+1+gridHeadroom) || try(lo, m+1)
	}
	if !ok {
		return -1
	}
	return int32(m - t.base)
}

// spill moves the grid into the per-user map for good.
func (t *userTable) spill() {
	t.sparse = make(map[sparseKey]int32, 2*t.filled+1)
	t.sparseCells = make([]sparseCell, 0, 2*t.filled+1)
	t.each(func(k rowKey, m Month, c *cell) {
		sk := sparseKey{rowKey: k, month: m}
		t.sparse[sk] = int32(len(t.sparseCells))
		t.sparseCells = append(t.sparseCells, sparseCell{cell: *c, key: sk})
	})
	t.rows, t.cells, t.span, t.filled = nil, nil, 0, 0
}

// each calls f for every non-empty grid cell.
func (t *userTable) each(f func(k rowKey, m Month, c *cell)) {
	for l, k := range t.rows {
		row := t.cells[int32(l)*t.span:][:t.span]
		for off := range row {
			if row[off].count > 0 {
				f(k, t.base+Month(off), &row[off])
			}
		}
	}
}

// emit appends the user's rollups to out ordered by month, account,
// category and type (the order of the unique key (user_id, month,
// account_id, category, type)), and records each one's index for find.
func (t *userTable) emit(out []Rollup, user string, e *emitter) []Rollup {
	if t.sparse != nil {
		cs := t.sparseCells
		sort.Slice(cs, func(i, j int) bool {
			a, b := cs[i].key, cs[j].key
			if a.month != b.month {
				return a.month < b.month
			}
			return e.less(a.rowKey, b.rowKey)
		})
		for i := range cs {
			c := &cs[i]
			t.sparse[c.key] = int32(i) // the sort moved the cells
			c.out = -1
			if !t.emits(c.key.month) {
				continue
			}
			c.out = int32(len(out))
			out = append(out, e.rollup(user, e.month(c.key.month), c.key.rowKey, &c.cell))
		}
		return out
	}
	order := make([]int32, len(t.rows))
	for i := range order {
		order[i] = int32(i)
	}
	sort.Slice(order, func(i, j int) bool { return e.less(t.rows[order[i]], t.rows[order[j]]) })
	t.out = make([]int32, len(t.cells))
	for off := int32(0); off < t.span; off++ {
		var ms string
		emits := t.emits(t.base + Month(off))
		for _, l := range order {
			i := l*t.span + off
			c := &t.cells[i]
			t.out[i] = -1
			if c.count == 0 || !emits {
				continue
			}
			if ms == "" {
				ms = e.month(t.base + Month(off))
			}
			t.out[i] = int32(len(out))
			out = append(out, e.rollup(user, ms, t.rows[l], c))
		}
	}
	return out
}

// emitter is what emit needs beside a table: the names of the interned
// accounts and categories, their ranks in byte order, and the months'
// strings (made once per run).
type emitter struct {
	accounts, cats       []string
	accountRank, catRank []uint32
	months               map[Month]string
}

func newEmitter(accounts, cats []string) *emitter {
	return &emitter{accounts: accounts, cats: cats, accountRank: ranks(accounts), catRank: ranks(cats), months: make(map[Month]string)}
}

// ranks returns the position of each name in byte order.
func ranks(names []string) []uint32 {
	order := make([]uint32, len(names))
	for i := range order {
		order[i] = uint32(i)
	}
	sort.Slice(order, func(i, j int) bool { return names[order[i]] < names[order[j]] })
	rank := make([]uint32, len(names))
	for r, id := range order {
		rank[id] = uint32(r)
	}
	return rank
}

// typeRank orders the compact types as their database spellings sort.
var typeRank = [...]uint8{Income: 1, Expense: 0, TransferIn: 2, TransferOut: 3}

// less orders row keys by account, category and type, as the unique key does.
func (e *emitter) less(a, b rowKey) bool {
	if a.account != b.account {
		return e.accountRank[a.account] < e.accountRank[b.account]
	}
	if a.category != b.category {
		return e.catRank[a.category] < e.catRank[b.category]
	}
	return typeRank[a.typ] < typeRank[b.typ]
}

func (e *emitter) month(m Month) string {
	s, ok := e.months[m]
	if !ok {
		s = m.String()
		e.months[m] = s
	}
	return s
}

func (e *emitter) rollup(user, month string, k rowKey, c *cell) Rollup {
	return Rollup{UserID: user, Month: month, AccountID: e.accounts[k.account], Category: e.cats[k.category],
		Type: k.typ.String(), TotalMinor: c.totalMinor, TransactionCount: c.count}
}

// find returns the index in Result.Rollups of the user's rollup for (k,
// month), or -1.
func (t *userTable) find(k rowKey, m Month) int {
	if t.sparse != nil {
		if i, ok := t.sparse[sparseKey{rowKey: k, month: m}]; ok {
			return int(t.sparseCells[i].out)
		}
		return -1
	}
	l := t.row(k)
	off := int32(m - t.base)
	if l < 0 || off < 0 || off >= t.span {
		return -1
	}
	i := int32(l)*t.span + off
	if t.cells[i].count == 0 {
		return -1
	}
	return int(t.out[i]) // -1 for a failed month
}

// fingerprint returns the Fingerprint of the user's rollups; accountHashes
// and catHashes hold AccountHash and CategoryHash of every global account
// and category id. It is meant for users without failed months (a full
// rebuild leaves the others alone).
func (t *userTable) fingerprint(accountHashes, catHashes []uint64) Fingerprint {
	var fp Fingerprint
	add := func(k rowKey, m Month, c *cell) {
		fp.Add(RollupHash(KeyHash(accountHashes[k.account], catHashes[k.category]), m, k.typ, c.totalMinor, c.count))
	}
	if t.sparse != nil {
		for i := range t.sparseCells {
			c := &t.sparseCells[i]
			add(c.key.rowKey, c.key.month, &c.cell)
		}
	} else {
		t.each(add)
	}
	return fp
}

// bucketCount returns the number of months in which the user has rows.
func (t *userTable) bucketCount() int {
	if t.sparse != nil {
		months := make(map[Month]struct{})
		for _, c := range t.sparseCells {
			months[c.key.month] = struct{}{}
		}
		return len(months)
	}
	n := 0
	for off := int32(0); off < t.span; off++ {
		for l := range t.rows {
			if t.cells[int32(l)*t.span+off].count > 0 {
				n++
				break
			}
		}
	}
	return n
}
