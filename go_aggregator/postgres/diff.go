package postgres

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/jackc/pgx/v5"

	aggregator "finance/go_aggregator"
)

// Writing rollups, not computing them, is what costs: one backend inserting
// millions of index entries. So both paths compare the stored rollups with the
// fresh aggregation and write only the difference: a rebuild over unchanged
// data writes nothing, and an incremental batch touches only the rows whose
// figures moved. Stored rows are matched by key through Result.Find, without
// building a second map, and changed by id.

// diffChunk bounds the arrays sent in one statement.
const diffChunk = 50_000

// storedColumns are the columns of ledger_monthlyrollup the diff reads, in
// the order rollupDiff.stored takes them; the counts are read as bigint.
const storedColumns = `r.id, r.user_id, r.month, r.account_id, r.category, r.type, r.total_minor, r.transaction_count::bigint`

// rollupDiff accumulates the changes that turn the stored rollups into result.
type rollupDiff struct {
	result *aggregator.Result
	seen   []bool // by index in result.Rollups: a stored row has that key

	deleteIDs []int64
	updateIDs []int64
	totals    []int64
	counts    []int64
	unchanged int64
	compared  int64 // stored rows read back and compared

	// deltas, when tracked (incremental batches), is what the diff does to
	// each user's fingerprint (see fingerprint.go).
	deltas *fingerprintDeltas

	// partial holds the users still there some of whose rows apply skipped
	// (an account deleted since the read): their recomputed fingerprint does
	// not describe what was written.
	partial map[string]bool
}

func newRollupDiff(result *aggregator.Result) *rollupDiff {
	return &rollupDiff{result: result, seen: make([]bool, len(result.Rollups))}
}

// newTrackingDiff is newRollupDiff that also records the fingerprint deltas.
func newTrackingDiff(result *aggregator.Result) *rollupDiff {
	d := newRollupDiff(result)
	d.deltas = newFingerprintDeltas()
	return d
}

// stored compares one stored row with the result. user and account are the
// raw keys the aggregation read (16 uuid bytes). A row whose key the result
// lacks (an account without entries in that month any more, say), or that
// cannot be parsed, is deleted.
func (d *rollupDiff) stored(id int64, user, month, account, category, typ []byte, total, count int64) {
	m, err1 := aggregator.ParseMonth(month)
	t, err2 := aggregator.ParseRollupType(typ)
	d.storedKey(id, user, m, account, category, t, err1 == nil && err2 == nil, total, count)
}

// storedKey is stored for a row whose month and type are parsed (ok false:
// they could not be).
func (d *rollupDiff) storedKey(id int64, user []byte, m aggregator.Month, account, category []byte, t aggregator.TxnType, ok bool, total, count int64) {
	d.compared++
	i := -1
	if ok {
		i = d.result.Find(user, m, account, category, t)
	}
	if i < 0 || d.seen[i] {
		d.deleteIDs = append(d.deleteIDs, id)
		d.deltas.remove(user, m, account, category, t, ok, total, count)
		return
	}
	d.seen[i] = true
	if r := &d.result.Rollups[i]; r.TotalMinor != total || r.TransactionCount != count {
		d.updateIDs = append(d.updateIDs, id)
		d.totals = append(d.totals, r.TotalMinor)
		d.counts = append(d.counts, r.TransactionCount)
		d.deltas.remove(user, m, account, category, t, ok, total, count)
		d.deltas.add(r)
		return
	}
	d.unchanged++
}

// storedRollup is one stored row in compact form.
type storedRollup struct {
	id, total, count int64
	user, account    [16]byte
	month            aggregator.Month
	category         uint32 // index in storedTable.cats
	typ              aggregator.TxnType
	ok               bool // month and type parsed
}

// storedTable is the stored rollups a full rebuild compares with the result
// once the aggregation is done: the rows of the users whose fingerprint
// differs, or the whole table (--verify reads it on a second connection while
// the first streams the transactions, so the two COPYs overlap).
type storedTable struct {
	rows   []storedRollup
	cats   [][]byte
	catIDs map[string]uint32
}

func (st *storedTable) tuple(f [][]byte) error {
	if len(f[0]) != 8 || len(f[1]) != 16 || len(f[3]) != 16 || len(f[6]) != 8 || len(f[7]) != 8 {
		return aggregator.Errorf(aggregator.EINTERNAL, "unexpected binary COPY field sizes in ledger_monthlyrollup")
	}
	cat, ok := st.catIDs[string(f[4])]
	if !ok {
		cat = uint32(len(st.cats))
		st.catIDs[string(f[4])] = cat
		st.cats = append(st.cats, append([]byte(nil), f[4]...))
	}
	m, err1 := aggregator.ParseMonth(f[2])
	t, err2 := aggregator.ParseRollupType(f[5])
	st.rows = append(st.rows, storedRollup{
		id: int64(binary.BigEndian.Uint64(f[0])), total: int64(binary.BigEndian.Uint64(f[6])),
		count: int64(binary.BigEndian.Uint64(f[7])), user: [16]byte(f[1]), account: [16]byte(f[3]), month: m,
		category: cat, typ: t, ok: err1 == nil && err2 == nil,
	})
	return nil
}

// readStoredTable reads the stored rollups of the given users (nil: every
// row) with one binary COPY on conn. Only aggregators write rollups and
// --full excludes them all, so the rows cannot change before the write
// transaction, except through Django's cascade when a user is deleted: an
// update or delete of such a row then matches nothing.
func readStoredTable(ctx context.Context, conn *pgx.Conn, users []string) (*storedTable, error) {
	st := &storedTable{catIDs: make(map[string]uint32)}
	sql := `COPY (SELECT ` + storedColumns + ` FROM ledger_monthlyrollup r) TO STDOUT (FORMAT binary)`
	if users == nil {
		// The planner's row estimate sizes the slice: growing it by doubling
		// would copy millions of rows a few times over.
		var estimate float64
		if err := conn.QueryRow(ctx, `SELECT reltuples FROM pg_class WHERE oid = 'ledger_monthlyrollup'::regclass`).Scan(&estimate); err != nil {
			return nil, fmt.Errorf("estimate stored rollups: %w", err)
		}
		if estimate > 0 {
			st.rows = make([]storedRollup, 0, int(estimate*1.05)+1024)
		}
	} else {
		if len(users) == 0 {
			return st, nil
		}
		// COPY takes no parameters; the ids are uuids the aggregator
		// formatted itself (hex digits and dashes), checked again here.
		list, err := uuidArrayLiteral(users)
		if err != nil {
			return nil, err
		}
		sql = `COPY (SELECT ` + storedColumns + ` FROM ledger_monthlyrollup r WHERE r.user_id = ANY('` + list + `'::uuid[])) TO STDOUT (FORMAT binary)`
	}
	p := &copyParser{fields: 8, tuple: st.tuple, what: "ledger_monthlyrollup"}
	if _, err := conn.PgConn().CopyTo(ctx, p, sql); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("read stored rollups: %w", err)
	}
	if err := p.finish(); err != nil {
		return nil, fmt.Errorf("read stored rollups: %w", err)
	}
	return st, nil
}

// compareTable feeds a stored table to the diff, but for the rows of users
// with a failed bucket: those stay as they are.
func (d *rollupDiff) compareTable(st *storedTable) {
	for i := range st.rows {
		r := &st.rows[i]
		if d.result.UserFailed(r.user[:]) {
			continue
		}
		d.storedKey(r.id, r.user[:], r.month, r.account[:], st.cats[r.category], r.typ, r.ok, r.total, r.count)
	}
}

// readBucketsStored feeds the stored rollups of the given buckets, every
// account's, to the diff.
func (d *rollupDiff) readBucketsStored(ctx context.Context, tx pgx.Tx, buckets []aggregator.DirtyBucket) error {
	users, months := make([]string, len(buckets)), make([]string, len(buckets))
	for i, b := range buckets {
		users[i], months[i] = b.UserID, b.Month
	}
	// One index scan per bucket (see aggregateBuckets for OFFSET 0).
	rows, err := tx.Query(ctx, `
		SELECT `+storedColumns+`
		FROM unnest($1::text[], $2::text[]) AS b(user_id, month)
		CROSS JOIN LATERAL (
		  SELECT * FROM ledger_monthlyrollup r WHERE r.user_id = b.user_id::uuid AND r.month = b.month OFFSET 0) r`,
		users, months)
	if err != nil {
		return fmt.Errorf("read stored rollups: %w", err)
	}
	defer rows.Close()
	fds := rows.FieldDescriptions()
	for rows.Next() {
		v := rows.RawValues()
		if len(v) != 8 || v[1] == nil || v[2] == nil || v[3] == nil || v[4] == nil || v[5] == nil {
			return aggregator.Errorf(aggregator.EINVALID, "unexpected NULL in ledger_monthlyrollup")
		}
		var ints [3]int64
		for i, col := range [3]int{0, 6, 7} {
			if ints[i], err = decodeInt8(v[col], fds[col].Format); err != nil {
				return err
			}
		}
		d.stored(ints[0], v[1], v[2], v[3], v[4], v[5], ints[1], ints[2])
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read stored rollups: %w", err)
	}
	return nil
}

// skipGone locks the accounts and users this write inserts rollups for
// against deletion until it commits (FOR KEY SHARE, in id order) and skips
// the rows of those deleted since their entries were read: those would fail
// a foreign key at commit and take every other user's rollups with them.
// Accounts are locked first: Django's cascade deletes a user's accounts
// before the user, so the two lock in the same order and cannot deadlock.
func (d *rollupDiff) skipGone(ctx context.Context, tx pgx.Tx) error {
	users, accounts := make(map[string]bool), make(map[string]bool)
	for i := range d.result.Rollups {
		if !d.seen[i] {
			r := &d.result.Rollups[i]
			users[r.UserID], accounts[r.AccountID] = false, false
		}
	}
	if len(users) == 0 {
		return nil
	}
	for _, lock := range []struct {
		table string
		found map[string]bool
	}{{"ledger_account", accounts}, {"accounts_user", users}} {
		ids := make([]string, 0, len(lock.found))
		for id := range lock.found {
			ids = append(ids, id)
		}
		rows, err := tx.Query(ctx, `
			SELECT id::text FROM `+lock.table+` WHERE id = ANY($1::text[]::uuid[]) ORDER BY id FOR KEY SHARE`, ids)
		if err != nil {
			return fmt.Errorf("lock %s: %w", lock.table, err)
		}
		var id string
		if _, err := pgx.ForEachRow(rows, []any{&id}, func() error {
			lock.found[id] = true
			return nil
		}); err != nil {
			return fmt.Errorf("lock %s: %w", lock.table, err)
		}
	}
	for i := range d.result.Rollups {
		if r := &d.result.Rollups[i]; !d.seen[i] && (!users[r.UserID] || !accounts[r.AccountID]) {
			d.seen[i] = true // gone: nothing to insert, nothing to fold
			if users[r.UserID] {
				if d.partial == nil {
					d.partial = make(map[string]bool)
				}
				d.partial[r.UserID] = true
			}
		}
	}
	return nil
}

// apply deletes the vanished rows, updates the changed ones and inserts the
// new ones, in key order. It returns the rows inserted or updated and the
// rows deleted.
func (d *rollupDiff) apply(ctx context.Context, tx pgx.Tx) (written, deleted int64, err error) {
	for start := 0; start < len(d.deleteIDs); start += diffChunk {
		ids := d.deleteIDs[start:min(start+diffChunk, len(d.deleteIDs))]
		tag, err := tx.Exec(ctx, `DELETE FROM ledger_monthlyrollup WHERE id = ANY($1::bigint[])`, ids)
		if err != nil {
			return 0, 0, fmt.Errorf("delete vanished rollups: %w", err)
		}
		deleted += tag.RowsAffected()
	}
	for start := 0; start < len(d.updateIDs); start += diffChunk {
		end := min(start+diffChunk, len(d.updateIDs))
		tag, err := tx.Exec(ctx, `
			UPDATE ledger_monthlyrollup r
			SET total_minor = u.total_minor, transaction_count = u.transaction_count
			FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS u(id, total_minor, transaction_count)
			WHERE r.id = u.id`, d.updateIDs[start:end], d.totals[start:end], d.counts[start:end])
		if err != nil {
			return 0, 0, fmt.Errorf("update changed rollups: %w", err)
		}
		written += tag.RowsAffected()
	}
	if err := d.skipGone(ctx, tx); err != nil {
		return 0, 0, err
	}
	inserted, err := insertRollups(ctx, tx, d.result.Rollups, d.seen)
	if err != nil {
		return 0, 0, err
	}
	if d.deltas != nil {
		for i := range d.result.Rollups {
			if !d.seen[i] {
				d.deltas.add(&d.result.Rollups[i])
			}
		}
	}
	return written + inserted, deleted, nil
}
