package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	aggregator "finance/go_aggregator"
)

// The delivery pass on SQLite (aggregator.Deliver drives it). Every write
// transaction is BEGIN IMMEDIATE, which takes the database's one write lock
// up front: an enqueueing or a claim by another worker waits for it, then
// sees what it wrote. Datetimes are compared as the UTC text Django stores
// ("YYYY-MM-DD HH:MM:SS[.ffffff]"), whose text order is their time order.

// Ensure DB implements the delivery pass's store.
var _ aggregator.WebhookStore = (*DB)(nil)

// WebhooksBehind lists webhooks whose owner has changes after last_sequence.
func (db *DB) WebhooksBehind(ctx context.Context, afterID string, limit int) ([]string, error) {
	rows, err := db.db.QueryContext(ctx, `
		SELECT w.id FROM webhooks_webhook w JOIN ledger_balanceversion v ON v.user_id = w.user_id
		WHERE v.change_sequence > w.last_sequence AND w.id > ?
		ORDER BY w.id LIMIT ?`, afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// InEnqueueTx runs fn in one BEGIN IMMEDIATE transaction.
func (db *DB) InEnqueueTx(ctx context.Context, fn func(aggregator.EnqueueTx) (bool, error)) error {
	return db.inWriteTx(ctx, "enqueue", func(tx *sql.Tx) (bool, error) { return fn(enqueueTx{tx}) })
}

// inWriteTx runs fn in one BEGIN IMMEDIATE transaction, committing when fn
// returns true and no error.
func (db *DB) inWriteTx(ctx context.Context, what string, fn func(*sql.Tx) (bool, error)) error {
	tx, err := db.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE via _txlock
	if err != nil {
		return fmt.Errorf("begin %s: %w", what, err)
	}
	defer tx.Rollback()
	commit, err := fn(tx)
	if err != nil || !commit {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit %s: %w", what, err)
	}
	return nil
}

// enqueueTx is the enqueueing's statements in one database/sql transaction.
type enqueueTx struct{ tx *sql.Tx }

func (e enqueueTx) LockWebhook(ctx context.Context, webhookID string) (aggregator.Webhook, bool, error) {
	var w aggregator.Webhook
	var events string
	err := e.tx.QueryRowContext(ctx, `SELECT id, user_id, events, last_sequence FROM webhooks_webhook WHERE id = ?`,
		webhookID).Scan(&w.ID, &w.UserID, &events, &w.LastSequence)
	if err == sql.ErrNoRows {
		return w, false, nil
	} else if err != nil {
		return w, false, err
	}
	w.Events, err = aggregator.ParseWebhookEvents(events)
	return w, err == nil, err
}

func (e enqueueTx) ChangesAfter(ctx context.Context, userID string, after int64, limit int) ([]aggregator.LoggedChange, error) {
	rows, err := e.tx.QueryContext(ctx, `
		SELECT sequence, entity_type, entity_id, operation, CAST(at AS TEXT), CAST(snapshot AS TEXT) FROM ledger_change
		WHERE user_id = ? AND sequence > ? ORDER BY sequence LIMIT ?`, userID, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var changes []aggregator.LoggedChange
	for rows.Next() {
		var c aggregator.LoggedChange
		var entityID, at, snapshot string
		if err := rows.Scan(&c.Sequence, &c.EntityType, &entityID, &c.Operation, &at, &snapshot); err != nil {
			return nil, err
		}
		if c.EntityID, err = aggregator.ParseUUID(entityID); err != nil {
			return nil, fmt.Errorf("change %d: %w", c.Sequence, err)
		}
		if c.At, err = ParseDjangoDateTime(at); err != nil {
			return nil, fmt.Errorf("change %d: %w", c.Sequence, err)
		}
		c.Snapshot = []byte(snapshot)
		changes = append(changes, c)
	}
	return changes, rows.Err()
}

func (e enqueueTx) InsertDeliveries(ctx context.Context, webhookID string, deliveries []aggregator.NewDelivery, now time.Time) (int64, error) {
	if len(deliveries) == 0 {
		return 0, nil
	}
	stmt, err := e.tx.PrepareContext(ctx, `
		INSERT INTO webhooks_delivery (id, webhook_id, sequence, event, payload, attempts, last_status, last_error,
		                               created_at, delivered_at, next_attempt_at, locked_until)
		VALUES (?, ?, ?, ?, ?, 0, NULL, '', ?, NULL, ?, NULL)
		ON CONFLICT (webhook_id, sequence) DO NOTHING`)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	at := DjangoDateTime(now)
	var inserted int64
	for _, d := range deliveries {
		res, err := stmt.ExecContext(ctx, d.ID.Hex(), webhookID, d.Sequence, d.Event, string(d.Payload), at, at)
		if err != nil {
			return 0, err
		}
		n, _ := res.RowsAffected()
		inserted += n
	}
	return inserted, nil
}

func (e enqueueTx) SetLastSequence(ctx context.Context, webhookID string, sequence int64) error {
	_, err := e.tx.ExecContext(ctx, `UPDATE webhooks_webhook SET last_sequence = ? WHERE id = ?`, sequence, webhookID)
	return err
}

// ClaimDeliveries leases due deliveries, oldest first, in one write
// transaction.
func (db *DB) ClaimDeliveries(ctx context.Context, now, lease time.Time, limit int) ([]aggregator.Delivery, error) {
	var claimed []aggregator.Delivery
	err := db.inWriteTx(ctx, "claim", func(tx *sql.Tx) (bool, error) {
		claimed = nil
		nowText := DjangoDateTime(now)
		rows, err := tx.QueryContext(ctx, `
			SELECT d.id, d.webhook_id, w.url, w.secret, CAST(d.payload AS TEXT), d.attempts
			FROM webhooks_delivery d JOIN webhooks_webhook w ON w.id = d.webhook_id
			WHERE d.delivered_at IS NULL AND d.next_attempt_at IS NOT NULL AND d.next_attempt_at <= ?
			  AND (d.locked_until IS NULL OR d.locked_until < ?)
			ORDER BY d.next_attempt_at, d.created_at LIMIT ?`, nowText, nowText, limit)
		if err != nil {
			return false, err
		}
		var ids []string
		for rows.Next() {
			d := aggregator.Delivery{Lease: lease}
			var id, payload string
			if err := rows.Scan(&id, &d.WebhookID, &d.URL, &d.Secret, &payload, &d.Attempts); err != nil {
				rows.Close()
				return false, err
			}
			if d.ID, err = aggregator.ParseUUID(id); err != nil {
				rows.Close()
				return false, err
			}
			d.Payload = []byte(payload)
			ids = append(ids, id)
			claimed = append(claimed, d)
		}
		if err := rows.Close(); err != nil {
			return false, err
		}
		if err := rows.Err(); err != nil {
			return false, err
		}
		leaseText := DjangoDateTime(lease)
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE webhooks_delivery SET locked_until = ? WHERE id = ?`, leaseText, id); err != nil {
				return false, err
			}
		}
		return len(ids) > 0, nil
	})
	if err != nil {
		return nil, err
	}
	return claimed, nil
}

// RecordAttempt writes an attempt's outcome under the delivery's lease, and
// the webhook's failing flag when it changes, in one transaction.
func (db *DB) RecordAttempt(ctx context.Context, r aggregator.AttemptRecord, now time.Time) (bool, error) {
	var recorded bool
	err := db.inWriteTx(ctx, "record attempt", func(tx *sql.Tx) (bool, error) {
		d, a := r.Delivery, r.Attempt
		var status, deliveredAt, nextAttemptAt any
		if a.Status != 0 {
			status = a.Status
		}
		if a.Delivered() {
			deliveredAt = DjangoDateTime(now)
		}
		if !r.NextAttemptAt.IsZero() {
			nextAttemptAt = DjangoDateTime(r.NextAttemptAt)
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE webhooks_delivery SET attempts = attempts + 1, last_status = ?, last_error = ?, locked_until = NULL,
			       delivered_at = ?, next_attempt_at = ?
			WHERE id = ? AND locked_until = ?`, status, a.Error, deliveredAt, nextAttemptAt, d.ID.Hex(), DjangoDateTime(d.Lease))
		if err != nil {
			return false, err
		}
		n, err := res.RowsAffected()
		if recorded = n == 1; err != nil || !recorded || r.Failing == nil {
			return recorded, err
		}
		_, err = tx.ExecContext(ctx, `UPDATE webhooks_webhook SET failing = ? WHERE id = ? AND failing <> ?`, *r.Failing, d.WebhookID, *r.Failing)
		return err == nil, err
	})
	return recorded, err
}

// ParseDjangoDateTime reads a datetime as Django stores it on SQLite: UTC
// text "YYYY-MM-DD HH:MM:SS[.ffffff]".
func ParseDjangoDateTime(s string) (time.Time, error) {
	t, err := time.Parse("2006-01-02 15:04:05.999999", s)
	if err != nil {
		return time.Time{}, aggregator.Errorf(aggregator.EINVALID, "%q is not a datetime as Django stores it", s)
	}
	return t, nil
}
