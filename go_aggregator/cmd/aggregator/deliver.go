package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	aggregator "finance/go_aggregator"
	"finance/go_aggregator/delivery"
)

// DeliverConfig is the parsed command line of `aggregator deliver`.
type DeliverConfig struct {
	DatabaseURL  string
	Watch        time.Duration
	Options      aggregator.DeliverOptions
	AllowPrivate bool // WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true
}

// parseDeliverFlags reads the command line of `aggregator deliver`.
func parseDeliverFlags(args []string, stderr io.Writer) (DeliverConfig, error) {
	var c DeliverConfig
	fs := flag.NewFlagSet("aggregator deliver", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.DatabaseURL, "database-url", os.Getenv("DATABASE_URL"), "database URL (default $DATABASE_URL)")
	fs.DurationVar(&c.Watch, "watch", 0, "keep running, one pass every interval, until SIGINT/SIGTERM")
	once := fs.Bool("once", false, "one pass, then exit (the default)")
	schedule := fs.String("retry-schedule", aggregator.DefaultRetrySchedule.String(), "the delay before each attempt, from the previous failure (the first is 0s); used up: the webhook is marked failing")
	fs.DurationVar(&c.Options.Timeout, "timeout", 10*time.Second, "of one attempt")
	fs.IntVar(&c.Options.Concurrency, "concurrency", 8, "attempts in flight")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(stderr)
		fmt.Fprintln(stderr, "usage: aggregator deliver [--database-url URL] [--once | --watch DURATION] [--retry-schedule 0s,5s,...] [--timeout 10s] [--concurrency 8]")
		fs.PrintDefaults()
		return c, err
	} else if err != nil {
		return c, aggregator.Errorf(aggregator.EINVALID, "%v (see deliver --help)", err)
	}
	var err error
	if c.Options.Schedule, err = aggregator.ParseRetrySchedule(*schedule); err != nil {
		return c, err
	}
	c.AllowPrivate = strings.EqualFold(os.Getenv(delivery.AllowPrivateEnv), "true")
	switch {
	case fs.NArg() > 0:
		return c, aggregator.Errorf(aggregator.EINVALID, "unexpected argument %q (see deliver --help)", fs.Arg(0))
	case c.Watch < 0:
		return c, aggregator.Errorf(aggregator.EINVALID, "--watch must be a positive duration, got %s", c.Watch)
	case *once && c.Watch > 0:
		return c, aggregator.Errorf(aggregator.EINVALID, "--once and --watch are mutually exclusive")
	case c.Options.Timeout <= 0:
		return c, aggregator.Errorf(aggregator.EINVALID, "--timeout must be a positive duration, got %s", c.Options.Timeout)
	case c.Options.Concurrency < 1:
		return c, aggregator.Errorf(aggregator.EINVALID, "--concurrency must be at least 1, got %d", c.Options.Concurrency)
	case c.DatabaseURL == "":
		return c, aggregator.Errorf(aggregator.EINVALID, "no database: set DATABASE_URL or pass --database-url")
	}
	_, err = aggregator.ParseDatabaseURL(c.DatabaseURL)
	return c, err
}

// runDeliver is `aggregator deliver`: one pass, or one every --watch
// interval until ctx is cancelled.
func runDeliver(ctx context.Context, args []string) int {
	c, err := parseDeliverFlags(args, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	} else if err != nil {
		printError(os.Stderr, err)
		return exitUsage
	}
	err = deliver(ctx, c, os.Stdout, os.Stderr)
	if err != nil {
		printError(os.Stderr, err)
	}
	return exitCode(err)
}

// deliver opens the database and runs the passes.
func deliver(ctx context.Context, c DeliverConfig, stdout, stderr io.Writer) error {
	svc, err := open(ctx, c.DatabaseURL)
	if err != nil {
		return err
	}
	defer svc.Close()
	if err := svc.CheckSchema(ctx); err != nil {
		return err
	}
	store := svc.(aggregator.WebhookStore) // both backends are
	sender := delivery.NewSender(c.Options.Timeout, c.AllowPrivate)
	pass := func() error { return deliverPass(ctx, store, sender, c, stdout, stderr) }
	if c.Watch == 0 {
		return pass()
	}
	t := time.NewTicker(c.Watch)
	defer t.Stop()
	return watch(ctx, t.C, c.Watch, stderr, pass, nil)
}

// deliverPass runs one pass and writes its JSON line (none for an idle
// --watch pass) and one stderr line per failure.
func deliverPass(ctx context.Context, store aggregator.WebhookStore, sender aggregator.WebhookSender, c DeliverConfig, stdout, stderr io.Writer) error {
	report, err := aggregator.Deliver(ctx, store, sender, c.Options)
	if err != nil && aggregator.ErrorCode(err) != aggregator.EPARTIAL {
		return err
	}
	if c.Watch > 0 && report.Idle() {
		return nil
	}
	for _, f := range report.EnqueueErrors {
		fmt.Fprintf(stderr, "aggregator: webhook id=%s not enqueued (stays behind): %s\n", f.WebhookID, oneLine(f.Error))
	}
	for _, f := range report.Failures {
		then := "retry at " + f.NextAttemptAt
		if f.NextAttemptAt == "" {
			then = "retries used up, webhook marked failing"
		}
		fmt.Fprintf(stderr, "aggregator: delivery id=%s webhook_id=%s attempt %d failed (%s): %s\n", f.DeliveryID, f.WebhookID, f.Attempt, then, oneLine(f.Error))
	}
	if n := report.Failed - int64(len(report.Failures)); n > 0 {
		fmt.Fprintf(stderr, "aggregator: %d more failed attempt(s) not listed\n", n)
	}
	if jerr := json.NewEncoder(stdout).Encode(report); jerr != nil {
		return jerr
	}
	return err
}
