package aggregator_test

import (
	"strings"
	"testing"
	"time"

	aggregator "finance/go_aggregator"
)

// The Standard Webhooks specification's own example signature.
func TestSignWebhook_StandardWebhooksVector(t *testing.T) {
	got, err := aggregator.SignWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; err != nil || got != want {
		t.Errorf("got %q, %v, want %q", got, err, want)
	}
	if _, err := aggregator.SignWebhook("whsec_not base64!", "id", 1, nil); aggregator.ErrorCode(err) != aggregator.EINVALID {
		t.Errorf("a bad secret: got %v", err)
	}
}

func TestEventName(t *testing.T) {
	for _, tt := range []struct{ entity, op, want string }{
		{"TRANSACTION", "CREATED", "transaction.created"},
		{"TRANSFER", "UPDATED", "transfer.updated"},
		{"ACCOUNT", "DELETED", "account.deleted"},
		{"BUDGET", "CREATED", "budget.created"},
		{"RECURRING_RULE", "UPDATED", "recurring_rule.updated"},
	} {
		if got, err := aggregator.EventName(tt.entity, tt.op); err != nil || got != tt.want {
			t.Errorf("%s %s: got %q, %v", tt.entity, tt.op, got, err)
		}
	}
	for _, bad := range [][2]string{{"USER", "CREATED"}, {"TRANSACTION", "MOVED"}, {"transaction", "created"}} {
		if _, err := aggregator.EventName(bad[0], bad[1]); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func TestRetrySchedule(t *testing.T) {
	if got := aggregator.DefaultRetrySchedule.String(); got != "0s,5s,5m0s,30m0s,2h0m0s,5h0m0s,10h0m0s,10h0m0s" {
		t.Errorf("default: %s", got)
	}
	var total time.Duration
	for _, d := range aggregator.DefaultRetrySchedule {
		total += d
	}
	if len(aggregator.DefaultRetrySchedule) != 8 || total < 27*time.Hour || total > 28*time.Hour {
		t.Errorf("default: %d attempts over %s, want 8 over about a day", len(aggregator.DefaultRetrySchedule), total)
	}
	s, err := aggregator.ParseRetrySchedule("0s, 10ms,1s")
	if err != nil || len(s) != 3 || s[1] != 10*time.Millisecond {
		t.Fatalf("got %v, %v", s, err)
	}
	failed := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for range 200 {
		next, ok := s.Next(2, failed)
		if d := next.Sub(failed); !ok || d < 800*time.Millisecond || d > 1200*time.Millisecond {
			t.Fatalf("after attempt 2: %s, %v; want 1s +-20%%", d, ok)
		}
	}
	if _, ok := s.Next(3, failed); ok {
		t.Error("after the last attempt: not given up")
	}
	for _, bad := range []string{"", "5s,1m", "0s,x", "0s,-1s"} {
		if _, err := aggregator.ParseRetrySchedule(bad); aggregator.ErrorCode(err) != aggregator.EINVALID {
			t.Errorf("%q: got %v", bad, err)
		}
	}
}

func TestWebhookPayload_RefusesWhatIsNotAnObject(t *testing.T) {
	for _, snapshot := range []string{``, `[1]`, `{"a":`, `"text"`} {
		c := aggregator.LoggedChange{Sequence: 1, EntityType: "ACCOUNT", Operation: "CREATED", Snapshot: []byte(snapshot)}
		if _, err := aggregator.WebhookPayload("account.created", &c); err == nil {
			t.Errorf("%q: no error", snapshot)
		}
	}
}

func TestRecordFor_TruncatesTheErrorToItsColumn(t *testing.T) {
	d := aggregator.Delivery{}
	r := aggregator.RecordFor(&d, aggregator.Attempt{Error: strings.Repeat("é", 600)}, aggregator.RetrySchedule{0, time.Second}, time.Now())
	if n := len([]rune(r.Attempt.Error)); n != aggregator.MaxLastErrorChars {
		t.Errorf("%d characters", n)
	}
	if r.NextAttemptAt.IsZero() || r.Failing != nil {
		t.Errorf("first failure of two attempts: %+v", r)
	}
	r = aggregator.RecordFor(&d, aggregator.Attempt{Status: 201}, aggregator.RetrySchedule{0}, time.Now())
	if !r.NextAttemptAt.IsZero() || r.Failing == nil || *r.Failing {
		t.Errorf("a delivery: %+v", r)
	}
}
