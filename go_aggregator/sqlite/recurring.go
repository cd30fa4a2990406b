package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	aggregator "finance/go_aggregator"
)

// The recording of recurring rules on SQLite (aggregator.RecordDue drives
// it): each rule's transaction is BEGIN IMMEDIATE, which takes the
// database's one write lock up front, so the API's writes and other
// aggregators wait for its commit and the re-read of the rule inside it is
// current. Values are stored the way Django stores them here: UUIDs as 32
// hex digits, dates as "YYYY-MM-DD", datetimes as UTC text, booleans as 0/1.

// Ensure DB implements the recording's store.
var _ aggregator.RecurringStore = (*DB)(nil)

// DueRules lists active rules due by today after the afterID cursor. The
// filter is ledger_rule_due's predicate as written in its DDL, so SQLite can
// read that partial index.
func (db *DB) DueRules(ctx context.Context, today aggregator.Date, afterID string, limit int) ([]aggregator.DueRule, error) {
	rows, err := db.db.QueryContext(ctx, `
		SELECT id, user_id FROM ledger_recurringrule
		WHERE next_date IS NOT NULL AND NOT paused AND next_date <= ? AND id > ?
		ORDER BY id LIMIT ?`, today.String(), afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var due []aggregator.DueRule
	for rows.Next() {
		var r aggregator.DueRule
		if err := rows.Scan(&r.ID, &r.UserID); err != nil {
			return nil, err
		}
		due = append(due, r)
	}
	return due, rows.Err()
}

// InRecordingTx runs fn in one BEGIN IMMEDIATE transaction.
func (db *DB) InRecordingTx(ctx context.Context, fn func(aggregator.RecordingTx) (bool, error)) error {
	return db.inWriteTx(ctx, "recording", func(tx *sql.Tx) (bool, error) { return fn(recordingTx{tx}) })
}

// DjangoDateTime formats t the way Django's SQLite backend stores a
// DateTimeField: UTC, "YYYY-MM-DD HH:MM:SS[.ffffff]" (str() of a naive
// datetime, whose microseconds are left out when zero).
func DjangoDateTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format(time.DateTime)
	}
	return t.Format("2006-01-02 15:04:05.000000")
}

// recordingTx is the recording's statements in one database/sql transaction.
type recordingTx struct{ tx *sql.Tx }

func (r recordingTx) BumpVersion(ctx context.Context, userID string) error {
	_, err := r.tx.ExecContext(ctx, `
		INSERT INTO ledger_balanceversion (user_id, version, volume_minor) VALUES (?, 1, 0)
		ON CONFLICT (user_id) DO UPDATE SET version = ledger_balanceversion.version + 1`, userID)
	return err
}

func (r recordingTx) LockRule(ctx context.Context, ruleID string) (aggregator.Rule, bool, error) {
	var rule aggregator.Rule
	var frequency string
	var start, end, next dateText
	var createdAt dateTimeText
	var count *int64
	err := r.tx.QueryRowContext(ctx, `
		SELECT r.id, r.user_id, r.account_id, r.amount_minor, r.type, r.category, r.category_key, r.description,
		       r.frequency, r.interval, r.start_date, r.end_date, r.count, r.next_index, r.next_date, r.paused,
		       r.created_at, a.archived, a.currency
		FROM ledger_recurringrule r JOIN ledger_account a ON a.id = r.account_id
		WHERE r.id = ?`, ruleID).Scan(
		&rule.ID, &rule.UserID, &rule.AccountID, &rule.AmountMinor, &rule.Type, &rule.Category, &rule.CategoryKey,
		&rule.Description, &frequency, &rule.Schedule.Interval, &start, &end, &count, &rule.NextIndex, &next,
		&rule.Paused, &createdAt, &rule.AccountArchived, &rule.Currency)
	if errors.Is(err, sql.ErrNoRows) {
		return rule, false, nil
	} else if err != nil {
		return rule, false, err
	}
	if start.text == nil {
		return rule, true, aggregator.Errorf(aggregator.EINVALID, "start_date is NULL")
	}
	rule.CreatedAt = createdAt.time
	err = aggregator.ReadRuleSchedule(&rule, frequency, *start.text, end.text, count, next.text)
	return rule, true, err
}

func (r recordingTx) ClaimOccurrence(ctx context.Context, rule *aggregator.Rule, day aggregator.Date, txnID aggregator.UUID) (bool, error) {
	res, err := r.tx.ExecContext(ctx, `
		INSERT INTO ledger_recurringoccurrence (rule_id, "date", transaction_id, skipped) VALUES (?, ?, ?, 0)
		ON CONFLICT (rule_id, "date") DO NOTHING`, rule.ID, day.String(), txnID.Hex())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (r recordingTx) OccurrenceTaken(ctx context.Context, ruleID string, day aggregator.Date) (bool, error) {
	var taken bool
	err := r.tx.QueryRowContext(ctx, `
		SELECT EXISTS (SELECT 1 FROM ledger_recurringoccurrence WHERE rule_id = ? AND "date" = ?)`,
		ruleID, day.String()).Scan(&taken)
	return taken, err
}

func (r recordingTx) InsertTransaction(ctx context.Context, rule *aggregator.Rule, day aggregator.Date, txnID aggregator.UUID, now time.Time) error {
	at := DjangoDateTime(now)
	_, err := r.tx.ExecContext(ctx, `
		INSERT INTO ledger_transaction (id, user_id, account_id, amount_minor, type, description, category,
		                                category_key, "date", idempotency_key, idempotency_fingerprint, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?, ?)`,
		txnID.Hex(), rule.UserID, rule.AccountID, rule.AmountMinor, rule.Type, rule.Description, rule.Category,
		rule.CategoryKey, day.String(), at, at)
	return err
}

func (r recordingTx) AddVolume(ctx context.Context, userID string, change int64) (int64, error) {
	var volume int64
	err := r.tx.QueryRowContext(ctx, `
		UPDATE ledger_balanceversion SET volume_minor = CASE
			WHEN ?2 > 0 AND volume_minor > ?3 THEN volume_minor ELSE volume_minor + ?2 END
		WHERE user_id = ?1 RETURNING volume_minor`, userID, change, aggregator.MaxVolumeMinor).Scan(&volume)
	return volume, err
}

func (r recordingTx) MarkDirty(ctx context.Context, userID string, month aggregator.Month, now time.Time) error {
	_, err := r.tx.ExecContext(ctx, `
		INSERT INTO ledger_dirtybucket (user_id, month, generation, marked_at) VALUES (?, ?, 1, ?)
		ON CONFLICT (user_id, month) DO UPDATE
		SET generation = ledger_dirtybucket.generation + 1, marked_at = excluded.marked_at`, userID, month.String(), DjangoDateTime(now))
	return err
}

func (r recordingTx) RememberCategory(ctx context.Context, userID, key, name string, now time.Time) error {
	_, err := r.tx.ExecContext(ctx, `
		INSERT INTO ledger_categoryname (user_id, key, name, used_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id, key) DO UPDATE SET name = excluded.name, used_at = excluded.used_at`,
		userID, key, name, DjangoDateTime(now))
	return err
}

func (r recordingTx) AdvanceRule(ctx context.Context, ruleID string, nextIndex int64, next aggregator.Date, now time.Time) error {
	var nextDate any // NULL once the schedule has ended
	if !next.IsZero() {
		nextDate = next.String()
	}
	_, err := r.tx.ExecContext(ctx, `
		UPDATE ledger_recurringrule SET next_index = ?, next_date = ?, updated_at = ? WHERE id = ?`,
		nextIndex, nextDate, DjangoDateTime(now), ruleID)
	return err
}

func (r recordingTx) AllocateChanges(ctx context.Context, userID string, n int) (int64, error) {
	var last int64
	err := r.tx.QueryRowContext(ctx, aggregator.AllocateChangesSQL("?", "?"), userID, n).Scan(&last)
	return last, err
}

func (r recordingTx) InsertChanges(ctx context.Context, userID string, first int64, changes []aggregator.Change, now time.Time) error {
	tuple := func(p int) string {
		return fmt.Sprintf("(?1, ?%d, ?%d, ?%d, ?%d, ?2, ?%d)", p, p+1, p+2, p+3, p+4)
	}
	for _, statement := range aggregator.ChangeStatements(userID, DjangoDateTime(now), first, changes, tuple, aggregator.UUID.Hex) {
		if _, err := r.tx.ExecContext(ctx, statement.SQL, statement.Args...); err != nil {
			return err
		}
	}
	return nil
}

// dateTimeText scans a DATETIME column Django wrote ("YYYY-MM-DD
// HH:MM:SS[.ffffff]", UTC): the driver hands it back as a string, or as a
// time.Time when it parsed it itself.
type dateTimeText struct{ time time.Time }

// Scan implements sql.Scanner.
func (d *dateTimeText) Scan(v any) error {
	var s string
	switch v := v.(type) {
	case time.Time:
		d.time = v.UTC()
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return aggregator.Errorf(aggregator.EINVALID, "unexpected datetime value %T", v)
	}
	// Fractional seconds are accepted after the seconds whether or not the
	// layout names them.
	t, err := time.Parse(time.DateTime, s)
	if err != nil {
		if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return aggregator.Errorf(aggregator.EINVALID, "datetime %q is not Django's format", s)
		}
	}
	d.time = t.UTC()
	return nil
}

// dateText scans a nullable DATE column as "YYYY-MM-DD": the driver hands
// Django's text back as a string, or as a time.Time for columns declared
// DATE.
type dateText struct{ text *string }

// Scan implements sql.Scanner.
func (d *dateText) Scan(v any) error {
	var s string
	switch v := v.(type) {
	case nil:
		d.text = nil
		return nil
	case string:
		s = v
	case []byte:
		s = string(v)
	case time.Time:
		s = v.Format(time.DateOnly)
	default:
		return aggregator.Errorf(aggregator.EINVALID, "unexpected date value %T", v)
	}
	d.text = &s
	return nil
}
