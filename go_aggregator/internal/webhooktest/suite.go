// Package webhooktest is the behaviour of the webhook delivery pass that
// both backends must show, written once: sqlite/ and postgres/ run Run with
// a Fixture of their own, against real HTTP receivers (httptest).
package webhooktest

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	aggregator "finance/go_aggregator"
	"finance/go_aggregator/delivery"
	"finance/go_aggregator/internal/recurringtest"
)

// Fixture is one backend's test database, fresh for each test.
type Fixture interface {
	recurringtest.Fixture
	// Webhooks returns the delivery pass's store on a connection of its own.
	Webhooks(t *testing.T) aggregator.WebhookStore
	// DateTime returns t as a parameter for a datetime column, in the form
	// Django stores it on the backend.
	DateTime(t time.Time) any
}

// Secret is the test webhooks' secret: "whsec_" and base64 of 32 bytes.
var Secret = aggregator.WebhookSecretPrefix + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// NewWebhook inserts a webhook of the user to url taking events (a JSON
// list) after last_sequence, and returns its id.
func NewWebhook(t *testing.T, f Fixture, userID, url, events string, lastSequence int64) string {
	t.Helper()
	id := f.NewID()
	f.Exec(t, `INSERT INTO webhooks_webhook (id, user_id, url, events, description, secret, failing, created_at, last_sequence)
		VALUES (?, ?, ?, ?, '', ?, false, CURRENT_TIMESTAMP, ?)`, id, userID, url, events, Secret, lastSequence)
	return id
}

// AppendChange appends one change row of the user as an API write does
// (the sequence allocated from change_sequence) and returns its sequence.
func AppendChange(t *testing.T, f Fixture, userID, entityType, operation, entityID string, at time.Time, snapshot string) int64 {
	t.Helper()
	last := f.Strings(t, `INSERT INTO ledger_balanceversion (user_id, version, volume_minor, change_sequence) VALUES (?, 1, 0, 1)
		ON CONFLICT (user_id) DO UPDATE
		SET version = ledger_balanceversion.version + 1,
		    change_sequence = ledger_balanceversion.change_sequence + excluded.change_sequence
		RETURNING CAST(change_sequence AS TEXT)`, userID)[0][0]
	sequence, err := strconv.ParseInt(last, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	f.Exec(t, `INSERT INTO ledger_change (user_id, sequence, entity_type, entity_id, operation, at, snapshot)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, userID, sequence, entityType, entityID, operation, f.DateTime(at), snapshot)
	return sequence
}

// Row is a webhooks_delivery row as text.
type Row struct {
	ID, Sequence, Event, Attempts, LastStatus, LastError string
	Delivered                                            bool
	NextAttemptAt                                        string // UTC text or "NULL"
	Payload                                              string
}

// Deliveries returns the webhook's deliveries in sequence order.
func Deliveries(t *testing.T, f Fixture, webhookID string) []Row {
	t.Helper()
	var out []Row
	for _, r := range f.Strings(t, `SELECT CAST(id AS TEXT), CAST(sequence AS TEXT), event, CAST(attempts AS TEXT),
		CAST(last_status AS TEXT), last_error, CASE WHEN delivered_at IS NULL THEN 'no' ELSE 'yes' END,
		`+f.UTCText("next_attempt_at")+`, CAST(payload AS TEXT)
		FROM webhooks_delivery WHERE webhook_id = ? ORDER BY sequence`, webhookID) {
		out = append(out, Row{ID: r[0], Sequence: r[1], Event: r[2], Attempts: r[3], LastStatus: r[4], LastError: r[5],
			Delivered: r[6] == "yes", NextAttemptAt: r[7], Payload: r[8]})
	}
	return out
}

// WebhookState returns the webhook's failing flag and last_sequence.
func WebhookState(t *testing.T, f Fixture, webhookID string) (bool, string) {
	t.Helper()
	r := f.Strings(t, `SELECT CASE WHEN failing THEN 'yes' ELSE 'no' END, CAST(last_sequence AS TEXT) FROM webhooks_webhook WHERE id = ?`, webhookID)[0]
	return r[0] == "yes", r[1]
}

// Options are a test pass's settings: a short timeout, and the clock at now
// when now is set.
func Options(schedule string, now *time.Time) aggregator.DeliverOptions {
	s, err := aggregator.ParseRetrySchedule(schedule)
	if err != nil {
		panic(err)
	}
	opts := aggregator.DeliverOptions{Concurrency: 4, Timeout: 2 * time.Second, Schedule: s}
	if now != nil {
		opts.Now = func() time.Time { return *now }
	}
	return opts
}

// Pass runs one delivery pass on a store of its own, receivers on loopback
// allowed.
func Pass(t *testing.T, f Fixture, opts aggregator.DeliverOptions) aggregator.DeliverReport {
	t.Helper()
	report, err := aggregator.Deliver(context.Background(), f.Webhooks(t), delivery.NewSender(opts.Timeout, true), opts)
	if err != nil {
		t.Fatal(err)
	}
	return report
}

// Receiver is an HTTP receiver that verifies every request's signature on
// its own (not with the code under test) and records what arrived.
type Receiver struct {
	*httptest.Server
	mu       sync.Mutex
	bodies   map[string][]string // webhook-id -> bodies received
	bad      []string            // what failed verification
	status   func(id string, attempt int) int
	received int
}

// NewReceiver starts a receiver answering status(webhook-id, attempt) (nil:
// 204 always).
func NewReceiver(t *testing.T, status func(id string, attempt int) int) *Receiver {
	r := &Receiver{bodies: map[string][]string{}, status: status}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	id := req.Header.Get("webhook-id")
	r.mu.Lock()
	if problem := verify(req, body); problem != "" {
		r.bad = append(r.bad, problem)
	}
	r.bodies[id] = append(r.bodies[id], string(body))
	r.received++
	attempt := len(r.bodies[id])
	r.mu.Unlock()
	status := http.StatusNoContent
	if r.status != nil {
		status = r.status(id, attempt)
	}
	w.WriteHeader(status)
	fmt.Fprint(w, "answer of the receiver")
}

// verify checks a request as a Standard Webhooks receiver does, with its
// own HMAC: "" when it is genuine.
func verify(req *http.Request, body []byte) string {
	id, ts, sig := req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp"), req.Header.Get("webhook-signature")
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(Secret, "whsec_"))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	seconds, err := strconv.ParseInt(ts, 10, 64)
	switch {
	case req.Method != http.MethodPost:
		return "method " + req.Method
	case req.Header.Get("content-type") != "application/json":
		return "content-type " + req.Header.Get("content-type")
	case req.Header.Get("user-agent") == "":
		return "no user-agent"
	case len(id) != 36 || strings.Count(id, "-") != 4:
		return "webhook-id " + id
	case err != nil || time.Since(time.Unix(seconds, 0)).Abs() > time.Minute:
		return "webhook-timestamp " + ts
	case !hmac.Equal([]byte(sig), []byte(want)):
		return "signature " + sig
	}
	return ""
}

// Received returns the bodies received per webhook-id, and the problems.
func (r *Receiver) Received() (map[string][]string, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	bodies := make(map[string][]string, len(r.bodies))
	for id, b := range r.bodies {
		bodies[id] = append([]string(nil), b...)
	}
	return bodies, append([]string(nil), r.bad...)
}

func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

// Run runs every shared test against the fixtures newFixture makes.
func Run(t *testing.T, newFixture func(t *testing.T) Fixture) {
	tests := []struct {
		name string
		test func(t *testing.T, f Fixture)
	}{
		{"EnqueueTakesTheWebhooksEventsAndMovesLastSequence", enqueueTakesMatchingEvents},
		{"PayloadIsExactlyTheContract", payloadIsExact},
		{"SignedDeliveriesArriveOnceEach", signedDeliveriesArrive},
		{"TwoWorkersRacingSendEachDeliveryOnce", twoWorkersRacing},
		{"RetriesFollowTheScheduleThenTheWebhookIsFailing", retriesFollowTheSchedule},
		{"PrivateAddressRefusedUnlessAllowed", privateAddressRefused},
		{"SlowReceiverTimesOutWithoutDelayingOthers", slowReceiverTimesOut},
		{"RedirectIsAFailureNotFollowed", redirectNotFollowed},
		{"WebhookDeletedDuringItsAttemptIsNoError", webhookDeletedMeanwhile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, newFixture(t)) })
	}
}

var changeTime = time.Date(2026, 11, 30, 12, 0, 0, 123456000, time.UTC)

// snapshot is in the text form PostgreSQL's jsonb gives back (keys by
// length, then bytes; ", " and ": "), so that it reads back the same from
// both backends; the amount is past float64's exact integers.
func snapshot(id string) string {
	return `{"id": "` + id + `", "type": "expense", "amount_minor": 123456789012345678}`
}

func enqueueTakesMatchingEvents(t *testing.T, f Fixture) {
	l := recurringtest.NewLedger(t, f)
	other := recurringtest.NewLedger(t, f)
	receiver := NewReceiver(t, nil)
	before := AppendChange(t, f, l.UserID, "TRANSACTION", "CREATED", f.NewID(), changeTime, snapshot("x"))
	some := NewWebhook(t, f, l.UserID, receiver.URL, `["transaction.created", "account.deleted"]`, before)
	every := NewWebhook(t, f, l.UserID, receiver.URL, `[]`, before)
	otherUsers := NewWebhook(t, f, other.UserID, receiver.URL, `[]`, 0)
	kinds := [][2]string{{"TRANSACTION", "CREATED"}, {"TRANSACTION", "UPDATED"}, {"ACCOUNT", "DELETED"},
		{"RECURRING_RULE", "UPDATED"}, {"TRANSFER", "CREATED"}, {"BUDGET", "DELETED"}, {"TRANSACTION", "CREATED"}}
	for _, k := range kinds {
		AppendChange(t, f, l.UserID, k[0], k[1], f.NewID(), changeTime, snapshot("y"))
	}
	report := Pass(t, f, Options("0s", nil))
	equal(t, "webhooks behind", report.WebhooksBehind, 2) // the other user has no change
	equal(t, "enqueued", report.Enqueued, 3+7)
	equal(t, "delivered", report.Delivered, 10)
	events := func(webhookID string) []string {
		var out []string
		for _, r := range Deliveries(t, f, webhookID) {
			out = append(out, r.Sequence+" "+r.Event)
		}
		return out
	}
	equal(t, "some's deliveries", events(some), []string{"2 transaction.created", "4 account.deleted", "8 transaction.created"})
	equal(t, "every's deliveries", events(every), []string{"2 transaction.created", "3 transaction.updated", "4 account.deleted",
		"5 recurring_rule.updated", "6 transfer.created", "7 budget.deleted", "8 transaction.created"})
	equal(t, "other user's deliveries", events(otherUsers), []string(nil))
	for _, w := range []string{some, every} {
		_, last := WebhookState(t, f, w)
		equal(t, "last_sequence", last, "8")
	}

	// A second pass enqueues nothing again and sends nothing again.
	report = Pass(t, f, Options("0s", nil))
	equal(t, "second pass", [3]int64{report.WebhooksBehind, report.Enqueued, report.Attempts}, [3]int64{0, 0, 0})
	// A later change is enqueued alone.
	AppendChange(t, f, l.UserID, "ACCOUNT", "DELETED", f.NewID(), changeTime, snapshot("z"))
	report = Pass(t, f, Options("0s", nil))
	equal(t, "third pass", [3]int64{report.WebhooksBehind, report.Enqueued, report.Delivered}, [3]int64{2, 2, 2})
	equal(t, "some's last", events(some)[3:], []string{"9 account.deleted"})
	bodies, bad := receiver.Received()
	equal(t, "received", len(bodies), 12)
	equal(t, "verification problems", bad, []string(nil))
}

func payloadIsExact(t *testing.T, f Fixture) {
	l := recurringtest.NewLedger(t, f)
	receiver := NewReceiver(t, nil)
	webhook := NewWebhook(t, f, l.UserID, receiver.URL, `[]`, 0)
	entity := f.NewID()
	canonical, err := aggregator.ParseUUID(entity)
	if err != nil {
		t.Fatal(err)
	}
	AppendChange(t, f, l.UserID, "TRANSACTION", "UPDATED", entity, changeTime, snapshot(canonical.String()))
	Pass(t, f, Options("0s", nil))
	want := `{"type":"transaction.updated","timestamp":"2026-11-30T12:00:00.123456Z","data":{"sequence":"1",` +
		`"entityType":"TRANSACTION","entityId":"` + canonical.String() + `","operation":"UPDATED",` +
		`"at":"2026-11-30T12:00:00.123456Z","snapshot":` + snapshot(canonical.String()) + `}}`
	rows := Deliveries(t, f, webhook)
	equal(t, "stored payload", rows[0].Payload, want)
	bodies, _ := receiver.Received()
	id, _ := aggregator.ParseUUID(rows[0].ID)
	equal(t, "received body", bodies[id.String()], []string{want})
}

func signedDeliveriesArrive(t *testing.T, f Fixture) {
	l := recurringtest.NewLedger(t, f)
	receiver := NewReceiver(t, nil)
	webhook := NewWebhook(t, f, l.UserID, receiver.URL, `[]`, 0)
	for range 20 {
		AppendChange(t, f, l.UserID, "TRANSACTION", "CREATED", f.NewID(), changeTime, snapshot("s"))
	}
	report := Pass(t, f, Options("0s", nil))
	equal(t, "delivered", report.Delivered, 20)
	bodies, bad := receiver.Received()
	equal(t, "verification problems", bad, []string(nil))
	for _, r := range Deliveries(t, f, webhook) {
		id, _ := aggregator.ParseUUID(r.ID)
		equal(t, "bodies of "+r.ID, bodies[id.String()], []string{r.Payload})
		equal(t, "row", [4]string{r.Attempts, r.LastStatus, r.LastError, r.NextAttemptAt}, [4]string{"1", "204", "", "NULL"})
		equal(t, "delivered", r.Delivered, true)
	}
	// A tampered body or signature is what the receiver's check catches.
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	req.Header.Set("content-type", "application/json")
	req.Header.Set("user-agent", "x")
	msgID := aggregator.NewUUID().String()
	ts := time.Now().Unix()
	sig, err := aggregator.SignWebhook(Secret, msgID, ts, []byte(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("webhook-id", msgID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)
	equal(t, "genuine", verify(req, []byte(`{"a":1}`)), "")
	if verify(req, []byte(`{"a":2}`)) == "" {
		t.Error("a tampered body passed verification")
	}
}

func twoWorkersRacing(t *testing.T, f Fixture) {
	l := recurringtest.NewLedger(t, f)
	receiver := NewReceiver(t, func(string, int) int {
		time.Sleep(5 * time.Millisecond) // both workers have attempts in flight at once
		return http.StatusOK
	})
	webhook := NewWebhook(t, f, l.UserID, receiver.URL, `[]`, 0)
	const n = 60
	for range n {
		AppendChange(t, f, l.UserID, "TRANSACTION", "CREATED", f.NewID(), changeTime, snapshot("r"))
	}
	// The enqueueing first, so that both workers race on the claims.
	err := f.Webhooks(t).InEnqueueTx(context.Background(), func(tx aggregator.EnqueueTx) (bool, error) {
		_, err := aggregator.EnqueueWebhook(context.Background(), tx, webhook, time.Now())
		return err == nil, err
	})
	if err != nil {
		t.Fatal(err)
	}
	stores := []aggregator.WebhookStore{f.Webhooks(t), f.Webhooks(t)}
	reports := make([]aggregator.DeliverReport, len(stores))
	errs := make([]error, len(stores))
	var wg sync.WaitGroup
	for i, store := range stores {
		wg.Go(func() {
			opts := Options("0s", nil)
			reports[i], errs[i] = aggregator.Deliver(context.Background(), store, delivery.NewSender(opts.Timeout, true), opts)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	bodies, bad := receiver.Received()
	equal(t, "verification problems", bad, []string(nil))
	equal(t, "ids received", len(bodies), n)
	for id, b := range bodies {
		if len(b) != 1 {
			t.Errorf("delivery %s sent %d times", id, len(b))
		}
	}
	equal(t, "attempts of both workers", reports[0].Attempts+reports[1].Attempts, int64(n))
	t.Logf("worker attempts: %d and %d", reports[0].Attempts, reports[1].Attempts)
	for _, r := range Deliveries(t, f, webhook) {
		if !r.Delivered || r.Attempts != "1" {
			t.Errorf("delivery %s: delivered %v after %s attempts", r.ID, r.Delivered, r.Attempts)
		}
	}
}

// parseUTC reads the UTC text Fixture.UTCText gives.
func parseUTC(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse("2006-01-02 15:04:05.999999", s)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return at
}

func retriesFollowTheSchedule(t *testing.T, f Fixture) {
	l := recurringtest.NewLedger(t, f)
	failUntil := 99 // attempts answered 500
	var mu sync.Mutex
	receiver := NewReceiver(t, func(_ string, attempt int) int {
		mu.Lock()
		defer mu.Unlock()
		if attempt <= failUntil {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	webhook := NewWebhook(t, f, l.UserID, receiver.URL, `[]`, 0)
	AppendChange(t, f, l.UserID, "ACCOUNT", "CREATED", f.NewID(), changeTime, snapshot("f"))
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	opts := Options("0s,10ms,40ms", &now)
	// Attempt 1 at once; the next is due 10ms +-20% after its failure.
	report := Pass(t, f, opts)
	equal(t, "first pass", [3]int64{report.Attempts, report.Failed, report.GivenUp}, [3]int64{1, 1, 0})
	r := Deliveries(t, f, webhook)[0]
	equal(t, "after attempt 1", [3]string{r.Attempts, r.LastStatus, r.LastError}, [3]string{"1", "500", "HTTP 500: answer of the receiver"})
	next := parseUTC(t, r.NextAttemptAt)
	if d := next.Sub(now); d < 8*time.Millisecond || d > 12*time.Millisecond {
		t.Errorf("attempt 2 due %s after attempt 1, want 10ms +-20%%", d)
	}
	// Not due yet: nothing is sent.
	now = now.Add(7 * time.Millisecond)
	equal(t, "early pass", Pass(t, f, opts).Attempts, 0)
	now = now.Add(5 * time.Millisecond)
	equal(t, "second pass", Pass(t, f, opts).Failed, 1)
	r = Deliveries(t, f, webhook)[0]
	if d := parseUTC(t, r.NextAttemptAt).Sub(now); d < 32*time.Millisecond || d > 48*time.Millisecond {
		t.Errorf("attempt 3 due %s after attempt 2, want 40ms +-20%%", d)
	}
	failing, _ := WebhookState(t, f, webhook)
	equal(t, "failing before the schedule is used up", failing, false)
	now = now.Add(time.Second)
	report = Pass(t, f, opts)
	equal(t, "third pass", [3]int64{report.Attempts, report.Failed, report.GivenUp}, [3]int64{1, 1, 1})
	r = Deliveries(t, f, webhook)[0]
	equal(t, "given up", [3]string{r.Attempts, r.LastStatus, r.NextAttemptAt}, [3]string{"3", "500", "NULL"})
	equal(t, "delivered", r.Delivered, false)
	failing, _ = WebhookState(t, f, webhook)
	equal(t, "failing once the schedule is used up", failing, true)
	now = now.Add(time.Hour)
	equal(t, "nothing more", Pass(t, f, opts).Attempts, 0)

	// The next delivery that arrives clears the flag.
	mu.Lock()
	failUntil = 0
	mu.Unlock()
	AppendChange(t, f, l.UserID, "ACCOUNT", "UPDATED", f.NewID(), changeTime, snapshot("g"))
	report = Pass(t, f, opts)
	equal(t, "later success", [2]int64{report.Attempts, report.Delivered}, [2]int64{1, 1})
	failing, _ = WebhookState(t, f, webhook)
	equal(t, "failing after a success", failing, false)
	bodies, bad := receiver.Received()
	equal(t, "verification problems", bad, []string(nil))
	equal(t, "ids", len(bodies), 2)
	id, _ := aggregator.ParseUUID(r.ID)
	equal(t, "same webhook-id on every attempt", len(bodies[id.String()]), 3)
}

func privateAddressRefused(t *testing.T, f Fixture) {
	l := recurringtest.NewLedger(t, f)
	receiver := NewReceiver(t, nil)
	webhook := NewWebhook(t, f, l.UserID, receiver.URL, `[]`, 0)
	AppendChange(t, f, l.UserID, "ACCOUNT", "CREATED", f.NewID(), changeTime, snapshot("p"))
	opts := Options("0s,1h", nil)
	report, err := aggregator.Deliver(context.Background(), f.Webhooks(t), delivery.NewSender(opts.Timeout, false), opts)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "failed", report.Failed, 1)
	r := Deliveries(t, f, webhook)[0]
	equal(t, "status", r.LastStatus, "NULL")
	if !strings.Contains(r.LastError, "refused to connect to 127.0.0.1") {
		t.Errorf("last_error %q does not say the address was refused", r.LastError)
	}
	bodies, _ := receiver.Received()
	equal(t, "requests that reached the receiver", len(bodies), 0)
}

func slowReceiverTimesOut(t *testing.T, f Fixture) {
	l := recurringtest.NewLedger(t, f)
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	fast := NewReceiver(t, nil)
	slowHook := NewWebhook(t, f, l.UserID, slow.URL, `[]`, 0)
	fastHook := NewWebhook(t, f, l.UserID, fast.URL, `[]`, 0)
	AppendChange(t, f, l.UserID, "ACCOUNT", "CREATED", f.NewID(), changeTime, snapshot("t"))
	opts := Options("0s,1h", nil)
	opts.Timeout = 300 * time.Millisecond
	start := time.Now()
	report := Pass(t, f, opts)
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the pass took %s with a 300ms timeout", took)
	}
	equal(t, "delivered, failed", [2]int64{report.Delivered, report.Failed}, [2]int64{1, 1})
	r := Deliveries(t, f, slowHook)[0]
	equal(t, "slow status", r.LastStatus, "NULL")
	if !strings.Contains(r.LastError, "timeout") {
		t.Errorf("last_error %q does not name the timeout", r.LastError)
	}
	equal(t, "fast delivered", Deliveries(t, f, fastHook)[0].Delivered, true)
}

func redirectNotFollowed(t *testing.T, f Fixture) {
	l := recurringtest.NewLedger(t, f)
	var followed sync.Map
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			followed.Store(r.URL.Path, true)
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(server.Close)
	webhook := NewWebhook(t, f, l.UserID, server.URL+"/hook", `[]`, 0)
	AppendChange(t, f, l.UserID, "ACCOUNT", "CREATED", f.NewID(), changeTime, snapshot("d"))
	equal(t, "failed", Pass(t, f, Options("0s,1h", nil)).Failed, 1)
	r := Deliveries(t, f, webhook)[0]
	equal(t, "status", r.LastStatus, "307")
	if !strings.Contains(r.LastError, "not followed") {
		t.Errorf("last_error %q", r.LastError)
	}
	if _, ok := followed.Load("/elsewhere"); ok {
		t.Error("the redirect was followed")
	}
}

func webhookDeletedMeanwhile(t *testing.T, f Fixture) {
	l := recurringtest.NewLedger(t, f)
	var webhook string
	receiver := NewReceiver(t, func(string, int) int {
		// What Django's delete does: the deliveries, then the webhook.
		f.Exec(t, `DELETE FROM webhooks_delivery WHERE webhook_id = ?`, webhook)
		f.Exec(t, `DELETE FROM webhooks_webhook WHERE id = ?`, webhook)
		return http.StatusOK
	})
	webhook = NewWebhook(t, f, l.UserID, receiver.URL, `[]`, 0)
	AppendChange(t, f, l.UserID, "ACCOUNT", "CREATED", f.NewID(), changeTime, snapshot("m"))
	report := Pass(t, f, Options("0s", nil))
	equal(t, "attempts", report.Attempts, 1)
	equal(t, "rows left", len(Deliveries(t, f, webhook)), 0)
}
