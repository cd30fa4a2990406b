// Package recurringtest is the behaviour of the recording of recurring rules
// that both backends must show, written once: sqlite/ and postgres/ run Run
// with a Fixture of their own (their SQL dialect, their id format).
package recurringtest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	aggregator "finance/go_aggregator"
)

// Fixture is one backend's test database, fresh for each test.
type Fixture interface {
	// Store returns the recording's store on a connection of its own.
	Store(t *testing.T) aggregator.RecurringStore
	// NewID returns a new id in the backend's stored UUID form.
	NewID() string
	// Exec runs a statement written with ? placeholders, on a connection
	// standing in for the API.
	Exec(t *testing.T, query string, args ...any)
	// Strings runs a query with ? placeholders whose columns are all text and
	// returns its rows (NULL as "NULL").
	Strings(t *testing.T, query string, args ...any) [][]string
	// UTCText returns an SQL expression giving a datetime column as UTC text
	// "YYYY-MM-DD HH:MM:SS[.ffffff]" (Django's own form on SQLite).
	UTCText(column string) string
}

// Rule describes a rule a test inserts; NextIndex and NextDate are derived
// from Start unless set.
type Rule struct {
	Frequency   string
	Interval    int64
	Start, End  string
	Count       int64
	AmountMinor int64
	Paused      bool
	NextIndex   int64
	NextDate    string // "NULL" for an ended schedule
}

// Ledger is a user with one ledger account.
type Ledger struct {
	UserID, AccountID string
}

// NewLedger creates a user and a ledger account.
func NewLedger(t *testing.T, f Fixture) Ledger {
	t.Helper()
	l := Ledger{UserID: f.NewID(), AccountID: f.NewID()}
	f.Exec(t, `INSERT INTO accounts_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined, token_version)
		VALUES (?, '', false, ?, '', '', ?, false, true, CURRENT_TIMESTAMP, 0)`, l.UserID, l.UserID, l.UserID+"@example.com")
	f.Exec(t, `INSERT INTO ledger_account (id, user_id, name, name_key, kind, currency, opening_balance_minor, is_default, archived, created_at, updated_at)
		VALUES (?, ?, 'Main', 'main', 'checking', 'USD', 0, true, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`, l.AccountID, l.UserID)
	return l
}

// AddRule inserts a rule of the ledger's account and returns its id.
func (l Ledger) AddRule(t *testing.T, f Fixture, r Rule) string {
	t.Helper()
	if r.Interval == 0 {
		r.Interval = 1
	}
	if r.AmountMinor == 0 {
		r.AmountMinor = 1250
	}
	if r.NextDate == "" {
		r.NextDate = r.Start
	}
	id := f.NewID()
	var end, count, next any
	if r.End != "" {
		end = r.End
	}
	if r.Count != 0 {
		count = r.Count
	}
	if r.NextDate != "NULL" {
		next = r.NextDate
	}
	f.Exec(t, `INSERT INTO ledger_recurringrule (id, user_id, account_id, amount_minor, type, category, category_key,
		description, frequency, "interval", start_date, end_date, "count", next_index, next_date, paused, created_at, updated_at)
		VALUES (?, ?, ?, ?, 'expense', 'Rent', 'rent', 'flat', ?, ?, ?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`,
		id, l.UserID, l.AccountID, r.AmountMinor, r.Frequency, r.Interval, r.Start, end, count, r.NextIndex, next, r.Paused)
	return id
}

// Record runs one recording pass up to today on a store of its own.
func Record(t *testing.T, f Fixture, today string) aggregator.RecurringReport {
	t.Helper()
	report, err := aggregator.RecordDue(context.Background(), f.Store(t), MustDate(t, today))
	if err != nil {
		t.Fatal(err)
	}
	return report
}

// MustDate parses "YYYY-MM-DD".
func MustDate(t *testing.T, s string) aggregator.Date {
	t.Helper()
	d, err := aggregator.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Dates returns the dates of the user's transactions, in date order.
func Dates(t *testing.T, f Fixture, userID string) []string {
	t.Helper()
	var dates []string
	for _, row := range f.Strings(t, `SELECT CAST("date" AS TEXT) FROM ledger_transaction WHERE user_id = ? ORDER BY "date"`, userID) {
		dates = append(dates, row[0])
	}
	return dates
}

// NextOf returns the rule's next_index and next_date ("NULL" when ended).
func NextOf(t *testing.T, f Fixture, ruleID string) (string, string) {
	t.Helper()
	rows := f.Strings(t, `SELECT CAST(next_index AS TEXT), CAST(next_date AS TEXT) FROM ledger_recurringrule WHERE id = ?`, ruleID)
	return rows[0][0], rows[0][1]
}

// Version returns the user's balance version and volume ("NULL" when none).
func Version(t *testing.T, f Fixture, userID string) (string, string) {
	t.Helper()
	rows := f.Strings(t, `SELECT CAST(version AS TEXT), CAST(volume_minor AS TEXT) FROM ledger_balanceversion WHERE user_id = ?`, userID)
	if len(rows) == 0 {
		return "NULL", "NULL"
	}
	return rows[0][0], rows[0][1]
}

// DirtyMonths returns the user's dirty buckets as "month:generation".
func DirtyMonths(t *testing.T, f Fixture, userID string) []string {
	t.Helper()
	var months []string
	for _, row := range f.Strings(t, `SELECT month || ':' || CAST(generation AS TEXT) FROM ledger_dirtybucket WHERE user_id = ? ORDER BY month`, userID) {
		months = append(months, row[0])
	}
	return months
}

// Occurrences returns the rule's occurrence rows as "date:recorded|skipped|deleted".
func Occurrences(t *testing.T, f Fixture, ruleID string) []string {
	t.Helper()
	var out []string
	for _, row := range f.Strings(t, `SELECT CAST("date" AS TEXT) || ':' || CASE WHEN skipped THEN 'skipped'
		WHEN transaction_id IS NULL THEN 'deleted' ELSE 'recorded' END
		FROM ledger_recurringoccurrence WHERE rule_id = ? ORDER BY "date"`, ruleID) {
		out = append(out, row[0])
	}
	return out
}

func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

// Run runs every shared test against the fixtures newFixture makes.
func Run(t *testing.T, newFixture func(t *testing.T) Fixture) {
	tests := []struct {
		name string
		test func(t *testing.T, f Fixture)
	}{
		{"DueOccurrencesAreRecordedLikeAPIWrites", dueOccurrencesAreRecorded},
		{"CatchUpOfMonthsInOrderAcrossTransactions", catchUpInOrder},
		{"SkippedOccurrencesAreHonoured", skippedOccurrencesAreHonoured},
		{"DeletedRecordedTransactionIsNotRecordedAgain", deletedTransactionIsNotRecordedAgain},
		{"PausedRuleIsUntouched", pausedRuleIsUntouched},
		{"ArchivedAccountLeavesTheRuleDue", archivedAccountLeavesTheRuleDue},
		{"CountAndEndDateEndTheSchedule", countAndEndDateEndTheSchedule},
		{"VolumeOverflowLeavesTheRuleDue", volumeOverflowLeavesTheRuleDue},
		{"InconsistentRuleIsReportedNotRecorded", inconsistentRuleIsReported},
		{"ChangesContinueTheAPIsSequence", changesContinueTheAPIsSequence},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, newFixture(t)) })
	}
}

func dueOccurrencesAreRecorded(t *testing.T, f Fixture) {
	l := NewLedger(t, f)
	// The snapshots carry the account's currency, whatever it is.
	f.Exec(t, `UPDATE ledger_account SET currency = 'EUR' WHERE id = ?`, l.AccountID)
	rule := l.AddRule(t, f, Rule{Frequency: "monthly", Start: "2024-01-31", AmountMinor: 1250})
	notYet := l.AddRule(t, f, Rule{Frequency: "monthly", Start: "2024-05-01"})
	report := Record(t, f, "2024-04-15")
	equal(t, "report", report, aggregator.RecurringReport{Today: "2024-04-15", RulesDue: 1, Recorded: 3, Failures: []aggregator.RuleFailure{}})
	equal(t, "dates", Dates(t, f, l.UserID), []string{"2024-01-31", "2024-02-29", "2024-03-31"})
	// An ordinary transaction: every column as the API writes them.
	rows := f.Strings(t, `SELECT account_id, CAST(amount_minor AS TEXT), type, description, category, category_key,
		CASE WHEN idempotency_key IS NULL AND idempotency_fingerprint IS NULL THEN 'no key' ELSE 'key' END,
		CASE WHEN created_at = updated_at THEN 'same' ELSE 'differ' END
		FROM ledger_transaction WHERE user_id = ? ORDER BY "date" LIMIT 1`, l.UserID)
	equal(t, "transaction", rows[0], []string{l.AccountID, "1250", "expense", "flat", "Rent", "rent", "no key", "same"})
	idx, next := NextOf(t, f, rule)
	equal(t, "next", idx+" "+next, "3 2024-04-30")
	idx, next = NextOf(t, f, notYet)
	equal(t, "rule not yet due", idx+" "+next, "0 2024-05-01")
	equal(t, "occurrences", Occurrences(t, f, rule), []string{"2024-01-31:recorded", "2024-02-29:recorded", "2024-03-31:recorded"})
	version, volume := Version(t, f, l.UserID)
	equal(t, "version and volume", version+" "+volume, "1 3750")
	equal(t, "dirty buckets", DirtyMonths(t, f, l.UserID), []string{"2024-01:1", "2024-02:1", "2024-03:1"})
	equal(t, "category name", f.Strings(t, `SELECT name FROM ledger_categoryname WHERE user_id = ? AND key = 'rent'`, l.UserID), [][]string{{"Rent"}})
	// Each occurrence's transaction is the one its row names.
	equal(t, "occurrence transactions", f.Strings(t, `SELECT CAST(COUNT(*) AS TEXT) FROM ledger_recurringoccurrence o
		JOIN ledger_transaction x ON x.id = o.transaction_id AND x."date" = o."date" WHERE o.rule_id = ?`, rule), [][]string{{"3"}})
	// The change log: one TRANSACTION CREATED per occurrence, in date order,
	// then the rule's UPDATED, numbered 1..4 in the one transaction.
	changes := CheckChangeLog(t, f, l.UserID)
	equal(t, "changes", changeKinds(changes), []string{"1 TRANSACTION CREATED", "2 TRANSACTION CREATED",
		"3 TRANSACTION CREATED", "4 RECURRING_RULE UPDATED"})
	var changed []string
	for _, c := range changes[:3] {
		changed = append(changed, c.Snapshot["date"].(string))
	}
	equal(t, "changed transactions in order", changed, Dates(t, f, l.UserID))
	CheckRuleChanges(t, f, changes, rule, 1)

	// Nothing is due any more: a second run writes nothing, not even a version bump.
	report = Record(t, f, "2024-04-15")
	equal(t, "second report", report, aggregator.RecurringReport{Today: "2024-04-15", Failures: []aggregator.RuleFailure{}})
	version, _ = Version(t, f, l.UserID)
	equal(t, "version after an idle run", version, "1")
	equal(t, "dates after an idle run", len(Dates(t, f, l.UserID)), 3)
	equal(t, "changes after an idle run", len(Changes(t, f, l.UserID)), 4)
}

func catchUpInOrder(t *testing.T, f Fixture) {
	l := NewLedger(t, f)
	// A server off for three months, then for three years: every missed
	// occurrence, in order, more than one transaction's worth.
	rule := l.AddRule(t, f, Rule{Frequency: "daily", Start: "2021-01-01", AmountMinor: 1})
	weekly := l.AddRule(t, f, Rule{Frequency: "weekly", Interval: 2, Start: "2021-01-04"})
	report := Record(t, f, "2021-03-31")
	equal(t, "three months", report.Recorded, int64(90+7))
	report = Record(t, f, "2024-03-31")
	want := int64(MustDate(t, "2021-04-01").DaysUntil(MustDate(t, "2024-03-31")) + 1)
	if want <= aggregator.MaxOccurrencesPerTransaction {
		t.Fatalf("the catch-up (%d) must need more than one transaction", want)
	}
	equal(t, "three years", report.Recorded, want+int64(len(Occurrences(t, f, weekly))-7))
	var previous string
	var daily []string
	for _, row := range f.Strings(t, `SELECT CAST(o."date" AS TEXT) FROM ledger_recurringoccurrence o WHERE o.rule_id = ? ORDER BY o.id`, rule) {
		if row[0] <= previous {
			t.Fatalf("occurrence %s recorded after %s", row[0], previous)
		}
		previous = row[0]
		daily = append(daily, row[0])
	}
	equal(t, "daily occurrences", len(daily), int(want)+90)
	equal(t, "first and last", daily[0]+" "+daily[len(daily)-1], "2021-01-01 2024-03-31")
	idx, next := NextOf(t, f, rule)
	equal(t, "next", idx+" "+next, fmt.Sprint(len(daily))+" 2024-04-01")
	_, volume := Version(t, f, l.UserID)
	equal(t, "volume", volume, fmt.Sprint(len(daily)+1250*len(Occurrences(t, f, weekly))))
	equal(t, "dirty months", len(DirtyMonths(t, f, l.UserID)), 39)
	// Each transaction of the catch-up has its change (1000 and more in one
	// transaction's INSERT); the daily rule one per transaction: the first
	// run's, then the three years' two.
	changes := CheckChangeLog(t, f, l.UserID)
	CheckRuleChanges(t, f, changes, rule, 3)
	CheckRuleChanges(t, f, changes, weekly, 2)
	previous = ""
	for _, c := range changes {
		if c.EntityType == "TRANSACTION" && c.Snapshot["amount_minor"] == json.Number("1") {
			if day := c.Snapshot["date"].(string); day <= previous {
				t.Fatalf("change %d: %s recorded after %s", c.Sequence, day, previous)
			} else {
				previous = day
			}
		}
	}
}

func skippedOccurrencesAreHonoured(t *testing.T, f Fixture) {
	l := NewLedger(t, f)
	rule := l.AddRule(t, f, Rule{Frequency: "weekly", Start: "2024-01-01"})
	// The API skipped the second occurrence, and the fifth and sixth ahead of time.
	for _, day := range []string{"2024-01-08", "2024-01-29", "2024-02-05"} {
		f.Exec(t, `INSERT INTO ledger_recurringoccurrence (rule_id, "date", transaction_id, skipped) VALUES (?, ?, NULL, true)`, rule, day)
	}
	report := Record(t, f, "2024-01-22")
	equal(t, "recorded, passed", [2]int64{report.Recorded, report.Passed}, [2]int64{3, 1})
	equal(t, "dates", Dates(t, f, l.UserID), []string{"2024-01-01", "2024-01-15", "2024-01-22"})
	// The pointer passes over the skipped ones ahead too (as the API's point_at):
	// next_date is the next occurrence that will be recorded.
	idx, next := NextOf(t, f, rule)
	equal(t, "next", idx+" "+next, "6 2024-02-12")
	equal(t, "nothing due before it", Record(t, f, "2024-02-11").RulesDue, int64(0))
	Record(t, f, "2024-02-12")
	equal(t, "dates later", Dates(t, f, l.UserID), []string{"2024-01-01", "2024-01-15", "2024-01-22", "2024-02-12"})
	equal(t, "occurrences", Occurrences(t, f, rule), []string{"2024-01-01:recorded", "2024-01-08:skipped", "2024-01-15:recorded",
		"2024-01-22:recorded", "2024-01-29:skipped", "2024-02-05:skipped", "2024-02-12:recorded"})
	// No change for a skipped occurrence; the rule's two, from the two runs that recorded.
	changes := CheckChangeLog(t, f, l.UserID)
	equal(t, "changes", len(changes), 4+2)
	CheckRuleChanges(t, f, changes, rule, 2)
}

func deletedTransactionIsNotRecordedAgain(t *testing.T, f Fixture) {
	l := NewLedger(t, f)
	rule := l.AddRule(t, f, Rule{Frequency: "monthly", Start: "2024-01-15"})
	Record(t, f, "2024-03-20")
	// The API deletes the February transaction (Django's SET_NULL empties its
	// occurrence row), and even if the rule's position were moved back...
	f.Exec(t, `UPDATE ledger_recurringoccurrence SET transaction_id = NULL WHERE rule_id = ? AND "date" = '2024-02-15'`, rule)
	f.Exec(t, `DELETE FROM ledger_transaction WHERE user_id = ? AND "date" = '2024-02-15'`, l.UserID)
	f.Exec(t, `UPDATE ledger_recurringrule SET next_index = 0, next_date = '2024-01-15' WHERE id = ?`, rule)
	report := Record(t, f, "2024-03-20")
	// ...the occurrence rows stop both from being recorded again.
	equal(t, "recorded, passed", [2]int64{report.Recorded, report.Passed}, [2]int64{0, 3})
	equal(t, "dates", Dates(t, f, l.UserID), []string{"2024-01-15", "2024-03-15"})
	equal(t, "occurrences", Occurrences(t, f, rule), []string{"2024-01-15:recorded", "2024-02-15:deleted", "2024-03-15:recorded"})
	idx, next := NextOf(t, f, rule)
	equal(t, "next", idx+" "+next, "3 2024-04-15")
	// Only the pointer moved: the rule's change alone (the test moved the
	// pointer back by hand, so it does not only move forward here).
	changes := CheckChangeLog(t, f, l.UserID)
	equal(t, "last change", changeKinds(changes[len(changes)-1:]), []string{"5 RECURRING_RULE UPDATED"})
	equal(t, "the rule's snapshot", changes[len(changes)-1].Snapshot, RuleSnapshot(t, f, rule))
}

func pausedRuleIsUntouched(t *testing.T, f Fixture) {
	l := NewLedger(t, f)
	rule := l.AddRule(t, f, Rule{Frequency: "daily", Start: "2024-01-01", Paused: true})
	report := Record(t, f, "2024-01-10")
	equal(t, "report", report.RulesDue+report.Recorded, int64(0))
	equal(t, "dates", len(Dates(t, f, l.UserID)), 0)
	idx, next := NextOf(t, f, rule)
	equal(t, "next", idx+" "+next, "0 2024-01-01")
	version, _ := Version(t, f, l.UserID)
	equal(t, "version", version, "NULL")
	equal(t, "changes", len(Changes(t, f, l.UserID)), 0)
}

func archivedAccountLeavesTheRuleDue(t *testing.T, f Fixture) {
	l := NewLedger(t, f)
	rule := l.AddRule(t, f, Rule{Frequency: "monthly", Start: "2024-01-10"})
	f.Exec(t, `UPDATE ledger_account SET archived = true WHERE id = ?`, l.AccountID)
	report := Record(t, f, "2024-02-20")
	equal(t, "waiting", [3]int64{report.RulesDue, report.RulesWaiting, report.Recorded}, [3]int64{1, 1, 0})
	idx, next := NextOf(t, f, rule)
	equal(t, "still due", idx+" "+next, "0 2024-01-10")
	version, _ := Version(t, f, l.UserID)
	equal(t, "no version bump", version, "NULL")
	equal(t, "no change", len(Changes(t, f, l.UserID)), 0)
	// Unarchived: caught up, in order.
	f.Exec(t, `UPDATE ledger_account SET archived = false WHERE id = ?`, l.AccountID)
	report = Record(t, f, "2024-03-20")
	equal(t, "recorded after unarchiving", report.Recorded, int64(3))
	equal(t, "dates", Dates(t, f, l.UserID), []string{"2024-01-10", "2024-02-10", "2024-03-10"})
	CheckRuleChanges(t, f, CheckChangeLog(t, f, l.UserID), rule, 1)
}

func countAndEndDateEndTheSchedule(t *testing.T, f Fixture) {
	l := NewLedger(t, f)
	counted := l.AddRule(t, f, Rule{Frequency: "weekly", Start: "2024-01-01", Count: 2})
	ended := l.AddRule(t, f, Rule{Frequency: "monthly", Start: "2024-01-31", End: "2024-03-30"})
	yearEnd := l.AddRule(t, f, Rule{Frequency: "yearly", Start: "9998-06-01"})
	report := Record(t, f, "2024-12-31")
	equal(t, "recorded", report.Recorded, int64(4))
	for rule, want := range map[string]string{counted: "2 NULL", ended: "2 NULL"} {
		idx, next := NextOf(t, f, rule)
		equal(t, "ended", idx+" "+next, want)
	}
	equal(t, "dates", Dates(t, f, l.UserID), []string{"2024-01-01", "2024-01-08", "2024-01-31", "2024-02-29"})
	report = Record(t, f, "9999-12-31")
	equal(t, "the last years", report.Recorded, int64(2))
	idx, next := NextOf(t, f, yearEnd)
	equal(t, "past 9999", idx+" "+next, "2 NULL")
	equal(t, "nothing due", Record(t, f, "9999-12-31").RulesDue, int64(0))
	// The snapshots of ended rules: a count, an end date, next_date null.
	changes := CheckChangeLog(t, f, l.UserID)
	for _, rule := range []string{counted, ended, yearEnd} {
		CheckRuleChanges(t, f, changes, rule, 1)
	}
}

func volumeOverflowLeavesTheRuleDue(t *testing.T, f Fixture) {
	l := NewLedger(t, f)
	f.Exec(t, `INSERT INTO ledger_balanceversion (user_id, version, volume_minor) VALUES (?, 7, ?)`, l.UserID, aggregator.MaxVolumeMinor-2000)
	rule := l.AddRule(t, f, Rule{Frequency: "monthly", Start: "2024-01-01", AmountMinor: 1000})
	fine := NewLedger(t, f)
	other := fine.AddRule(t, f, Rule{Frequency: "monthly", Start: "2024-01-01"})
	report := Record(t, f, "2024-03-01") // three occurrences: 3000 would pass the bound by 1000
	equal(t, "failed", [2]int64{report.RulesFailed, report.Recorded}, [2]int64{1, 3})
	equal(t, "failure", report.Failures[0].RuleID+" "+report.Failures[0].UserID, rule+" "+l.UserID)
	if !strings.Contains(report.Failures[0].Error, "stays due") {
		t.Errorf("failure message %q", report.Failures[0].Error)
	}
	idx, next := NextOf(t, f, rule)
	equal(t, "still due", idx+" "+next, "0 2024-01-01")
	equal(t, "nothing written", len(Dates(t, f, l.UserID))+len(Occurrences(t, f, rule))+len(DirtyMonths(t, f, l.UserID)), 0)
	version, volume := Version(t, f, l.UserID)
	equal(t, "version and volume unchanged", version+" "+volume, fmt.Sprint("7 ", aggregator.MaxVolumeMinor-2000))
	equal(t, "no change", len(Changes(t, f, l.UserID)), 0)
	equal(t, "no sequence number taken", ChangeSequence(t, f, l.UserID), int64(0))
	// The other user's rule is recorded all the same.
	idx, next = NextOf(t, f, other)
	equal(t, "other rule", idx+" "+next, "3 2024-04-01")
	CheckRuleChanges(t, f, CheckChangeLog(t, f, fine.UserID), other, 1)
	// Two occurrences fit: recorded once the third is not yet due.
	equal(t, "within the bound", Record(t, f, "2024-02-01").Recorded, int64(2))
	equal(t, "changes within the bound", len(CheckChangeLog(t, f, l.UserID)), 3)
}

func inconsistentRuleIsReported(t *testing.T, f Fixture) {
	l := NewLedger(t, f)
	rule := l.AddRule(t, f, Rule{Frequency: "monthly", Start: "2024-01-31", NextIndex: 1, NextDate: "2024-02-28"})
	report := Record(t, f, "2024-03-31")
	equal(t, "failed", report.RulesFailed, int64(1))
	if !strings.Contains(report.Failures[0].Error, "2024-02-29") {
		t.Errorf("failure message %q names no date", report.Failures[0].Error)
	}
	equal(t, "nothing recorded", len(Dates(t, f, l.UserID)), 0)
	idx, next := NextOf(t, f, rule)
	equal(t, "untouched", idx+" "+next, "1 2024-02-28")
	equal(t, "no change", len(Changes(t, f, l.UserID)), 0)
}

func changesContinueTheAPIsSequence(t *testing.T, f Fixture) {
	l := NewLedger(t, f)
	rule := l.AddRule(t, f, Rule{Frequency: "weekly", Start: "2024-01-01"})
	// What JSON must escape, and what json.dumps leaves as it is.
	f.Exec(t, `UPDATE ledger_recurringrule SET description = ? WHERE id = ?`, "a \"quoted\" <b> & \\ ü\n€", rule)
	AppendAPIChange(t, f, l.UserID, l.AccountID)
	AppendAPIChange(t, f, l.UserID, l.AccountID)
	Record(t, f, "2024-01-08")
	AppendAPIChange(t, f, l.UserID, l.AccountID)
	Record(t, f, "2024-01-15")
	changes := CheckChangeLog(t, f, l.UserID)
	equal(t, "changes", changeKinds(changes), []string{"1 ACCOUNT UPDATED", "2 ACCOUNT UPDATED",
		"3 TRANSACTION CREATED", "4 TRANSACTION CREATED", "5 RECURRING_RULE UPDATED", "6 ACCOUNT UPDATED",
		"7 TRANSACTION CREATED", "8 RECURRING_RULE UPDATED"})
	equal(t, "description", changes[2].Snapshot["description"], any("a \"quoted\" <b> & \\ ü\n€"))
	CheckRuleChanges(t, f, changes, rule, 2)
}
