package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	aggregator "finance/go_aggregator"
)

// The recording of recurring rules on PostgreSQL (aggregator.RecordDue
// drives it): each rule's transaction is READ COMMITTED; the version row's
// upsert, then SELECT ... FOR UPDATE of the rule, serialize it with the
// API's writes of that user and with other aggregators.

// Ensure DB implements the recording's store.
var _ aggregator.RecurringStore = (*DB)(nil)

// nilUUID is the cursor before every rule id.
const nilUUID = "00000000-0000-0000-0000-000000000000"

// DueRules lists active rules due by today after the afterID cursor. The
// filter is ledger_rule_due's predicate, so the scan reads that partial index.
func (db *DB) DueRules(ctx context.Context, today aggregator.Date, afterID string, limit int) ([]aggregator.DueRule, error) {
	if err := db.live(ctx); err != nil {
		return nil, err
	}
	if afterID == "" {
		afterID = nilUUID
	}
	rows, err := db.conn.Query(ctx, `
		SELECT id::text, user_id::text FROM ledger_recurringrule
		WHERE NOT paused AND next_date IS NOT NULL AND next_date <= $1::text::date AND id > $2::text::uuid
		ORDER BY id LIMIT $3`, today.String(), afterID, limit)
	if err != nil {
		return nil, lostConnection(ctx, db.conn, err)
	}
	var due []aggregator.DueRule
	var r aggregator.DueRule
	if _, err := pgx.ForEachRow(rows, []any{&r.ID, &r.UserID}, func() error {
		due = append(due, r)
		return nil
	}); err != nil {
		return nil, lostConnection(ctx, db.conn, err)
	}
	return due, nil
}

// InRecordingTx runs fn in one READ COMMITTED transaction.
func (db *DB) InRecordingTx(ctx context.Context, fn func(aggregator.RecordingTx) (bool, error)) error {
	if err := db.live(ctx); err != nil {
		return err
	}
	err := func() error {
		tx, err := db.conn.Begin(ctx)
		if err != nil {
			return fmt.Errorf("begin recording: %w", err)
		}
		defer tx.Rollback(context.Background())
		commit, err := fn(recordingTx{tx})
		if err != nil || !commit {
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return fmt.Errorf("commit recording: %w", err)
		}
		return nil
	}()
	return lostConnection(ctx, db.conn, err)
}

// recordingTx is the recording's statements in one pgx transaction. Ids and
// dates travel as text (::uuid, ::date), as the rest of this package does.
type recordingTx struct{ tx pgx.Tx }

func (r recordingTx) BumpVersion(ctx context.Context, userID string) error {
	_, err := r.tx.Exec(ctx, `
		INSERT INTO ledger_balanceversion (user_id, version, volume_minor) VALUES ($1::text::uuid, 1, 0)
		ON CONFLICT (user_id) DO UPDATE SET version = ledger_balanceversion.version + 1`, userID)
	return err
}

func (r recordingTx) LockRule(ctx context.Context, ruleID string) (aggregator.Rule, bool, error) {
	var rule aggregator.Rule
	var frequency, start string
	var end, next *string
	var count *int64
	err := r.tx.QueryRow(ctx, `
		SELECT r.id::text, r.user_id::text, r.account_id::text, r.amount_minor, r.type, r.category, r.category_key,
		       r.description, r.frequency, r.interval, r.start_date::text, r.end_date::text, r.count, r.next_index,
		       r.next_date::text, r.paused, r.created_at, a.archived, a.currency
		FROM ledger_recurringrule r JOIN ledger_account a ON a.id = r.account_id
		WHERE r.id = $1::text::uuid
		FOR UPDATE OF r`, ruleID).Scan(
		&rule.ID, &rule.UserID, &rule.AccountID, &rule.AmountMinor, &rule.Type, &rule.Category, &rule.CategoryKey,
		&rule.Description, &frequency, &rule.Schedule.Interval, &start, &end, &count, &rule.NextIndex,
		&next, &rule.Paused, &rule.CreatedAt, &rule.AccountArchived, &rule.Currency)
	if errors.Is(err, pgx.ErrNoRows) {
		return rule, false, nil
	} else if err != nil {
		return rule, false, err
	}
	err = aggregator.ReadRuleSchedule(&rule, frequency, start, end, count, next)
	return rule, true, err
}

func (r recordingTx) ClaimOccurrence(ctx context.Context, rule *aggregator.Rule, day aggregator.Date, txnID aggregator.UUID) (bool, error) {
	tag, err := r.tx.Exec(ctx, `
		INSERT INTO ledger_recurringoccurrence (rule_id, date, transaction_id, skipped)
		VALUES ($1::text::uuid, $2::text::date, $3::text::uuid, false)
		ON CONFLICT (rule_id, date) DO NOTHING`, rule.ID, day.String(), txnID.String())
	return tag.RowsAffected() == 1, err
}

func (r recordingTx) OccurrenceTaken(ctx context.Context, ruleID string, day aggregator.Date) (bool, error) {
	var taken bool
	err := r.tx.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM ledger_recurringoccurrence WHERE rule_id = $1::text::uuid AND date = $2::text::date)`,
		ruleID, day.String()).Scan(&taken)
	return taken, err
}

func (r recordingTx) InsertTransaction(ctx context.Context, rule *aggregator.Rule, day aggregator.Date, txnID aggregator.UUID, now time.Time) error {
	_, err := r.tx.Exec(ctx, `
		INSERT INTO ledger_transaction (id, user_id, account_id, amount_minor, type, description, category,
		                                category_key, date, idempotency_key, idempotency_fingerprint, created_at, updated_at)
		VALUES ($1::text::uuid, $2::text::uuid, $3::text::uuid, $4, $5, $6, $7, $8, $9::text::date, NULL, NULL, $10, $10)`,
		txnID.String(), rule.UserID, rule.AccountID, rule.AmountMinor, rule.Type, rule.Description, rule.Category,
		rule.CategoryKey, day.String(), now)
	return err
}

func (r recordingTx) AddVolume(ctx context.Context, userID string, change int64) (int64, error) {
	var volume int64
	err := r.tx.QueryRow(ctx, `
		UPDATE ledger_balanceversion SET volume_minor = CASE
			WHEN $2::bigint > 0 AND volume_minor > $3::bigint THEN volume_minor ELSE volume_minor + $2::bigint END
		WHERE user_id = $1::text::uuid RETURNING volume_minor`, userID, change, aggregator.MaxVolumeMinor).Scan(&volume)
	return volume, err
}

func (r recordingTx) MarkDirty(ctx context.Context, userID string, month aggregator.Month, now time.Time) error {
	_, err := r.tx.Exec(ctx, `
		INSERT INTO ledger_dirtybucket (user_id, month, generation, marked_at) VALUES ($1::text::uuid, $2, 1, $3)
		ON CONFLICT (user_id, month) DO UPDATE
		SET generation = ledger_dirtybucket.generation + 1, marked_at = excluded.marked_at`, userID, month.String(), now)
	return err
}

func (r recordingTx) RememberCategory(ctx context.Context, userID, key, name string, now time.Time) error {
	_, err := r.tx.Exec(ctx, `
		INSERT INTO ledger_categoryname (user_id, key, name, used_at) VALUES ($1::text::uuid, $2, $3, $4)
		ON CONFLICT (user_id, key) DO UPDATE SET name = excluded.name, used_at = excluded.used_at`, userID, key, name, now)
	return err
}

func (r recordingTx) AdvanceRule(ctx context.Context, ruleID string, nextIndex int64, next aggregator.Date, now time.Time) error {
	var nextDate *string
	if !next.IsZero() {
		s := next.String()
		nextDate = &s
	}
	_, err := r.tx.Exec(ctx, `
		UPDATE ledger_recurringrule SET next_index = $2, next_date = $3::text::date, updated_at = $4
		WHERE id = $1::text::uuid`, ruleID, nextIndex, nextDate, now)
	return err
}

func (r recordingTx) AllocateChanges(ctx context.Context, userID string, n int) (int64, error) {
	var last int64
	err := r.tx.QueryRow(ctx, aggregator.AllocateChangesSQL("$1::text::uuid", "$2"), userID, n).Scan(&last)
	return last, err
}

func (r recordingTx) InsertChanges(ctx context.Context, userID string, first int64, changes []aggregator.Change, now time.Time) error {
	tuple := func(p int) string {
		return fmt.Sprintf("($1::text::uuid, $%d, $%d, $%d::text::uuid, $%d, $2, $%d::text::jsonb)", p, p+1, p+2, p+3, p+4)
	}
	for _, statement := range aggregator.ChangeStatements(userID, now, first, changes, tuple, aggregator.UUID.String) {
		if _, err := r.tx.Exec(ctx, statement.SQL, statement.Args...); err != nil {
			return err
		}
	}
	return nil
}
