package main

import (
	"io"
	"testing"
	"time"

	aggregator "finance/go_aggregator"
)

func TestDeliverFlags(t *testing.T) {
	t.Setenv("DATABASE_URL", "sqlite:///db.sqlite3")
	t.Setenv("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "")
	c, err := parseDeliverFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Options.Schedule.String() != aggregator.DefaultRetrySchedule.String() || c.Options.Timeout != 10*time.Second ||
		c.Options.Concurrency != 8 || c.Watch != 0 || c.AllowPrivate {
		t.Errorf("defaults: %+v", c)
	}
	t.Setenv("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "true")
	c, err = parseDeliverFlags([]string{"--watch", "1s", "--retry-schedule", "0s,10ms", "--timeout", "1s", "--concurrency", "2"}, io.Discard)
	if err != nil || c.Watch != time.Second || len(c.Options.Schedule) != 2 || c.Options.Concurrency != 2 || !c.AllowPrivate {
		t.Errorf("got %+v, %v", c, err)
	}
	for _, args := range [][]string{
		{"--once", "--watch", "1s"}, {"--retry-schedule", "5s"}, {"--timeout", "0s"}, {"--concurrency", "0"}, {"extra"},
		{"--database-url", "mysql://x"},
	} {
		if _, err := parseDeliverFlags(args, io.Discard); aggregator.ErrorCode(err) != aggregator.EINVALID {
			t.Errorf("%v: got %v", args, err)
		}
	}
}
