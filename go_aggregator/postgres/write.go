package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	aggregator "finance/go_aggregator"
)

// dirtyChunk bounds the arrays sent in one statement.
const dirtyChunk = 5000

// rollupSource feeds rollups to COPY FROM, reusing one values slice.
type rollupSource struct {
	rollups []aggregator.Rollup
	i       int
	values  []any
	err     error
}

func (s *rollupSource) Next() bool {
	s.i++
	return s.i <= len(s.rollups)
}

func (s *rollupSource) Values() ([]any, error) {
	r := &s.rollups[s.i-1]
	u, err := parseUUID(r.UserID)
	if err != nil {
		return nil, err
	}
	s.values[0], s.values[1], s.values[2], s.values[3] = u, r.Month, r.Category, r.Type
	s.values[4], s.values[5] = r.TotalMinor, int32(r.TransactionCount)
	return s.values, nil
}

func (s *rollupSource) Err() error { return s.err }

// insertRollups copies rollups into ledger_monthlyrollup; the bucket's old
// rows must already be deleted.
func insertRollups(ctx context.Context, tx pgx.Tx, rollups []aggregator.Rollup) (int64, error) {
	if len(rollups) == 0 {
		return 0, nil
	}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"ledger_monthlyrollup"},
		[]string{"user_id", "month", "category", "type", "total_minor", "transaction_count"},
		&rollupSource{rollups: rollups, values: make([]any, 6)})
	if err != nil {
		return 0, fmt.Errorf("insert rollups: %w", err)
	}
	return n, nil
}

// deleteBucketRollups deletes the rollups of the given buckets.
func deleteBucketRollups(ctx context.Context, tx pgx.Tx, buckets []aggregator.DirtyBucket) error {
	for start := 0; start < len(buckets); start += dirtyChunk {
		chunk := buckets[start:min(start+dirtyChunk, len(buckets))]
		users, months := make([]string, len(chunk)), make([]string, len(chunk))
		for i, b := range chunk {
			users[i], months[i] = b.UserID, b.Month
		}
		_, err := tx.Exec(ctx, `
			DELETE FROM ledger_monthlyrollup r
			USING unnest($1::text[], $2::text[]) AS b(user_id, month)
			WHERE r.user_id = b.user_id::uuid AND r.month = b.month`, users, months)
		if err != nil {
			return fmt.Errorf("delete bucket rollups: %w", err)
		}
	}
	return nil
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
