package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	aggregator "finance/go_aggregator"
)

// ledger_rollupfingerprint holds, per user, the aggregator.Fingerprint of the
// stored rollups, written in the same transaction as the rollups. Invariant:
// every user with a rollup row has a fingerprint row; NULLs mean unknown.
// Both writers keep it: an incremental batch folds in what its diff did, a
// full rebuild stores what it recomputed for the users it rewrote. A full
// rebuild trusts a known fingerprint equal to the recomputed one and then
// neither reads nor writes that user's rollups (--verify trusts none).

// storedFingerprint is one row of ledger_rollupfingerprint.
type storedFingerprint struct {
	aggregator.Fingerprint
	known bool // digest and count are not NULL
}

// readFingerprints reads every stored fingerprint, by user id text.
func readFingerprints(ctx context.Context, conn *pgx.Conn) (map[string]storedFingerprint, error) {
	rows, err := conn.Query(ctx, `SELECT user_id::text, digest, rollup_count FROM ledger_rollupfingerprint`)
	if err != nil {
		return nil, fmt.Errorf("read fingerprints: %w", err)
	}
	out := make(map[string]storedFingerprint)
	var user string
	var digest, count pgtype.Int8
	_, err = pgx.ForEachRow(rows, []any{&user, &digest, &count}, func() error {
		out[user] = storedFingerprint{
			Fingerprint: aggregator.Fingerprint{Digest: uint64(digest.Int64), Count: count.Int64},
			known:       digest.Valid && count.Valid,
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read fingerprints: %w", err)
	}
	return out, nil
}

// fingerprintPlan is what a full rebuild does with the fingerprints.
type fingerprintPlan struct {
	changed   map[string]bool              // users whose stored rollups must be read and diffed (unless everyUser)
	everyUser bool                         // every stored row is read and compared
	write     []aggregator.UserFingerprint // recomputed fingerprints that differ from the stored ones
	drop      []string                     // users with a fingerprint row and no rollups any more
	keptRows  int64                        // rollups of the users skipped: recomputed, equal, not read
}

// planFingerprints compares the recomputed fingerprints with the stored ones.
// With verify, or when most users differ (the first rebuild after the
// fingerprints appeared, say: one COPY of the whole table then beats
// selecting those users' rows), every stored row is compared. Either way only
// the fingerprints that differ are written. The users leave reports (a
// failed bucket: not in fresh) keep their stored fingerprint as it is.
func planFingerprints(fresh []aggregator.UserFingerprint, stored map[string]storedFingerprint, verify bool, leave func(user string) bool) *fingerprintPlan {
	plan := &fingerprintPlan{changed: make(map[string]bool)}
	inResult := make(map[string]bool, len(fresh))
	for _, f := range fresh {
		inResult[f.UserID] = true
		if s, ok := stored[f.UserID]; ok && s.known && s.Fingerprint == f.Fingerprint {
			plan.keptRows += f.Count
			continue
		}
		plan.changed[f.UserID] = true
		plan.write = append(plan.write, f)
	}
	for user, s := range stored {
		if !inResult[user] && !leave(user) {
			plan.drop = append(plan.drop, user)
			if !s.known || s.Count != 0 || s.Digest != 0 {
				plan.changed[user] = true
			}
		}
	}
	slices.Sort(plan.drop)
	if verify || 2*len(plan.changed) > len(fresh)+len(plan.drop) {
		plan.everyUser, plan.keptRows = true, 0
	}
	return plan
}

// changedUsers lists the users whose stored rows must be read, in order.
func (p *fingerprintPlan) changedUsers() []string {
	users := make([]string, 0, len(p.changed))
	for user := range p.changed {
		users = append(users, user)
	}
	slices.Sort(users)
	return users
}

// apply stores the plan's fingerprints in tx (a user deleted meanwhile is
// skipped: its rows went with it); those of the users in unknown are stored
// as NULL (unknown: the next rebuild compares their rows).
func (p *fingerprintPlan) apply(ctx context.Context, tx pgx.Tx, unknown map[string]bool) error {
	if len(p.drop) > 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM ledger_rollupfingerprint WHERE user_id = ANY($1::text[]::uuid[])`, p.drop); err != nil {
			return fmt.Errorf("drop fingerprints: %w", err)
		}
	}
	write := p.write
	if len(unknown) > 0 {
		written := make(map[string]bool, len(write))
		for _, f := range write {
			written[f.UserID] = true
		}
		for user := range unknown {
			if !written[user] {
				write = append(write, aggregator.UserFingerprint{UserID: user})
			}
		}
	}
	for start := 0; start < len(write); start += diffChunk {
		chunk := write[start:min(start+diffChunk, len(write))]
		users, digests, counts := make([]string, len(chunk)), make([]pgtype.Int8, len(chunk)), make([]pgtype.Int8, len(chunk))
		for i, f := range chunk {
			users[i] = f.UserID
			if !unknown[f.UserID] {
				digests[i] = pgtype.Int8{Int64: int64(f.Digest), Valid: true}
				counts[i] = pgtype.Int8{Int64: f.Count, Valid: true}
			}
		}
		if _, err := tx.Exec(ctx, `
			INSERT INTO ledger_rollupfingerprint (user_id, digest, rollup_count)
			SELECT f.user_id, f.digest, f.rollup_count
			FROM unnest($1::text[]::uuid[], $2::bigint[], $3::bigint[]) AS f(user_id, digest, rollup_count)
			JOIN accounts_user u ON u.id = f.user_id
			ORDER BY f.user_id
			ON CONFLICT (user_id) DO UPDATE
			  SET digest = excluded.digest, rollup_count = excluded.rollup_count`, users, digests, counts); err != nil {
			return fmt.Errorf("write fingerprints: %w", err)
		}
	}
	return nil
}

// fingerprintDeltas accumulates, per user, what an incremental diff does to
// the fingerprint: hashes of rows removed and added, and the count change.
// A nil *fingerprintDeltas records nothing.
type fingerprintDeltas struct {
	byUser  map[string]*aggregator.Fingerprint
	unknown map[string]bool // a stored row could not be parsed: the digest becomes unknown
}

func newFingerprintDeltas() *fingerprintDeltas {
	return &fingerprintDeltas{byUser: make(map[string]*aggregator.Fingerprint), unknown: make(map[string]bool)}
}

func (d *fingerprintDeltas) user(id string) *aggregator.Fingerprint {
	f, ok := d.byUser[id]
	if !ok {
		f = &aggregator.Fingerprint{}
		d.byUser[id] = f
	}
	return f
}

// remove folds out a stored row (user and account are its raw keys); ok
// false: its month or type could not be parsed. The account is hashed in its
// text form, as Rollup.Hash and the recomputation hash it.
func (d *fingerprintDeltas) remove(user []byte, m aggregator.Month, account, category []byte, t aggregator.TxnType, ok bool, total, count int64) {
	if d == nil {
		return
	}
	id := formatUUID(user)
	if !ok {
		d.unknown[id] = true
		return
	}
	key := aggregator.KeyHash(aggregator.AccountHash(formatUUID(account)), aggregator.CategoryHash(category))
	d.user(id).Remove(aggregator.RollupHash(key, m, t, total, count))
}

// add folds in a row the diff writes.
func (d *fingerprintDeltas) add(r *aggregator.Rollup) {
	if d == nil {
		return
	}
	h, err := r.Hash()
	if err != nil {
		d.unknown[r.UserID] = true
		return
	}
	d.user(r.UserID).Add(h)
}

// apply folds the deltas into the stored fingerprints, in user order so two
// batches lock shared rows in the same order. A user without a row had no
// rollups (the invariant), so the delta alone is its fingerprint.
func (d *fingerprintDeltas) apply(ctx context.Context, tx pgx.Tx) error {
	if d == nil || len(d.byUser)+len(d.unknown) == 0 {
		return nil
	}
	users := make([]string, 0, len(d.byUser)+len(d.unknown))
	for user, f := range d.byUser {
		if f.Digest != 0 || f.Count != 0 || d.unknown[user] {
			users = append(users, user)
		}
	}
	for user := range d.unknown {
		if _, ok := d.byUser[user]; !ok {
			users = append(users, user)
		}
	}
	slices.Sort(users)
	digests, counts := make([]pgtype.Int8, len(users)), make([]pgtype.Int8, len(users))
	for i, user := range users {
		if d.unknown[user] {
			continue // NULL: unknown from now on
		}
		f := d.byUser[user]
		digests[i] = pgtype.Int8{Int64: int64(f.Digest), Valid: true}
		counts[i] = pgtype.Int8{Int64: f.Count, Valid: true}
	}
	// NULL # x and NULL + x are NULL: an unknown fingerprint stays unknown.
	if _, err := tx.Exec(ctx, `
		INSERT INTO ledger_rollupfingerprint AS f (user_id, digest, rollup_count)
		SELECT d.user_id, d.digest, d.rollup_count
		FROM unnest($1::text[]::uuid[], $2::bigint[], $3::bigint[]) AS d(user_id, digest, rollup_count)
		JOIN accounts_user u ON u.id = d.user_id
		ORDER BY d.user_id
		ON CONFLICT (user_id) DO UPDATE
		  SET digest = f.digest # excluded.digest, rollup_count = f.rollup_count + excluded.rollup_count`,
		users, digests, counts); err != nil {
		return fmt.Errorf("fold fingerprints: %w", err)
	}
	return nil
}

// uuidArrayLiteral renders canonical uuid texts as a PostgreSQL array
// literal, refusing anything else (it is spliced into a COPY statement).
func uuidArrayLiteral(users []string) (string, error) {
	var b strings.Builder
	b.Grow(len(users) * 37)
	b.WriteByte('{')
	for i, u := range users {
		if !canonicalUUID(u) {
			return "", aggregator.Errorf(aggregator.EINVALID, "invalid user id %q", u)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(u)
	}
	b.WriteByte('}')
	return b.String(), nil
}

// canonicalUUID reports whether s is a uuid in the 8-4-4-4-12 lowercase hex
// form formatUUID writes.
func canonicalUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false
			}
		}
	}
	return true
}
