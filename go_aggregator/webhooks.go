package aggregator

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Webhook deliveries (issue 14): the change log is turned into one
// webhooks_delivery row per change a webhook takes (its event), with the
// exact body every attempt sends, and each row is sent under a lease until a
// receiver answers 2xx or the retry schedule is used up. The contract with
// Django is the docstring of webhooks/models.py; the messages follow the
// Standard Webhooks specification (webhook-id, webhook-timestamp,
// webhook-signature).

// MaxChangesPerRead bounds the change rows one read of the enqueueing takes;
// a webhook far behind is caught up chunk by chunk, still in one transaction.
const MaxChangesPerRead = 1000

// MaxLastErrorChars is webhooks_delivery.last_error's max_length.
const MaxLastErrorChars = 500

// LeaseMargin is added to the attempt timeout to make a claim's lease: the
// time a worker may take from its claim to recording the outcome.
const LeaseMargin = 30 * time.Second

// DefaultRetrySchedule is Standard Webhooks' schedule: the delay before each
// attempt, counted from the failure of the previous one (the first attempt
// is immediate): 8 attempts over about 28 hours.
var DefaultRetrySchedule = RetrySchedule{
	0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// RetrySchedule is the delay before attempt i+1 (index 0: the first
// attempt, always 0). Its length is the number of attempts before the
// delivery is given up and its webhook marked failing.
type RetrySchedule []time.Duration

// ParseRetrySchedule reads a comma-separated list of Go durations
// ("0s,5s,5m"); the first must be 0.
func ParseRetrySchedule(s string) (RetrySchedule, error) {
	var schedule RetrySchedule
	for _, field := range strings.Split(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(field))
		if err != nil || d < 0 {
			return nil, Errorf(EINVALID, "retry schedule %q: %q is not a duration >= 0", s, field)
		}
		schedule = append(schedule, d)
	}
	if schedule[0] != 0 {
		return nil, Errorf(EINVALID, "retry schedule %q: the first attempt is immediate, its delay must be 0s", s)
	}
	return schedule, nil
}

// String is the schedule as ParseRetrySchedule reads it.
func (s RetrySchedule) String() string {
	fields := make([]string, len(s))
	for i, d := range s {
		fields[i] = d.String()
	}
	return strings.Join(fields, ",")
}

// Next returns when the attempt after a failed one is due, given the number
// of attempts made so far (the failed one included): the schedule's delay
// with +-20% jitter, so that retries of many deliveries spread out. False
// when the schedule is used up.
func (s RetrySchedule) Next(attempts int, failedAt time.Time) (time.Time, bool) {
	if attempts < 1 || attempts >= len(s) {
		return time.Time{}, false
	}
	delay := float64(s[attempts]) * (0.8 + 0.4*rand.Float64())
	return failedAt.Add(time.Duration(delay)), true
}

// The entity types and operations a change row may hold
// (ledger.models.EntityType and ChangeOperation), and their names in events.
var (
	eventEntities   = map[string]string{"TRANSACTION": "transaction", "TRANSFER": "transfer", "ACCOUNT": "account", "BUDGET": "budget", "RECURRING_RULE": "recurring_rule"}
	eventOperations = map[string]string{"CREATED": "created", "UPDATED": "updated", "DELETED": "deleted"}
)

// EventName is a change's event: "<entity>.<operation>" in lower case
// (TRANSACTION, CREATED: "transaction.created").
func EventName(entityType, operation string) (string, error) {
	entity, ok := eventEntities[entityType]
	if !ok {
		return "", Errorf(EINVALID, "unknown entity type %q", entityType)
	}
	op, ok := eventOperations[operation]
	if !ok {
		return "", Errorf(EINVALID, "unknown operation %q", operation)
	}
	return entity + "." + op, nil
}

// Webhook is a webhook as the enqueueing reads it under its row lock.
type Webhook struct {
	ID, UserID string
	// Events are the event names it takes; empty: every event.
	Events       []string
	LastSequence int64
}

// ParseWebhookEvents reads webhooks_webhook.events, a JSON list of names.
func ParseWebhookEvents(text string) ([]string, error) {
	var events []string
	if err := json.Unmarshal([]byte(text), &events); err != nil {
		return nil, Errorf(EINVALID, "events %q is not a JSON list of names", text)
	}
	return events, nil
}

// Takes reports whether the webhook takes event.
func (w *Webhook) Takes(event string) bool {
	if len(w.Events) == 0 {
		return true
	}
	for _, e := range w.Events {
		if e == event {
			return true
		}
	}
	return false
}

// LoggedChange is one row of ledger_change as the enqueueing reads it.
type LoggedChange struct {
	Sequence   int64
	EntityType string
	EntityID   UUID
	Operation  string
	At         time.Time
	Snapshot   []byte // the JSON object as stored
}

// NewDelivery is a delivery the enqueueing inserts: due at once, no attempt yet.
type NewDelivery struct {
	ID       UUID
	Sequence int64
	Event    string
	Payload  []byte
}

// DeliveriesFor returns the deliveries of changes the webhook takes, in
// order.
func DeliveriesFor(w *Webhook, changes []LoggedChange) ([]NewDelivery, error) {
	var deliveries []NewDelivery
	for i := range changes {
		c := &changes[i]
		event, err := EventName(c.EntityType, c.Operation)
		if err != nil {
			return nil, fmt.Errorf("change %d: %w", c.Sequence, err)
		}
		if !w.Takes(event) {
			continue
		}
		payload, err := WebhookPayload(event, c)
		if err != nil {
			return nil, fmt.Errorf("change %d: %w", c.Sequence, err)
		}
		deliveries = append(deliveries, NewDelivery{ID: NewUUID(), Sequence: c.Sequence, Event: event, Payload: payload})
	}
	return deliveries, nil
}

// PayloadTime formats a change's time as the body carries it: RFC 3339 in
// UTC with microseconds, "2026-11-30T12:00:00.123456Z".
func PayloadTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// WebhookPayload is the body of every attempt of a change's delivery, byte
// for byte (receivers and the Python docs rely on it):
//
//	{"type":"<event>","timestamp":"<at>","data":{"sequence":"<n>","entityType":"TRANSACTION",
//	 "entityId":"<uuid>","operation":"CREATED","at":"<at>","snapshot":<the snapshot as stored>}}
//
// The snapshot is copied, not decoded: its amounts stay integers, whatever
// their size.
func WebhookPayload(event string, c *LoggedChange) ([]byte, error) {
	snapshot := bytes.TrimSpace(c.Snapshot)
	if !json.Valid(snapshot) || len(snapshot) == 0 || snapshot[0] != '{' {
		return nil, Errorf(EINVALID, "snapshot is not a JSON object")
	}
	at := PayloadTime(c.At)
	var b bytes.Buffer
	b.WriteString(`{"type":`)
	writeJSONString(&b, event)
	b.WriteString(`,"timestamp":`)
	writeJSONString(&b, at)
	b.WriteString(`,"data":{"sequence":"`)
	b.WriteString(strconv.FormatInt(c.Sequence, 10))
	b.WriteString(`","entityType":`)
	writeJSONString(&b, c.EntityType)
	b.WriteString(`,"entityId":"`)
	b.WriteString(c.EntityID.String())
	b.WriteString(`","operation":`)
	writeJSONString(&b, c.Operation)
	b.WriteString(`,"at":`)
	writeJSONString(&b, at)
	b.WriteString(`,"snapshot":`)
	b.Write(snapshot)
	b.WriteString(`}}`)
	return b.Bytes(), nil
}

// writeJSONString writes s as a JSON string (the names written here are
// plain ASCII; the encoding is there for safety, not for show).
func writeJSONString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s) // a string always encodes
	b.Write(enc)
}

// Delivery is a claimed delivery: what one attempt needs.
type Delivery struct {
	ID        UUID
	WebhookID string
	URL       string
	Secret    string
	Payload   []byte
	Attempts  int       // made before this one
	Lease     time.Time // locked_until as claimed: the outcome is recorded only while it holds
}

// Attempt is the outcome of sending a delivery once.
type Attempt struct {
	At     time.Time // when it was sent (webhook-timestamp)
	Status int       // the HTTP status; 0: no answer
	Error  string    // "" when delivered
}

// Delivered reports whether the receiver took the message (any 2xx).
func (a Attempt) Delivered() bool { return a.Status >= 200 && a.Status < 300 }

// AttemptRecord is what a backend writes for one attempt.
type AttemptRecord struct {
	Delivery *Delivery
	Attempt  Attempt
	// NextAttemptAt is when the next attempt is due; zero when delivered or
	// given up.
	NextAttemptAt time.Time
	// Failing is the webhook's new flag: false after a delivery, true when
	// this attempt used up the schedule, nil otherwise (left as it is).
	Failing *bool
}

// RecordFor decides what an attempt recorded at now leaves behind under
// schedule.
func RecordFor(d *Delivery, a Attempt, schedule RetrySchedule, now time.Time) AttemptRecord {
	r := AttemptRecord{Delivery: d, Attempt: a}
	r.Attempt.Error = TruncateChars(a.Error, MaxLastErrorChars)
	if a.Delivered() {
		r.Failing = new(bool)
		return r
	}
	next, ok := schedule.Next(d.Attempts+1, now)
	if !ok {
		failing := true
		r.Failing = &failing
		return r
	}
	r.NextAttemptAt = next
	return r
}

// TruncateChars cuts s to at most n characters (not bytes: varchar(n)
// counts characters), on a character boundary.
func TruncateChars(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	runes := []rune(s)
	return string(runes[:n])
}

// WebhookSecretPrefix starts every webhook secret; base64 of the HMAC key
// follows.
const WebhookSecretPrefix = "whsec_"

// SignWebhook returns the webhook-signature header of a message:
// "v1,<base64 of HMAC-SHA256(key, id.timestamp.body)>", the key being the
// secret's base64 part decoded.
func SignWebhook(secret, msgID string, timestamp int64, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, WebhookSecretPrefix))
	if err != nil || len(key) == 0 {
		return "", Errorf(EINVALID, "the webhook's secret is not %q followed by base64", WebhookSecretPrefix)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID + "." + strconv.FormatInt(timestamp, 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}
