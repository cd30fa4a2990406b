package aggregator

import "sort"

// A userTable holds the accumulators of one user. The hot path indexes a
// dense grid by ((category, type) row, month) instead of hashing a key per
// row: a user's cells are contiguous, so a row costs about one cache miss,
// where one map shared by every bucket cost several. Users and categories are
// already numbered by Input, so the grid needs no hashing at all.
//
// Layout: cells[row*span + (month-base)], where row is the position of the
// (global category id, type) pair in rows: a category is usually either
// income or expense, so rows of both would be half empty. A new pair appends
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

type rowKey struct {
	category uint32
	typ      TxnType
}

type sparseKey struct {
	category uint32
	month    Month
	typ      TxnType
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

// row returns the position of (category, type) in t.rows, or -1.
func (t *userTable) row(category uint32, typ TxnType) int {
	k := rowKey{category: category, typ: typ}
	for i, r := range t.rows {
		if r == k {
			return i
		}
	}
	return -1
}

// add folds one row in.
func (t *userTable) add(category uint32, m Month, typ TxnType, amountMinor int64) error {
	if t.sparse == nil {
		l := t.row(category, typ)
		if l < 0 {
			l = t.addRow(category, typ)
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
	k := sparseKey{category: category, month: m, typ: typ}
	i, ok := t.sparse[k]
	if !ok {
		i = int32(len(t.sparseCells))
		t.sparse[k] = i
		t.sparseCells = append(t.sparseCells, sparseCell{key: k})
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

// addRow appends a (category, type) row to the grid and returns its index,
// or -1 if the grid would get too sparse.
func (t *userTable) addRow(category uint32, typ TxnType) int {
	n := len(t.cells) + int(t.span)
	if !t.fits(n) {
		return -1
	}
	t.rows = append(t.rows, rowKey{category: category, typ: typ})
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
	t.each(func(category uint32, m Month, typ TxnType, c *cell) {
		k := sparseKey{category: category, month: m, typ: typ}
		t.sparse[k] = int32(len(t.sparseCells))
		t.sparseCells = append(t.sparseCells, sparseCell{cell: *c, key: k})
	})
	t.rows, t.cells, t.span, t.filled = nil, nil, 0, 0
}

// each calls f for every non-empty grid cell.
func (t *userTable) each(f func(category uint32, m Month, typ TxnType, c *cell)) {
	for l, k := range t.rows {
		row := t.cells[int32(l)*t.span:][:t.span]
		for off := range row {
			if row[off].count > 0 {
				f(k.category, t.base+Month(off), k.typ, &row[off])
			}
		}
	}
}

// emit appends the user's rollups to out ordered by month, category name and
// type name (the order of the unique key (user_id, month, category, type)),
// and records each one's index for find.
func (t *userTable) emit(out []Rollup, user string, cats []string, month func(Month) string) []Rollup {
	if t.sparse != nil {
		cs := t.sparseCells
		sort.Slice(cs, func(i, j int) bool {
			a, b := cs[i].key, cs[j].key
			if a.month != b.month {
				return a.month < b.month
			}
			if a.category != b.category {
				return cats[a.category] < cats[b.category]
			}
			return a.typ.String() < b.typ.String()
		})
		for i := range cs {
			c := &cs[i]
			t.sparse[c.key] = int32(i) // the sort moved the cells
			c.out = -1
			if !t.emits(c.key.month) {
				continue
			}
			c.out = int32(len(out))
			out = append(out, Rollup{UserID: user, Month: month(c.key.month), Category: cats[c.key.category],
				Type: c.key.typ.String(), TotalMinor: c.totalMinor, TransactionCount: c.count})
		}
		return out
	}
	order := make([]int32, len(t.rows))
	for i := range order {
		order[i] = int32(i)
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := t.rows[order[i]], t.rows[order[j]]
		if a.category != b.category {
			return cats[a.category] < cats[b.category]
		}
		return a.typ.String() < b.typ.String()
	})
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
				ms = month(t.base + Month(off))
			}
			k := t.rows[l]
			t.out[i] = int32(len(out))
			out = append(out, Rollup{UserID: user, Month: ms, Category: cats[k.category],
				Type: k.typ.String(), TotalMinor: c.totalMinor, TransactionCount: c.count})
		}
	}
	return out
}

// find returns the index in Result.Rollups of the user's rollup for
// (category, month, type), or -1.
func (t *userTable) find(category uint32, m Month, typ TxnType) int {
	if t.sparse != nil {
		if i, ok := t.sparse[sparseKey{category: category, month: m, typ: typ}]; ok {
			return int(t.sparseCells[i].out)
		}
		return -1
	}
	l := t.row(category, typ)
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

// fingerprint returns the Fingerprint of the user's rollups; catHashes holds
// CategoryHash of every global category id. It is meant for users without
// failed months (a full rebuild leaves the others alone).
func (t *userTable) fingerprint(catHashes []uint64) Fingerprint {
	var fp Fingerprint
	add := func(category uint32, m Month, typ TxnType, c *cell) {
		fp.Add(RollupHash(catHashes[category], m, typ, c.totalMinor, c.count))
	}
	if t.sparse != nil {
		for i := range t.sparseCells {
			c := &t.sparseCells[i]
			add(c.key.category, c.key.month, c.key.typ, &c.cell)
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
