package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	aggregator "finance/go_aggregator"
)

// The delivery pass on PostgreSQL (aggregator.Deliver drives it). Enqueueing
// holds the webhook's row (FOR UPDATE SKIP LOCKED: a webhook another worker
// is enqueueing is skipped, not waited for); claims lock the rows they lease
// with FOR UPDATE SKIP LOCKED, so two workers never claim one delivery.

// Ensure DB implements the delivery pass's store.
var _ aggregator.WebhookStore = (*DB)(nil)

// WebhooksBehind lists webhooks whose owner has changes after last_sequence.
func (db *DB) WebhooksBehind(ctx context.Context, afterID string, limit int) ([]string, error) {
	if err := db.live(ctx); err != nil {
		return nil, err
	}
	if afterID == "" {
		afterID = nilUUID
	}
	rows, err := db.conn.Query(ctx, `
		SELECT w.id::text FROM webhooks_webhook w JOIN ledger_balanceversion v ON v.user_id = w.user_id
		WHERE v.change_sequence > w.last_sequence AND w.id > $1::text::uuid
		ORDER BY w.id LIMIT $2`, afterID, limit)
	if err != nil {
		return nil, lostConnection(ctx, db.conn, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return ids, lostConnection(ctx, db.conn, err)
}

// InEnqueueTx runs fn in one READ COMMITTED transaction.
func (db *DB) InEnqueueTx(ctx context.Context, fn func(aggregator.EnqueueTx) (bool, error)) error {
	if err := db.live(ctx); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, db.conn, func(tx pgx.Tx) error {
		commit, err := fn(enqueueTx{tx})
		if err == nil && !commit {
			err = errRollback
		}
		return err
	})
	if errors.Is(err, errRollback) {
		return nil
	}
	return lostConnection(ctx, db.conn, err)
}

// errRollback makes pgx.BeginFunc roll back a transaction fn declined.
var errRollback = errors.New("rollback")

// enqueueTx is the enqueueing's statements in one pgx transaction.
type enqueueTx struct{ tx pgx.Tx }

func (e enqueueTx) LockWebhook(ctx context.Context, webhookID string) (aggregator.Webhook, bool, error) {
	var w aggregator.Webhook
	var events string
	err := e.tx.QueryRow(ctx, `
		SELECT id::text, user_id::text, events::text, last_sequence FROM webhooks_webhook
		WHERE id = $1::text::uuid FOR UPDATE SKIP LOCKED`, webhookID).Scan(&w.ID, &w.UserID, &events, &w.LastSequence)
	if errors.Is(err, pgx.ErrNoRows) {
		return w, false, nil
	} else if err != nil {
		return w, false, err
	}
	w.Events, err = aggregator.ParseWebhookEvents(events)
	return w, err == nil, err
}

func (e enqueueTx) ChangesAfter(ctx context.Context, userID string, after int64, limit int) ([]aggregator.LoggedChange, error) {
	rows, err := e.tx.Query(ctx, `
		SELECT sequence, entity_type, entity_id::text, operation, at, snapshot::text FROM ledger_change
		WHERE user_id = $1::text::uuid AND sequence > $2 ORDER BY sequence LIMIT $3`, userID, after, limit)
	if err != nil {
		return nil, err
	}
	var changes []aggregator.LoggedChange
	var c aggregator.LoggedChange
	var entityID, snapshot string
	_, err = pgx.ForEachRow(rows, []any{&c.Sequence, &c.EntityType, &entityID, &c.Operation, &c.At, &snapshot}, func() error {
		var err error
		if c.EntityID, err = aggregator.ParseUUID(entityID); err != nil {
			return fmt.Errorf("change %d: %w", c.Sequence, err)
		}
		c.Snapshot = []byte(snapshot)
		changes = append(changes, c)
		return nil
	})
	return changes, err
}

func (e enqueueTx) InsertDeliveries(ctx context.Context, webhookID string, deliveries []aggregator.NewDelivery, now time.Time) (int64, error) {
	if len(deliveries) == 0 {
		return 0, nil
	}
	ids := make([]string, len(deliveries))
	sequences := make([]int64, len(deliveries))
	events := make([]string, len(deliveries))
	payloads := make([]string, len(deliveries))
	for i, d := range deliveries {
		ids[i], sequences[i], events[i], payloads[i] = d.ID.String(), d.Sequence, d.Event, string(d.Payload)
	}
	tag, err := e.tx.Exec(ctx, `
		INSERT INTO webhooks_delivery (id, webhook_id, sequence, event, payload, attempts, last_status, last_error,
		                               created_at, delivered_at, next_attempt_at, locked_until)
		SELECT d.id::uuid, $1::text::uuid, d.sequence, d.event, d.payload, 0, NULL, '', $2, NULL, $2, NULL
		FROM unnest($3::text[], $4::bigint[], $5::text[], $6::text[]) AS d(id, sequence, event, payload)
		ON CONFLICT (webhook_id, sequence) DO NOTHING`, webhookID, now, ids, sequences, events, payloads)
	return tag.RowsAffected(), err
}

func (e enqueueTx) SetLastSequence(ctx context.Context, webhookID string, sequence int64) error {
	_, err := e.tx.Exec(ctx, `UPDATE webhooks_webhook SET last_sequence = $2 WHERE id = $1::text::uuid`, webhookID, sequence)
	return err
}

// ClaimDeliveries leases due deliveries, oldest first, skipping rows
// another worker is claiming.
func (db *DB) ClaimDeliveries(ctx context.Context, now, lease time.Time, limit int) ([]aggregator.Delivery, error) {
	if err := db.live(ctx); err != nil {
		return nil, err
	}
	rows, err := db.conn.Query(ctx, `
		UPDATE webhooks_delivery d SET locked_until = $2
		FROM webhooks_webhook w
		WHERE w.id = d.webhook_id AND d.id IN (
			SELECT id FROM webhooks_delivery
			WHERE delivered_at IS NULL AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until < $1)
			ORDER BY next_attempt_at, created_at LIMIT $3
			FOR UPDATE SKIP LOCKED)
		RETURNING d.id::text, d.webhook_id::text, w.url, w.secret, d.payload, d.attempts`, now, lease, limit)
	if err != nil {
		return nil, lostConnection(ctx, db.conn, err)
	}
	var claimed []aggregator.Delivery
	var d aggregator.Delivery
	var id, payload string
	_, err = pgx.ForEachRow(rows, []any{&id, &d.WebhookID, &d.URL, &d.Secret, &payload, &d.Attempts}, func() error {
		var err error
		if d.ID, err = aggregator.ParseUUID(id); err != nil {
			return err
		}
		d.Payload, d.Lease = []byte(payload), lease
		claimed = append(claimed, d)
		return nil
	})
	return claimed, lostConnection(ctx, db.conn, err)
}

// RecordAttempt writes an attempt's outcome under the delivery's lease, and
// the webhook's failing flag when it changes, in one transaction.
func (db *DB) RecordAttempt(ctx context.Context, r aggregator.AttemptRecord, now time.Time) (bool, error) {
	if err := db.live(ctx); err != nil {
		return false, err
	}
	var recorded bool
	err := pgx.BeginFunc(ctx, db.conn, func(tx pgx.Tx) error {
		d, a := r.Delivery, r.Attempt
		var status *int
		if a.Status != 0 {
			status = &a.Status
		}
		var deliveredAt, nextAttemptAt *time.Time
		if a.Delivered() {
			deliveredAt = &now
		}
		if !r.NextAttemptAt.IsZero() {
			nextAttemptAt = &r.NextAttemptAt
		}
		if r.Failing != nil {
			// The webhook's row first, then the delivery's: the order of
			// Django's delete of a webhook (its row locked, then its
			// deliveries deleted), so that the two never deadlock.
			if _, err := tx.Exec(ctx, `SELECT FROM webhooks_webhook WHERE id = $1::text::uuid FOR NO KEY UPDATE`, d.WebhookID); err != nil {
				return err
			}
		}
		tag, err := tx.Exec(ctx, `
			UPDATE webhooks_delivery SET attempts = attempts + 1, last_status = $3, last_error = $4, locked_until = NULL,
			       delivered_at = $5, next_attempt_at = $6
			WHERE id = $1::text::uuid AND locked_until = $2`, d.ID.String(), d.Lease, status, a.Error, deliveredAt, nextAttemptAt)
		if err != nil {
			return err
		}
		if recorded = tag.RowsAffected() == 1; !recorded || r.Failing == nil {
			return nil
		}
		_, err = tx.Exec(ctx, `UPDATE webhooks_webhook SET failing = $2 WHERE id = $1::text::uuid AND failing <> $2`, d.WebhookID, *r.Failing)
		return err
	})
	return recorded, lostConnection(ctx, db.conn, err)
}
