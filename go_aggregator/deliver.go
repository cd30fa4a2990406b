package aggregator

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"
)

// The delivery pass (`aggregator deliver`): enqueue from the change log,
// then claim what is due under a lease, send it concurrently and record
// each attempt, until nothing is due.
//
// At least once, never twice at once: a delivery is sent only by the worker
// whose claim set its locked_until (PostgreSQL: FOR UPDATE SKIP LOCKED;
// SQLite: the write transaction), and its outcome is recorded only while
// that lease is still the row's, so a worker that overran its lease (and
// whose delivery another worker may have claimed since) records nothing. A
// worker stopped between its send and its record leaves the lease to expire:
// the delivery is sent again, with the same webhook-id, for the receiver to
// de-duplicate.

// behindPage is how many webhooks one scan of WebhooksBehind reads.
const behindPage = 500

// EnqueueTx is the one transaction that enqueues a webhook's deliveries,
// opened by a backend holding nothing yet.
type EnqueueTx interface {
	// LockWebhook reads the webhook under its row lock; false when it is
	// gone or (PostgreSQL) another worker holds it.
	LockWebhook(ctx context.Context, webhookID string) (Webhook, bool, error)
	// ChangesAfter reads up to limit of the user's change rows with a
	// sequence > after, in sequence order.
	ChangesAfter(ctx context.Context, userID string, after int64, limit int) ([]LoggedChange, error)
	// InsertDeliveries inserts the deliveries, due at now, skipping those
	// whose (webhook, sequence) exists; it returns how many it inserted.
	InsertDeliveries(ctx context.Context, webhookID string, deliveries []NewDelivery, now time.Time) (int64, error)
	// SetLastSequence stores the webhook's last_sequence.
	SetLastSequence(ctx context.Context, webhookID string, sequence int64) error
}

// WebhookStore is a backend's side of the delivery pass. Its methods own
// their transactions.
type WebhookStore interface {
	// WebhooksBehind returns up to limit ids > afterID ("" first), in id
	// order, of webhooks whose owner's change_sequence is past their
	// last_sequence.
	WebhooksBehind(ctx context.Context, afterID string, limit int) ([]string, error)
	// InEnqueueTx runs fn in one write transaction, committing when fn
	// returns true and no error.
	InEnqueueTx(ctx context.Context, fn func(EnqueueTx) (commit bool, err error)) error
	// ClaimDeliveries sets locked_until = lease on up to limit deliveries
	// not delivered, due by now and not leased (or whose lease passed),
	// oldest first, and returns them with their webhook's url and secret.
	ClaimDeliveries(ctx context.Context, now, lease time.Time, limit int) ([]Delivery, error)
	// RecordAttempt writes an attempt's outcome at now, if the delivery
	// still exists and still holds the lease it was claimed with; false
	// otherwise (nothing written).
	RecordAttempt(ctx context.Context, r AttemptRecord, now time.Time) (bool, error)
}

// WebhookSender sends one attempt of a delivery (delivery.Sender over
// HTTP). It never fails: what went wrong is in the Attempt.
type WebhookSender interface {
	Send(ctx context.Context, d *Delivery) Attempt
}

// DeliverOptions are a pass's settings.
type DeliverOptions struct {
	Concurrency int           // attempts in flight, and deliveries per claim
	Timeout     time.Duration // of one attempt; the lease is Timeout + LeaseMargin
	Schedule    RetrySchedule
	// Now, when set, is the clock (tests); time.Now otherwise.
	Now func() time.Time
}

func (o *DeliverOptions) now() time.Time {
	if o.Now != nil {
		return o.Now().UTC()
	}
	return time.Now().UTC()
}

// EnqueueFailure is a webhook whose deliveries could not be enqueued: its
// last_sequence stays, the next pass tries again.
type EnqueueFailure struct {
	WebhookID string `json:"webhook_id"`
	Error     string `json:"error"`
}

// AttemptFailure is a failed attempt, as the report lists it.
type AttemptFailure struct {
	DeliveryID string `json:"delivery_id"`
	WebhookID  string `json:"webhook_id"`
	Attempt    int    `json:"attempt"`
	Status     int    `json:"status,omitempty"`
	Error      string `json:"error"`
	// NextAttemptAt is when it is tried again; "" when given up.
	NextAttemptAt string `json:"next_attempt_at"`
}

// DeliverReport is what one pass did (its JSON line).
type DeliverReport struct {
	Mode           string           `json:"mode"` // "deliver"
	WebhooksBehind int64            `json:"webhooks_behind"`
	Enqueued       int64            `json:"deliveries_enqueued"`
	EnqueueFailed  int64            `json:"webhooks_failed"`
	Attempts       int64            `json:"attempts"`
	Delivered      int64            `json:"delivered"`
	Failed         int64            `json:"attempts_failed"`
	GivenUp        int64            `json:"given_up"`
	ElapsedMS      int64            `json:"elapsed_ms"`
	EnqueueErrors  []EnqueueFailure `json:"enqueue_failures"`
	Failures       []AttemptFailure `json:"failures"` // the first MaxReportedFailures failed attempts
}

// Idle reports whether the pass did nothing at all.
func (r *DeliverReport) Idle() bool {
	return r.WebhooksBehind == 0 && r.Enqueued == 0 && r.EnqueueFailed == 0 && r.Attempts == 0
}

// Deliver runs one pass. A webhook that cannot be enqueued is reported and
// the pass goes on (an EPARTIAL error at the end); failed attempts are the
// receivers' and only reported. A lost database or a cancelled context ends
// the pass.
func Deliver(ctx context.Context, store WebhookStore, sender WebhookSender, opts DeliverOptions) (DeliverReport, error) {
	start := time.Now()
	report := DeliverReport{Mode: "deliver", EnqueueErrors: []EnqueueFailure{}, Failures: []AttemptFailure{}}
	err := enqueueAll(ctx, store, &opts, &report)
	if err == nil {
		err = sendDue(ctx, store, sender, &opts, &report)
	}
	report.ElapsedMS = time.Since(start).Milliseconds()
	if err == nil && report.EnqueueFailed > 0 {
		err = Errorf(EPARTIAL, "%d webhook(s) could not be enqueued and stay behind (see the report); everything else is done", report.EnqueueFailed)
	}
	return report, err
}

// enqueueAll enqueues the deliveries of every webhook behind its owner's
// change log.
func enqueueAll(ctx context.Context, store WebhookStore, opts *DeliverOptions, report *DeliverReport) error {
	after := ""
	for {
		ids, err := store.WebhooksBehind(ctx, after, behindPage)
		if err != nil {
			return fmt.Errorf("find webhooks behind the change log: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		after = ids[len(ids)-1]
		for _, id := range ids {
			report.WebhooksBehind++
			var inserted int64
			err := store.InEnqueueTx(ctx, func(tx EnqueueTx) (bool, error) {
				var err error
				inserted, err = EnqueueWebhook(ctx, tx, id, opts.now())
				return err == nil, err
			})
			if stop, failed := unitFailure(ctx, err); stop != nil {
				return stop
			} else if failed {
				report.EnqueueFailed++
				if len(report.EnqueueErrors) < MaxReportedFailures {
					report.EnqueueErrors = append(report.EnqueueErrors, EnqueueFailure{WebhookID: id, Error: ErrorMessage(err)})
				}
				continue
			}
			report.Enqueued += inserted
		}
	}
}

// unitFailure sorts out the error of one unit of a run (a recurring rule's
// transaction, a webhook's enqueueing) so that it does not stop the others:
// a cancelled context or a lost database ends the run (stop), any other
// error fails that unit alone (failed).
func unitFailure(ctx context.Context, err error) (stop error, failed bool) {
	switch {
	case ctx.Err() != nil:
		return ctx.Err(), false
	case ErrorCode(err) == EUNAVAILABLE:
		return err, false
	}
	return nil, err != nil
}

// EnqueueWebhook is the enqueueing transaction of one webhook: every change
// of its owner after last_sequence, chunk by chunk, one delivery per change
// it takes, and last_sequence moved to the last change read. It returns the
// deliveries inserted.
func EnqueueWebhook(ctx context.Context, tx EnqueueTx, webhookID string, now time.Time) (int64, error) {
	now = now.Truncate(time.Microsecond)
	w, found, err := tx.LockWebhook(ctx, webhookID)
	if err != nil {
		return 0, fmt.Errorf("lock webhook: %w", err)
	} else if !found {
		return 0, nil // deleted, or another worker is enqueueing it
	}
	var inserted int64
	last := w.LastSequence
	for {
		changes, err := tx.ChangesAfter(ctx, w.UserID, last, MaxChangesPerRead)
		if err != nil {
			return 0, fmt.Errorf("read changes after %d: %w", last, err)
		}
		if len(changes) == 0 {
			break
		}
		last = changes[len(changes)-1].Sequence
		deliveries, err := DeliveriesFor(&w, changes)
		if err != nil {
			return 0, err
		}
		n, err := tx.InsertDeliveries(ctx, w.ID, deliveries, now)
		if err != nil {
			return 0, fmt.Errorf("insert deliveries: %w", err)
		}
		inserted += n
		if len(changes) < MaxChangesPerRead {
			break
		}
	}
	if last != w.LastSequence {
		if err := tx.SetLastSequence(ctx, w.ID, last); err != nil {
			return 0, fmt.Errorf("set last sequence: %w", err)
		}
	}
	return inserted, nil
}

// sendDue claims and sends due deliveries, Concurrency at a time, until none
// is due. A claim takes no more than the pool sends at once, so each claimed
// delivery's attempt starts at once and ends within Timeout: well inside its
// lease.
func sendDue(ctx context.Context, store WebhookStore, sender WebhookSender, opts *DeliverOptions, report *DeliverReport) error {
	for {
		now := opts.now().Truncate(time.Microsecond)
		batch, err := store.ClaimDeliveries(ctx, now, now.Add(opts.Timeout+LeaseMargin), opts.Concurrency)
		if err != nil {
			return fmt.Errorf("claim deliveries: %w", err)
		}
		if len(batch) == 0 {
			return nil
		}
		if err := sendBatch(ctx, store, sender, opts, batch, report); err != nil {
			return err
		}
	}
}

// sendBatch sends the claimed deliveries concurrently and records each
// outcome as it comes in (the store's connection is used by this goroutine
// alone).
func sendBatch(ctx context.Context, store WebhookStore, sender WebhookSender, opts *DeliverOptions, batch []Delivery, report *DeliverReport) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Concurrency)
	type outcome struct {
		d *Delivery
		a Attempt
	}
	outcomes := make(chan outcome)
	go func() {
		defer close(outcomes)
		for i := range batch {
			d := &batch[i]
			g.Go(func() error {
				if gctx.Err() != nil {
					return gctx.Err()
				}
				a := sender.Send(gctx, d)
				if gctx.Err() != nil {
					// Stopped mid-send: not the receiver's failure. The lease
					// expires and the delivery is sent again.
					return gctx.Err()
				}
				select {
				case outcomes <- outcome{d, a}:
					return nil
				case <-gctx.Done():
					return gctx.Err()
				}
			})
		}
		g.Wait()
	}()
	var recordErr error
	for o := range outcomes {
		if recordErr != nil {
			continue // draining: the senders stop at their next select
		}
		if recordErr = recordAttempt(ctx, store, opts, o.d, o.a, report); recordErr != nil {
			cancel()
		}
	}
	if recordErr != nil {
		return recordErr
	}
	return ctx.Err()
}

// recordAttempt writes one attempt's outcome and counts it.
func recordAttempt(ctx context.Context, store WebhookStore, opts *DeliverOptions, d *Delivery, a Attempt, report *DeliverReport) error {
	now := opts.now().Truncate(time.Microsecond)
	r := RecordFor(d, a, opts.Schedule, now)
	if _, err := store.RecordAttempt(ctx, r, now); err != nil {
		return fmt.Errorf("record attempt of delivery %s: %w", d.ID, err)
	}
	report.Attempts++
	if a.Delivered() {
		report.Delivered++
		return nil
	}
	report.Failed++
	next := ""
	if r.NextAttemptAt.IsZero() {
		report.GivenUp++
	} else {
		next = PayloadTime(r.NextAttemptAt)
	}
	if len(report.Failures) < MaxReportedFailures {
		report.Failures = append(report.Failures, AttemptFailure{
			DeliveryID: d.ID.String(), WebhookID: d.WebhookID, Attempt: d.Attempts + 1, Status: a.Status,
			Error: r.Attempt.Error, NextAttemptAt: next,
		})
	}
	return nil
}
