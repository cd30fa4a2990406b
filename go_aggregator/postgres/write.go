package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	aggregator "finance/go_aggregator"
)

// dirtyChunk bounds the arrays sent in one statement.
const dirtyChunk = 5000

// rollupSource feeds rollups to COPY FROM, reusing one values slice and
// skipping those marked in skip (if set).
type rollupSource struct {
	rollups []aggregator.Rollup
	skip    []bool
	i       int
	values  []any
	err     error

	lastUser string // rollups come grouped by user: parse each id once
	lastUUID pgtype.UUID
	accounts map[string]pgtype.UUID // each account id parsed once
}

func (s *rollupSource) Next() bool {
	s.i++
	for s.skip != nil && s.i <= len(s.rollups) && s.skip[s.i-1] {
		s.i++
	}
	return s.i <= len(s.rollups)
}

func (s *rollupSource) Values() ([]any, error) {
	r := &s.rollups[s.i-1]
	if r.UserID != s.lastUser || !s.lastUUID.Valid {
		u, err := parseUUID(r.UserID)
		if err != nil {
			return nil, err
		}
		s.lastUser, s.lastUUID = r.UserID, u
	}
	account, ok := s.accounts[r.AccountID]
	if !ok {
		var err error
		if account, err = parseUUID(r.AccountID); err != nil {
			return nil, err
		}
		s.accounts[r.AccountID] = account
	}
	s.values[0], s.values[1], s.values[2], s.values[3] = s.lastUUID, r.Month, account, r.Category
	s.values[4], s.values[5], s.values[6] = r.Type, r.TotalMinor, int32(r.TransactionCount)
	return s.values, nil
}

func (s *rollupSource) Err() error { return s.err }

// insertRollups copies the rollups not marked in skip (nil: all of them) into
// ledger_monthlyrollup; no row with their keys may exist.
func insertRollups(ctx context.Context, tx pgx.Tx, rollups []aggregator.Rollup, skip []bool) (int64, error) {
	if len(rollups) == 0 {
		return 0, nil
	}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"ledger_monthlyrollup"},
		[]string{"user_id", "month", "account_id", "category", "type", "total_minor", "transaction_count"},
		&rollupSource{rollups: rollups, skip: skip, values: make([]any, 7), accounts: make(map[string]pgtype.UUID)})
	if err != nil {
		return 0, fmt.Errorf("insert rollups: %w", err)
	}
	return n, nil
}

// clearDirty deletes each dirty row whose generation is still the claimed
// one; a row bumped since the claim stays dirty for the next run.
func clearDirty(ctx context.Context, tx pgx.Tx, buckets []aggregator.DirtyBucket) (int64, error) {
	var cleared int64
	for start := 0; start < len(buckets); start += dirtyChunk {
		chunk := buckets[start:min(start+dirtyChunk, len(buckets))]
		users, months, gens := make([]string, len(chunk)), make([]string, len(chunk)), make([]int64, len(chunk))
		for i, b := range chunk {
			users[i], months[i], gens[i] = b.UserID, b.Month, b.Generation
		}
		tag, err := tx.Exec(ctx, `
			DELETE FROM ledger_dirtybucket d
			USING unnest($1::text[], $2::text[], $3::bigint[]) AS b(user_id, month, generation)
			WHERE d.user_id = b.user_id::uuid AND d.month = b.month AND d.generation = b.generation`,
			users, months, gens)
		if err != nil {
			return 0, fmt.Errorf("clear dirty buckets: %w", err)
		}
		cleared += tag.RowsAffected()
	}
	return cleared, nil
}
