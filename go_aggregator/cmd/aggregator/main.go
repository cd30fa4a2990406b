// Command aggregator recomputes the monthly rollups of the finance API from
// its ledger tables. See the README for flags, tables and exit codes.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "time/tzdata" // TIME_ZONE resolves on hosts without a zoneinfo database

	"golang.org/x/term"

	aggregator "finance/go_aggregator"
	"finance/go_aggregator/postgres"
	"finance/go_aggregator/sqlite"
)

// Exit codes, one per error code an operator acts on differently (README).
const (
	exitOK          = 0
	exitInternal    = 1 // an unexpected error: the run did nothing it could not undo
	exitUsage       = 2 // bad flags or DATABASE_URL
	exitUnavailable = 3 // the database cannot be reached (or the SQLite file is missing)
	exitSchema      = 4 // the schema lacks a table or column: run migrate
	exitPartial     = 5 // some buckets failed (reported, left dirty); the rest is done
)

// exitCode maps an error to the process exit status by its code.
func exitCode(err error) int {
	switch aggregator.ErrorCode(err) {
	case "":
		return exitOK
	case aggregator.EINVALID:
		return exitUsage
	case aggregator.EUNAVAILABLE:
		return exitUnavailable
	case aggregator.ESCHEMA:
		return exitSchema
	case aggregator.EPARTIAL:
		return exitPartial
	}
	return exitInternal
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string) int {
	if len(args) > 0 && args[0] == "deliver" {
		return runDeliver(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "schedule" {
		// The schedule arithmetic alone, for the cross-language test: no database.
		var err error = aggregator.Errorf(aggregator.EINVALID, "schedule takes no arguments: JSON lines on stdin, one answer each on stdout")
		if len(args) == 1 {
			err = runSchedule(os.Stdin, os.Stdout)
		}
		if err != nil {
			printError(os.Stderr, err)
		}
		return exitCode(err)
	}
	m := NewMain()
	if err := m.ParseFlags(args); errors.Is(err, flag.ErrHelp) {
		return exitOK
	} else if err != nil {
		printError(m.Stderr, err)
		return exitUsage
	}
	err := m.Run(ctx)
	if cerr := m.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		printError(m.Stderr, err)
	}
	return exitCode(err)
}

// printError writes err as the one "aggregator: ..." line on stderr.
func printError(w io.Writer, err error) {
	msg := aggregator.ErrorMessage(err)
	if errors.Is(err, context.Canceled) {
		msg = "interrupted"
	}
	fmt.Fprintln(w, "aggregator: "+oneLine(msg))
}

// Config is the parsed command line.
type Config struct {
	DatabaseURL string
	Workers     int
	BatchSize   int
	Full        bool
	Verify      bool
	Watch       time.Duration
	// Today, when set (--today or LEDGER_TODAY), is the date the recording of
	// recurring rules records up to, on every cycle; otherwise each cycle
	// takes today's date in Location (TIME_ZONE), the server's calendar
	// date as Django's ledger.clock computes it.
	Today    aggregator.Date
	Location *time.Location
}

// Main is the program: flags in, one run (or a watch loop) out.
type Main struct {
	Config  Config
	Service aggregator.RollupService
	// Recorder records due occurrences of recurring rules before each pass;
	// Run sets it to the database Service opened. Nil: no recording.
	Recorder aggregator.RecurringStore
	Stdout   io.Writer
	Stderr   io.Writer
	// ShowProgress enables the live progress line; set when stderr is a terminal.
	ShowProgress bool

	// Tick, when set, paces --watch cycles instead of a time.Ticker of
	// Config.Watch; AfterCycle, when set, is called after each cycle with its
	// error. Tests drive the watch loop through them without sleeping.
	Tick       <-chan time.Time
	AfterCycle func(err error)
}

// NewMain returns a Main writing to the process's stdout and stderr.
func NewMain() *Main {
	return &Main{
		Stdout:       os.Stdout,
		Stderr:       os.Stderr,
		ShowProgress: term.IsTerminal(int(os.Stderr.Fd())),
	}
}

// ParseFlags reads the command line into m.Config.
func (m *Main) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("aggregator", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&m.Config.DatabaseURL, "database-url", os.Getenv("DATABASE_URL"), "database URL (default $DATABASE_URL): sqlite:///rel.db, sqlite:////abs.db, postgres://...")
	fs.IntVar(&m.Config.Workers, "workers", runtime.NumCPU(), "aggregation worker goroutines")
	fs.IntVar(&m.Config.BatchSize, "batch-size", aggregator.DefaultBatchSize, "dirty buckets per database transaction")
	fs.BoolVar(&m.Config.Full, "full", false, "rebuild every rollup from scratch")
	fs.BoolVar(&m.Config.Verify, "verify", false, "with --full: compare every stored rollup, trusting no fingerprint (repairs rollups edited outside the aggregator)")
	fs.DurationVar(&m.Config.Watch, "watch", 0, "keep running, processing dirty buckets every interval, until SIGINT/SIGTERM")
	once := fs.Bool("once", false, "one run, then exit (the default)")
	today := fs.String("today", os.Getenv("LEDGER_TODAY"), "record recurring occurrences up to this date, YYYY-MM-DD (default $LEDGER_TODAY, else today in $TIME_ZONE)")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		fs.SetOutput(m.Stderr)
		fmt.Fprintln(m.Stderr, "usage: aggregator [--database-url URL] [--workers N] [--full [--verify]] [--today YYYY-MM-DD] [--once | --watch DURATION]")
		fmt.Fprintln(m.Stderr, "       aggregator deliver [--once | --watch DURATION] ...   (webhook deliveries, see deliver --help)")
		fmt.Fprintln(m.Stderr, "       aggregator schedule   (JSON lines on stdin: the schedule arithmetic, see the README)")
		fs.PrintDefaults()
		return err
	} else if err != nil {
		return aggregator.Errorf(aggregator.EINVALID, "%v (see --help)", err)
	}
	switch {
	case fs.NArg() > 0:
		return aggregator.Errorf(aggregator.EINVALID, "unexpected argument %q (see --help)", fs.Arg(0))
	case m.Config.Workers < 1:
		return aggregator.Errorf(aggregator.EINVALID, "--workers must be at least 1, got %d", m.Config.Workers)
	case m.Config.BatchSize < 1:
		return aggregator.Errorf(aggregator.EINVALID, "--batch-size must be at least 1, got %d", m.Config.BatchSize)
	case m.Config.Watch < 0:
		return aggregator.Errorf(aggregator.EINVALID, "--watch must be a positive duration, got %s", m.Config.Watch)
	case m.Config.Verify && !m.Config.Full:
		return aggregator.Errorf(aggregator.EINVALID, "--verify needs --full")
	case *once && m.Config.Watch > 0:
		return aggregator.Errorf(aggregator.EINVALID, "--once and --watch are mutually exclusive")
	case m.Config.DatabaseURL == "":
		return aggregator.Errorf(aggregator.EINVALID, "no database: set DATABASE_URL or pass --database-url")
	}
	if _, err := aggregator.ParseDatabaseURL(m.Config.DatabaseURL); err != nil {
		return err
	}
	return m.parseToday(*today)
}

// parseToday reads --today (or LEDGER_TODAY), else TIME_ZONE's location for
// computing today at each cycle.
func (m *Main) parseToday(today string) error {
	if today != "" {
		d, err := aggregator.ParseDate(today)
		if err != nil {
			return aggregator.Errorf(aggregator.EINVALID, "--today / LEDGER_TODAY: %s", aggregator.ErrorMessage(err))
		}
		m.Config.Today = d
		return nil
	}
	zone := cmp.Or(os.Getenv("TIME_ZONE"), "UTC")
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return aggregator.Errorf(aggregator.EINVALID, "TIME_ZONE %q is not a known time zone: %v", zone, err)
	}
	m.Config.Location = loc
	return nil
}

// today is the date the recording records up to in this cycle.
func (m *Main) today() (aggregator.Date, error) {
	if !m.Config.Today.IsZero() {
		return m.Config.Today, nil
	}
	loc := m.Config.Location
	if loc == nil {
		loc = time.UTC
	}
	return aggregator.DateOf(time.Now().In(loc))
}

// Run opens the database, checks its schema and runs once, or every
// --watch interval until ctx is cancelled (which then is not an error).
func (m *Main) Run(ctx context.Context) error {
	if m.Service == nil {
		svc, err := open(ctx, m.Config.DatabaseURL)
		if err != nil {
			return err
		}
		m.Service = svc
		m.Recorder, _ = svc.(aggregator.RecurringStore)
	}
	if err := m.Service.CheckSchema(ctx); err != nil {
		return err
	}
	if m.Config.Watch == 0 {
		return m.cycle(ctx, m.Config.Full)
	}
	tick, stop := m.ticker()
	defer stop()
	full := m.Config.Full // --full --watch: rebuild first, then stay incremental
	return watch(ctx, tick, m.Config.Watch, m.Stderr, func() error {
		err := m.cycle(ctx, full)
		if err == nil || aggregator.ErrorCode(err) == aggregator.EPARTIAL {
			// The failed buckets are logged and stay dirty: the next cycle tries them again.
			full = false
		}
		return err
	}, m.AfterCycle)
}

// watch runs cycle at once and then at every tick until ctx is cancelled
// (which is not an error). A failed cycle is reported and the loop goes on:
// a watcher outlives a locked or restarting database. A partial cycle has
// logged what failed already. afterCycle, when set, gets each cycle's error.
func watch(ctx context.Context, tick <-chan time.Time, interval time.Duration, stderr io.Writer, cycle func() error, afterCycle func(error)) error {
	for {
		err := cycle()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && aggregator.ErrorCode(err) != aggregator.EPARTIAL {
			fmt.Fprintf(stderr, "aggregator: %s (retrying in %s)\n", aggregator.ErrorMessage(err), interval)
		}
		if afterCycle != nil {
			afterCycle(err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick:
		}
	}
}

// ticker returns the channel that paces --watch cycles and its stop function.
func (m *Main) ticker() (<-chan time.Time, func()) {
	if m.Tick != nil {
		return m.Tick, func() {}
	}
	t := time.NewTicker(m.Config.Watch)
	return t.C, t.Stop
}

// Close releases the database.
func (m *Main) Close() error {
	if m.Service != nil {
		return m.Service.Close()
	}
	return nil
}

// cycle is one run and its JSON report line: the recording of due recurring
// occurrences first, so that the buckets it marks dirty are aggregated by the
// same pass.
func (m *Main) cycle(ctx context.Context, full bool) error {
	recurring, err := m.record(ctx)
	if err != nil {
		return err
	}
	opts := aggregator.RunOptions{Workers: m.Config.Workers, BatchSize: m.Config.BatchSize, Verify: m.Config.Verify, Progress: &aggregator.Progress{}}
	mode := aggregator.ModeIncremental
	if full {
		mode = aggregator.ModeFull
	}
	stopProgress := m.startProgress(mode, opts.Progress)
	var report aggregator.RunReport
	if full {
		report, err = m.Service.Full(ctx, opts)
	} else {
		report, err = m.Service.Incremental(ctx, opts)
	}
	stopProgress()
	if err != nil {
		if code := aggregator.ErrorCode(err); code == aggregator.EINVALID || code == aggregator.EOVERFLOW {
			// Data the run did not isolate is a bug here, not the operator's flags.
			err = aggregator.Errorf(aggregator.EINTERNAL, "%s", aggregator.ErrorMessage(err))
		}
		return err
	}
	report.Recurring = recurring
	idleRecording := recurring == nil || (recurring.Recorded == 0 && recurring.RulesFailed == 0)
	if m.Config.Watch > 0 && !full && idleRecording && report.RowsRead == 0 && report.BucketsUpdated == 0 && report.BucketsFailed == 0 {
		return nil // an idle watch cycle: keep the log quiet
	}
	m.logFailures(report)
	if err := json.NewEncoder(m.Stdout).Encode(report); err != nil {
		return err
	}
	var partial []string
	if report.BucketsFailed > 0 {
		partial = append(partial, fmt.Sprintf("%d bucket(s) could not be computed and stay dirty", report.BucketsFailed))
	}
	if recurring != nil && recurring.RulesFailed > 0 {
		partial = append(partial, fmt.Sprintf("%d recurring rule(s) could not be recorded and stay due", recurring.RulesFailed))
	}
	if len(partial) > 0 {
		return aggregator.Errorf(aggregator.EPARTIAL, "%s (see the report); everything else is done", strings.Join(partial, ", "))
	}
	return nil
}

// record records the due occurrences of recurring rules up to today (nil
// report without a Recorder).
func (m *Main) record(ctx context.Context) (*aggregator.RecurringReport, error) {
	if m.Recorder == nil {
		return nil, nil
	}
	today, err := m.today()
	if err != nil {
		return nil, err
	}
	report, err := aggregator.RecordDue(ctx, m.Recorder, today)
	if err != nil {
		return nil, fmt.Errorf("record recurring occurrences: %w", err)
	}
	return &report, nil
}

// logFailures writes one stderr line per failed bucket the report lists.
func (m *Main) logFailures(report aggregator.RunReport) {
	left := "left dirty"
	if report.Mode == aggregator.ModeFull {
		left = "user's rollups and dirty marks left as they were"
	}
	for _, f := range report.Failures {
		month := f.Month
		if month == "" {
			month = "(no month)"
		}
		fmt.Fprintf(m.Stderr, "aggregator: bucket user_id=%s month=%s failed (%s): %s\n", f.UserID, month, left, oneLine(f.Error))
	}
	if n := report.BucketsFailed - int64(len(report.Failures)); n > 0 {
		fmt.Fprintf(m.Stderr, "aggregator: %d more failed bucket(s) not listed\n", n)
	}
	if r := report.Recurring; r != nil {
		for _, f := range r.Failures {
			fmt.Fprintf(m.Stderr, "aggregator: recurring rule id=%s user_id=%s not recorded (left due): %s\n", f.RuleID, f.UserID, oneLine(f.Error))
		}
		if n := r.RulesFailed - int64(len(r.Failures)); n > 0 {
			fmt.Fprintf(m.Stderr, "aggregator: %d more failed recurring rule(s) not listed\n", n)
		}
	}
}

// oneLine folds white space so that a message stays on its log line.
func oneLine(msg string) string { return strings.Join(strings.Fields(msg), " ") }

// startProgress refreshes one progress line on stderr every 200 ms while a
// run goes on, when stderr is a terminal; the returned func stops and clears it.
func (m *Main) startProgress(mode aggregator.Mode, p *aggregator.Progress) func() {
	if !m.ShowProgress {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		start := time.Now()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(m.Stderr, "\r\033[K")
				return
			case <-t.C:
				us := time.Since(start).Microseconds()
				rows, buckets := p.Rows(), p.Buckets()
				fmt.Fprintf(m.Stderr, "\r\033[K%s: %d buckets (%d/s), %d rows (%d/s)",
					mode, buckets, buckets*1_000_000/us, rows, rows*1_000_000/us)
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// open connects to the database DATABASE_URL names.
func open(ctx context.Context, rawURL string) (aggregator.RollupService, error) {
	u, err := aggregator.ParseDatabaseURL(rawURL)
	if err != nil {
		return nil, err
	}
	connectCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	switch u.Driver {
	case aggregator.DriverPostgres:
		return postgres.Open(connectCtx, u.DSN)
	default:
		return sqlite.Open(connectCtx, u.DSN)
	}
}
