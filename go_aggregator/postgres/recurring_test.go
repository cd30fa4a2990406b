package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	aggregator "finance/go_aggregator"
	"finance/go_aggregator/internal/recurringtest"
	"finance/go_aggregator/postgres"
)

// recurringFixture is a test schema; ids are canonical UUID text.
type recurringFixture struct{ d *testDB }

func (f recurringFixture) Store(t *testing.T) aggregator.RecurringStore { return f.d.open(t) }

func (f recurringFixture) NewID() string { return aggregator.NewUUID().String() }

// dollarPlaceholders rewrites the suite's ? placeholders as $1, $2...
func dollarPlaceholders(query string) string {
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (f recurringFixture) Exec(t *testing.T, query string, args ...any) {
	t.Helper()
	if _, err := f.d.admin.Exec(context.Background(), dollarPlaceholders(query), args...); err != nil {
		t.Fatal(err)
	}
}

func (f recurringFixture) Strings(t *testing.T, query string, args ...any) [][]string {
	t.Helper()
	rows, err := f.d.admin.Query(context.Background(), dollarPlaceholders(query), args...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) ([]string, error) {
		values := make([]*string, len(row.FieldDescriptions()))
		ptrs := make([]any, len(values))
		for i := range values {
			ptrs[i] = &values[i]
		}
		if err := row.Scan(ptrs...); err != nil {
			return nil, err
		}
		strs := make([]string, len(values))
		for i, v := range values {
			strs[i] = "NULL"
			if v != nil {
				strs[i] = *v
			}
		}
		return strs, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// newRecurringFixture gives the test a schema of its own; the admin
// connection stands in for the API (set to the schema's search_path).
func newRecurringFixture(t *testing.T) recurringFixture {
	d := MustOpenTestDB(t)
	return recurringFixture{d}
}

func TestRecording(t *testing.T) {
	recurringtest.Run(t, func(t *testing.T) recurringtest.Fixture { return newRecurringFixture(t) })
}

// Four aggregators at once, each on its own connection, on the same rules,
// while the API writes changes of the same users: every occurrence is
// recorded exactly once, in order, the version and volume count each
// transaction once, and each user's change log is numbered without a gap or
// a duplicate, in commit order (a reader never sees a change before one
// numbered lower has committed).
func TestRecording_FourAggregatorsAtOnceRecordEachOccurrenceOnce(t *testing.T) {
	f := newRecurringFixture(t)
	ctx := context.Background()
	var ledgers []recurringtest.Ledger
	var rules []string
	for range 3 {
		l := recurringtest.NewLedger(t, f)
		ledgers = append(ledgers, l)
		for _, start := range []string{"2024-03-01", "2024-03-15", "2024-04-03"} {
			rules = append(rules, l.AddRule(t, f, recurringtest.Rule{Frequency: "daily", Start: start, AmountMinor: 3}))
		}
	}
	today := recurringtest.MustDate(t, "2024-12-31")
	apiChanges := make([]int, len(ledgers))
	for round := range 3 {
		stop := make(chan struct{})
		var api sync.WaitGroup
		apiErrs := make(chan error, 2*len(ledgers))
		for i, l := range ledgers {
			api.Add(2)
			go func() {
				defer api.Done()
				n, err := writeAPIChanges(ctx, f.d.url, l.UserID, l.AccountID, stop)
				apiChanges[i] += n
				apiErrs <- err
			}()
			go func() {
				defer api.Done()
				apiErrs <- watchChangePrefix(ctx, f.d.url, l.UserID, stop)
			}()
		}
		var wg sync.WaitGroup
		reports := make([]aggregator.RecurringReport, 4)
		errs := make([]error, 4)
		for i := range reports {
			db := f.d.open(t)
			wg.Add(1)
			go func() {
				defer wg.Done()
				reports[i], errs[i] = aggregator.RecordDue(ctx, db, today)
			}()
		}
		wg.Wait()
		close(stop)
		api.Wait()
		close(apiErrs)
		for err := range apiErrs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var recorded int64
		for i, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
			recorded += reports[i].Recorded
		}
		want := int64(0)
		if round == 0 {
			for _, start := range []string{"2024-03-01", "2024-03-15", "2024-04-03"} {
				want += 3 * (recurringtest.MustDate(t, start).DaysUntil(today) + 1)
			}
		}
		if recorded != want {
			t.Fatalf("round %d: recorded %d in all, want %d", round, recorded, want)
		}
	}
	// (rule, date) is unique among occurrences, so a second transaction of
	// one occurrence would be a transaction without an occurrence row.
	counts := f.Strings(t, `SELECT CAST((SELECT COUNT(*) FROM ledger_transaction) AS TEXT),
		CAST((SELECT COUNT(*) FROM ledger_recurringoccurrence o JOIN ledger_transaction x ON x.id = o.transaction_id) AS TEXT)`)
	if counts[0][0] != counts[0][1] {
		t.Fatalf("%s transactions, %s of them named by an occurrence", counts[0][0], counts[0][1])
	}
	for _, l := range ledgers {
		txns := len(recurringtest.Dates(t, f, l.UserID))
		_, volume := recurringtest.Version(t, f, l.UserID)
		if volume != fmt.Sprint(3*txns) {
			t.Errorf("user %s: volume %s for %d transactions of 3", l.UserID, volume, txns)
		}
	}
	for _, rule := range rules {
		idx, next := recurringtest.NextOf(t, f, rule)
		occurrences := recurringtest.Occurrences(t, f, rule)
		if next != "2025-01-01" || idx != fmt.Sprint(len(occurrences)) {
			t.Errorf("rule %s: next %s %s after %d occurrences", rule, idx, next, len(occurrences))
		}
	}
	for i, l := range ledgers {
		// 1..n, one change per transaction with its snapshot; each rule's
		// catch-up fits one transaction, so one change each; every API write
		// committed is there once (the rolled-back ones left nothing).
		changes := recurringtest.CheckChangeLog(t, f, l.UserID)
		for _, rule := range rules[3*i : 3*i+3] {
			recurringtest.CheckRuleChanges(t, f, changes, rule, 1)
		}
		api := 0
		for _, c := range changes {
			if c.EntityType == "ACCOUNT" {
				api++
			}
		}
		if api != apiChanges[i] || api == 0 {
			t.Errorf("user %s: %d API changes in the log, %d committed", l.UserID, api, apiChanges[i])
		}
		if want := len(recurringtest.Dates(t, f, l.UserID)) + 3 + api; len(changes) != want {
			t.Errorf("user %s: %d changes, want %d", l.UserID, len(changes), want)
		}
	}
}

// writeAPIChanges makes API writes of the user until stop is closed, each
// one transaction of ledger/changes.py's statements (version bump, one
// sequence number, its ACCOUNT change); every third is rolled back after its
// change row, which must leave nothing. Returns how many committed.
func writeAPIChanges(ctx context.Context, url, userID, accountID string, stop <-chan struct{}) (int, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	committed := 0
	for n := 0; ; n++ {
		select {
		case <-stop:
			if committed == 0 {
				continue // at least one, whatever the timing
			}
			return committed, nil
		default:
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO ledger_balanceversion (user_id, version, volume_minor) VALUES ($1, 1, 0)
				ON CONFLICT (user_id) DO UPDATE SET version = ledger_balanceversion.version + 1`, userID); err != nil {
				return err
			}
			var last int64
			if err := tx.QueryRow(ctx, `INSERT INTO ledger_balanceversion (user_id, version, volume_minor, change_sequence)
				VALUES ($1, 0, 0, 1) ON CONFLICT (user_id) DO UPDATE
				SET change_sequence = ledger_balanceversion.change_sequence + excluded.change_sequence
				RETURNING change_sequence`, userID).Scan(&last); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO ledger_change (user_id, sequence, entity_type, entity_id, operation, at, snapshot)
				VALUES ($1, $2, 'ACCOUNT', $3, 'UPDATED', now(), '{}')`, userID, last, accountID); err != nil {
				return err
			}
			if n%3 == 2 {
				return errRolledBack
			}
			return nil
		})
		switch {
		case err == nil:
			committed++
		case !errors.Is(err, errRolledBack):
			return committed, err
		}
	}
}

var errRolledBack = errors.New("rolled back on purpose")

// watchChangePrefix reads the user's change log until stop is closed and
// fails when one snapshot of it is not 1..n with n the committed
// change_sequence: a change visible before a lower-numbered one committed.
func watchChangePrefix(ctx context.Context, url, userID string, stop <-chan struct{}) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		var count, highest, counter int64
		if err := conn.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM ledger_change WHERE user_id = $1),
			(SELECT COALESCE(MAX(sequence), 0) FROM ledger_change WHERE user_id = $1),
			COALESCE((SELECT change_sequence FROM ledger_balanceversion WHERE user_id = $1), 0)`, userID).Scan(&count, &highest, &counter); err != nil {
			return err
		}
		if count != highest || highest != counter {
			return fmt.Errorf("user %s: %d changes visible up to %d, counter %d", userID, count, highest, counter)
		}
	}
}

// A pause the API commits while the recording waits for the user's version
// row lock is honoured (the API's lock order: version row, then rule row).
func TestRecording_PauseCommittedWhileWaitingOnTheLockIsHonoured(t *testing.T) {
	f := newRecurringFixture(t)
	ctx := context.Background()
	l := recurringtest.NewLedger(t, f)
	rule := l.AddRule(t, f, recurringtest.Rule{Frequency: "weekly", Start: "2024-01-01"})
	f.Exec(t, `INSERT INTO ledger_balanceversion (user_id, version, volume_minor) VALUES (?, 1, 0)`, l.UserID)

	api, err := pgx.Connect(ctx, f.d.url)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close(ctx)
	tx, err := api.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `UPDATE ledger_balanceversion SET version = version + 1 WHERE user_id = $1`, l.UserID); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `UPDATE ledger_recurringrule SET paused = true WHERE id = $1`, rule); err != nil {
		t.Fatal(err)
	}

	db := f.d.open(t)
	var pid uint32
	if err := db.Conn().QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	var report aggregator.RecurringReport
	go func() {
		var err error
		report, err = aggregator.RecordDue(ctx, db, recurringtest.MustDate(t, "2024-02-01"))
		done <- err
	}()
	waitForLockWait(t, f, pid)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if report.RulesDue != 1 || report.Recorded != 0 {
		t.Errorf("report %+v: want the rule found due, then nothing recorded", report)
	}
	if dates := recurringtest.Dates(t, f, l.UserID); len(dates) != 0 {
		t.Errorf("recorded %v for a paused rule", dates)
	}
	if version, _ := recurringtest.Version(t, f, l.UserID); version != "2" {
		t.Errorf("version %s: want only the API's bump (the recording rolled its own back)", version)
	}
}

// waitForLockWait waits until backend pid waits on a lock.
func waitForLockWait(t *testing.T, f recurringFixture, pid uint32) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		rows := f.Strings(t, `SELECT coalesce(wait_event_type, '') FROM pg_stat_activity WHERE pid = ?`, int64(pid))
		if len(rows) == 1 && rows[0][0] == "Lock" {
			return
		}
	}
	t.Fatal("the recording never waited for the lock")
}

// A connection lost between the scan and a rule's transaction is replaced
// (a --watch loop survives a restarted server) and the rule recorded.
func TestRecording_ReconnectsAfterALostConnection(t *testing.T) {
	f := newRecurringFixture(t)
	l := recurringtest.NewLedger(t, f)
	l.AddRule(t, f, recurringtest.Rule{Frequency: "daily", Start: "2024-01-01"})
	db := f.d.open(t)
	ctx := context.Background()
	var pid uint32
	if err := db.Conn().QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	store := &killingStore{DB: db, kill: func() {
		f.Exec(t, `SELECT pg_terminate_backend(?)`, int64(pid))
	}}
	report, err := aggregator.RecordDue(ctx, store, recurringtest.MustDate(t, "2024-01-05"))
	if err != nil || report.Recorded != 5 {
		t.Fatalf("got %+v, %v: want 5 occurrences recorded", report, err)
	}
}

// killingStore terminates its backend once the scan has found the rules.
type killingStore struct {
	*postgres.DB
	kill func()
}

func (s *killingStore) DueRules(ctx context.Context, today aggregator.Date, afterID string, limit int) ([]aggregator.DueRule, error) {
	due, err := s.DB.DueRules(ctx, today, afterID, limit)
	if len(due) > 0 {
		s.kill()
		time.Sleep(50 * time.Millisecond)
	}
	return due, err
}

func (f recurringFixture) UTCText(column string) string {
	return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
}
