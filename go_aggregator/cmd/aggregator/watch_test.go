package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	aggregator "finance/go_aggregator"
)

// scriptedService answers each run with the next scripted report.
type scriptedService struct {
	reports    []aggregator.RunReport
	full, incr int
}

func (s *scriptedService) next(mode aggregator.Mode) (aggregator.RunReport, error) {
	r := s.reports[0]
	s.reports = s.reports[1:]
	r.Mode = mode
	r.Finish(time.Now())
	return r, nil
}

func (s *scriptedService) CheckSchema(context.Context) error { return nil }
func (s *scriptedService) Incremental(context.Context, aggregator.RunOptions) (aggregator.RunReport, error) {
	s.incr++
	return s.next(aggregator.ModeIncremental)
}
func (s *scriptedService) Full(context.Context, aggregator.RunOptions) (aggregator.RunReport, error) {
	s.full++
	return s.next(aggregator.ModeFull)
}
func (s *scriptedService) Close() error { return nil }

// The watch loop driven tick by tick, without sleeping: the first cycle
// (--full) reports, idle cycles print nothing, a cycle with a failed bucket
// reports and logs it and the loop goes on, and cancelling ends it cleanly.
func TestWatch_IdleCyclesPrintNothing(t *testing.T) {
	failure := aggregator.Failure{UserID: "u1", Month: "2024-03", Error: "int64 overflow"}
	svc := &scriptedService{reports: []aggregator.RunReport{
		{RowsRead: 3, BucketsUpdated: 2}, // --full
		{},                               // idle
		{},                               // idle
		{RowsRead: 2, BucketsFailed: 1, Failures: []aggregator.Failure{failure}},
		{}, // idle
	}}
	tick := make(chan time.Time)
	cycles := make(chan error)
	var stdout, stderr bytes.Buffer
	m := &Main{
		Config:  Config{Full: true, Watch: time.Hour},
		Service: svc, Stdout: &stdout, Stderr: &stderr,
		Tick: tick, AfterCycle: func(err error) { cycles <- err },
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()

	wantErrs := []string{"", "", "", aggregator.EPARTIAL, ""}
	for i, want := range wantErrs {
		if i > 0 {
			tick <- time.Time{}
		}
		if got := aggregator.ErrorCode(<-cycles); got != want {
			t.Fatalf("cycle %d: error code %q, want %q", i, got, want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel = %v, want nil", err)
	}

	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"mode":"full"`) || !strings.Contains(lines[1], `"buckets_failed":1`) {
		t.Fatalf("stdout = %q, want the full report and the failed cycle's only", stdout.String())
	}
	if svc.full != 1 || svc.incr != 4 {
		t.Fatalf("%d full and %d incremental runs, want 1 and 4", svc.full, svc.incr)
	}
	wantStderr := "aggregator: bucket user_id=u1 month=2024-03 failed (left dirty): int64 overflow\n"
	if stderr.String() != wantStderr {
		t.Fatalf("stderr = %q, want %q", stderr.String(), wantStderr)
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, exitOK},
		{aggregator.Errorf(aggregator.EINVALID, "bad flag"), exitUsage},
		{aggregator.Errorf(aggregator.EUNAVAILABLE, "down"), exitUnavailable},
		{aggregator.Errorf(aggregator.ESCHEMA, "migrate"), exitSchema},
		{aggregator.Errorf(aggregator.EPARTIAL, "1 bucket"), exitPartial},
		{aggregator.Errorf(aggregator.EINTERNAL, "bug"), exitInternal},
		{context.Canceled, exitInternal},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("exitCode(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// countingRecorder finds no due rule and notes each scan's today and what
// the service had run by then.
type countingRecorder struct {
	svc   *scriptedService
	scans []string
}

func (r *countingRecorder) DueRules(_ context.Context, today aggregator.Date, _ string, _ int) ([]aggregator.DueRule, error) {
	r.scans = append(r.scans, fmt.Sprintf("%s after %d passes", today, r.svc.full+r.svc.incr))
	return nil, nil
}

func (r *countingRecorder) InRecordingTx(context.Context, func(aggregator.RecordingTx) (bool, error)) error {
	return nil
}

// Every watch cycle records before its pass, with today computed afresh in
// TIME_ZONE's location unless --today fixed it.
func TestWatch_RecordsBeforeEveryPass(t *testing.T) {
	for _, fixed := range []bool{false, true} {
		svc := &scriptedService{reports: make([]aggregator.RunReport, 3)}
		rec := &countingRecorder{svc: svc}
		tick := make(chan time.Time)
		cycles := make(chan error)
		m := &Main{
			Config:  Config{Watch: time.Hour, Location: time.FixedZone("far east", 14*3600)},
			Service: svc, Recorder: rec, Stdout: io.Discard, Stderr: io.Discard,
			Tick: tick, AfterCycle: func(err error) { cycles <- err },
		}
		want := time.Now().In(m.Config.Location).Format(time.DateOnly)
		if fixed {
			m.Config.Today, _ = aggregator.ParseDate("2024-02-29")
			want = "2024-02-29"
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx) }()
		for i := range 3 {
			if i > 0 {
				tick <- time.Time{}
			}
			if err := <-cycles; err != nil {
				t.Fatal(err)
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		wantScans := []string{want + " after 0 passes", want + " after 1 passes", want + " after 2 passes"}
		if !reflect.DeepEqual(rec.scans, wantScans) {
			t.Errorf("fixed=%v: scans %v, want %v", fixed, rec.scans, wantScans)
		}
	}
}
