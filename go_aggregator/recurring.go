package aggregator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// Recording of recurring rules: before each aggregation pass, every
// occurrence of an active rule dated up to today is written as an ordinary
// ledger_transaction, with what the API's own writes do beside it (version
// bump, volume, dirty marks, category spelling), so the figures cache and
// the rollups stay exact without Go touching Redis. The contract is the
// docstrings of ledger.models.RecurringRule and RecurringOccurrence.
//
// Exactly once: a rule's occurrences are recorded in one database
// transaction that first bumps the user's version row (the lock order of the
// API: version row, then rule row), then re-reads the rule under its row lock
// (PostgreSQL FOR UPDATE; SQLite's BEGIN IMMEDIATE excludes every other
// writer) and starts from its next_index, which moves forward in the same
// transaction. A second aggregator (or an API edit) waits for the commit and
// then sees the new next_index; a crash rolls the whole transaction back.
// The occurrence row, unique on (rule, date), is inserted before its
// transaction and is the last guard: when it exists (skipped, recorded, or
// recorded and since deleted) no transaction is written. The change rows
// (ledger/changes.py's contract) are the transaction's last statements, so
// they commit or roll back with what they describe: exactly one per entity
// written, numbered under the version row's lock taken first.

// MaxVolumeMinor bounds the sum of all of a user's amounts
// (ledger_balanceversion.volume_minor), as ledger.money.MAX_VOLUME_MINOR
// does for the API: every figure is a sum of some of them, so none leaves
// int64.
const MaxVolumeMinor int64 = 1_000_000_000_000_000_000

// MaxOccurrencesPerTransaction bounds one database transaction of a rule's
// catch-up (a server off for years, a daily rule): the rest follows, in
// order, in the next transactions of the same run, so locks stay short.
const MaxOccurrencesPerTransaction = 1000

// dueRulesPage is how many due rules one scan reads.
const dueRulesPage = 500

// DueRule is a rule the scan found due: its id and its user's, whose version
// row the recording locks first.
type DueRule struct {
	ID     string
	UserID string
}

// Rule is a recurring rule as the recording reads it under its row lock,
// with its ledger account's archived flag. Ids are opaque, as read.
type Rule struct {
	ID, UserID, AccountID string
	AmountMinor           int64  // > 0, in the account's minor units
	Type                  string // TypeIncome or TypeExpense
	Category, CategoryKey string
	Description           string
	Schedule              Schedule
	NextIndex             int64 // the first occurrence not yet recorded or passed over
	NextDate              Date  // its date; zero once the schedule has ended
	Paused                bool
	CreatedAt             time.Time
	AccountArchived       bool
	Currency              string // the ledger account's, which the snapshots carry
}

// UUID is a random (version 4) UUID: the id of a recorded transaction.
type UUID [16]byte

// NewUUID returns a random version 4 UUID.
func NewUUID() UUID {
	var u UUID
	rand.Read(u[:]) // never fails (crypto/rand panics rather than return an error)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

// Hex returns the 32 hex digits Django stores for a UUID on SQLite.
func (u UUID) Hex() string { return hex.EncodeToString(u[:]) }

// String returns the canonical dashed form (PostgreSQL's uuid text).
func (u UUID) String() string {
	h := u.Hex()
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// RecordingTx is one database transaction of a rule's recording, opened by
// a backend: the statements, which RecordRule calls in the order that makes
// the recording exact.
type RecordingTx interface {
	// BumpVersion upserts the user's ledger_balanceversion row, version + 1,
	// taking its row lock (the first lock, as in the API's writes).
	BumpVersion(ctx context.Context, userID string) error
	// LockRule re-reads the rule under its row lock; false when it is gone.
	LockRule(ctx context.Context, ruleID string) (Rule, bool, error)
	// ClaimOccurrence inserts the occurrence row (rule, day) naming the
	// transaction txnID, and returns false, inserting nothing, when a row
	// for (rule, day) exists.
	ClaimOccurrence(ctx context.Context, rule *Rule, day Date, txnID UUID) (bool, error)
	// OccurrenceTaken reports whether an occurrence row for (rule, day)
	// exists (skipped or recorded).
	OccurrenceTaken(ctx context.Context, ruleID string, day Date) (bool, error)
	// InsertTransaction writes the occurrence's ledger_transaction row.
	InsertTransaction(ctx context.Context, rule *Rule, day Date, txnID UUID, now time.Time) error
	// AddVolume adds change to the user's volume_minor (left as it is when it
	// is past MaxVolumeMinor already) and returns the new volume.
	AddVolume(ctx context.Context, userID string, change int64) (int64, error)
	// MarkDirty upserts the (user, month) dirty bucket as the API does.
	MarkDirty(ctx context.Context, userID string, month Month, now time.Time) error
	// RememberCategory upserts the user's spelling of a category key.
	RememberCategory(ctx context.Context, userID, key, name string, now time.Time) error
	// AdvanceRule stores the rule's next_index and next_date (NULL when next
	// is zero) and its updated_at.
	AdvanceRule(ctx context.Context, ruleID string, nextIndex int64, next Date, now time.Time) error
	// AllocateChanges takes n of the user's change sequence numbers
	// (ledger_balanceversion.change_sequence + n, on the row BumpVersion
	// locked) and returns the last one taken.
	AllocateChanges(ctx context.Context, userID string, n int) (int64, error)
	// InsertChanges appends changes to ledger_change, numbered first,
	// first+1..., at now, in multi-row INSERTs of ChangeRowsPerInsert rows.
	InsertChanges(ctx context.Context, userID string, first int64, changes []Change, now time.Time) error
}

// RecurringStore is a backend's side of the recording.
type RecurringStore interface {
	// DueRules returns up to limit rules with id > afterID ("" for the
	// first page), in id order, that are not paused and have a next_date on
	// or before today.
	DueRules(ctx context.Context, today Date, afterID string, limit int) ([]DueRule, error)
	// InRecordingTx runs fn in one write transaction (READ COMMITTED on
	// PostgreSQL, BEGIN IMMEDIATE on SQLite), committing when fn returns
	// true and no error, rolling back otherwise. A lost connection is an
	// EUNAVAILABLE error.
	InRecordingTx(ctx context.Context, fn func(RecordingTx) (commit bool, err error)) error
}

// RuleFailure is a rule whose recording was refused: nothing of that
// transaction was written and the rule stays due.
type RuleFailure struct {
	RuleID string `json:"rule_id"`
	UserID string `json:"user_id"`
	Error  string `json:"error"`
}

// RecurringReport is what a recording pass did (the "recurring" object of
// the run's JSON line).
type RecurringReport struct {
	Today string `json:"today"` // "YYYY-MM-DD"
	// RulesDue counts the rules the scan found due.
	RulesDue int64 `json:"rules_due"`
	// Recorded counts the transactions written; Passed the due occurrences
	// passed over because their occurrence row existed (skipped, or recorded
	// before).
	Recorded int64 `json:"occurrences_recorded"`
	Passed   int64 `json:"occurrences_passed"`
	// RulesWaiting counts due rules of archived ledger accounts: left due,
	// recorded once the account is unarchived.
	RulesWaiting int64 `json:"rules_waiting"`
	// RulesFailed counts the rules refused (the volume bound, a row the
	// schedule cannot read, a statement refused); Failures lists the first
	// MaxReportedFailures.
	RulesFailed int64         `json:"rules_failed"`
	Failures    []RuleFailure `json:"failures"`
}

// RecordDue records every due occurrence up to today of every active rule:
// rule by rule, each rule's occurrences in order. A rule that cannot be
// recorded is reported and left due (the run goes on); a lost connection or a
// cancelled context ends the run.
func RecordDue(ctx context.Context, store RecurringStore, today Date) (RecurringReport, error) {
	report := RecurringReport{Today: today.String(), Failures: []RuleFailure{}}
	// The id cursor makes a run finite: rules left due (archived accounts,
	// failures) are not met again in this run.
	after := ""
	for {
		due, err := store.DueRules(ctx, today, after, dueRulesPage)
		if err != nil {
			return report, fmt.Errorf("find due recurring rules: %w", err)
		}
		if len(due) == 0 {
			return report, nil
		}
		after = due[len(due)-1].ID
		for _, rule := range due {
			report.RulesDue++
			if err := recordRule(ctx, store, rule, today, &report); err != nil {
				return report, err
			}
		}
	}
}

// recordRule records one due rule, in as many transactions as its catch-up
// needs.
func recordRule(ctx context.Context, store RecurringStore, due DueRule, today Date, report *RecurringReport) error {
	for {
		var step RuleStep
		err := store.InRecordingTx(ctx, func(tx RecordingTx) (bool, error) {
			var err error
			step, err = RecordRule(ctx, tx, due, today, MaxOccurrencesPerTransaction, time.Now().UTC())
			return step.Commit, err
		})
		if stop, failed := unitFailure(ctx, err); stop != nil {
			return stop
		} else if failed {
			report.RulesFailed++
			if len(report.Failures) < MaxReportedFailures {
				report.Failures = append(report.Failures, RuleFailure{RuleID: due.ID, UserID: due.UserID, Error: ErrorMessage(err)})
			}
			return nil
		}
		if !step.Commit {
			if step.Waiting {
				report.RulesWaiting++
			}
			return nil
		}
		report.Recorded += step.Recorded
		report.Passed += step.Passed
		if !step.More {
			return nil
		}
	}
}

// RuleStep is what one transaction of a rule's recording did.
type RuleStep struct {
	// Commit is false when there was nothing to do: the rule is gone,
	// paused, no longer due (another aggregator recorded it), or waiting for
	// its archived account (Waiting). The transaction, version bump
	// included, is then rolled back.
	Commit, Waiting  bool
	Recorded, Passed int64
	// More is true when the limit stopped the transaction with occurrences
	// still due: the next transaction goes on from there.
	More bool
}

// RecordRule is one transaction of a rule's recording: at most limit due
// occurrences from its next_index, in order. See the file comment for why
// the statements come in this order.
func RecordRule(ctx context.Context, tx RecordingTx, due DueRule, today Date, limit int, now time.Time) (RuleStep, error) {
	// The databases keep microseconds: the snapshots' times must be the
	// stored ones.
	now = now.Truncate(time.Microsecond)
	if err := tx.BumpVersion(ctx, due.UserID); err != nil {
		return RuleStep{}, fmt.Errorf("bump balance version: %w", err)
	}
	rule, found, err := tx.LockRule(ctx, due.ID)
	switch {
	case err != nil:
		return RuleStep{}, fmt.Errorf("lock rule: %w", err)
	case !found, rule.Paused, rule.NextDate.IsZero(), rule.NextDate.After(today):
		return RuleStep{}, nil
	case rule.UserID != due.UserID:
		// Never by the API; the lock taken first would have been another user's.
		return RuleStep{}, Errorf(EINVALID, "rule %s changed owner during the run", rule.ID)
	case rule.AccountArchived:
		// An archived account takes no new entries; the rule stays due and is
		// caught up, in order, once the account is unarchived.
		return RuleStep{Waiting: true}, nil
	}
	if err := rule.Schedule.Validate(); err != nil {
		return RuleStep{}, err
	}
	if day, ok := rule.Schedule.DateAt(rule.NextIndex); !ok || day != rule.NextDate {
		// The rule's row contradicts its own schedule: recording from either
		// value could record a wrong date, so nothing is.
		return RuleStep{}, Errorf(EINVALID, "next_date %s is not the date of occurrence %d (%s)", rule.NextDate, rule.NextIndex, day)
	}

	step := RuleStep{Commit: true}
	var changes []Change // the recorded transactions', in order, then the rule's
	var volume int64
	var months []Month
	index := rule.NextIndex
	for ; index < rule.NextIndex+int64(limit); index++ {
		day, ok := rule.Schedule.DateAt(index)
		if !ok || day.After(today) {
			break
		}
		txnID := NewUUID()
		claimed, err := tx.ClaimOccurrence(ctx, &rule, day, txnID)
		if err != nil {
			return RuleStep{}, fmt.Errorf("insert occurrence %s: %w", day, err)
		}
		if !claimed {
			step.Passed++
			continue
		}
		if err := tx.InsertTransaction(ctx, &rule, day, txnID, now); err != nil {
			return RuleStep{}, fmt.Errorf("insert transaction of %s: %w", day, err)
		}
		if volume, err = AddMinor(volume, rule.AmountMinor); err != nil || volume > MaxVolumeMinor {
			return RuleStep{}, volumeError(rule.AmountMinor)
		}
		change, err := TransactionCreated(&rule, day, txnID, now)
		if err != nil {
			return RuleStep{}, fmt.Errorf("change of %s: %w", day, err)
		}
		changes = append(changes, change)
		step.Recorded++
		if m := day.Month(); len(months) == 0 || months[len(months)-1] != m {
			months = append(months, m) // dates increase, so months come sorted
		}
	}
	next, _ := rule.Schedule.DateAt(index)
	step.More = !next.IsZero() && !next.After(today)
	// The pointer also passes over later occurrences that already have a row
	// (skipped ahead of time), as the API's point_at does, so that next_date
	// is the next occurrence that will be recorded.
	for !step.More && !next.IsZero() {
		taken, err := tx.OccurrenceTaken(ctx, rule.ID, next)
		if err != nil {
			return RuleStep{}, fmt.Errorf("read occurrence %s: %w", next, err)
		} else if !taken {
			break
		}
		index++
		next, _ = rule.Schedule.DateAt(index)
	}

	if step.Recorded > 0 {
		total, err := tx.AddVolume(ctx, rule.UserID, volume)
		if err != nil {
			return RuleStep{}, fmt.Errorf("add volume: %w", err)
		}
		if total > MaxVolumeMinor {
			return RuleStep{}, volumeError(rule.AmountMinor)
		}
		for _, m := range months {
			if err := tx.MarkDirty(ctx, rule.UserID, m, now); err != nil {
				return RuleStep{}, fmt.Errorf("mark %s dirty: %w", m, err)
			}
		}
		if err := tx.RememberCategory(ctx, rule.UserID, rule.CategoryKey, rule.Category, now); err != nil {
			return RuleStep{}, fmt.Errorf("remember category: %w", err)
		}
	}
	if err := tx.AdvanceRule(ctx, rule.ID, index, next, now); err != nil {
		return RuleStep{}, fmt.Errorf("advance rule: %w", err)
	}
	// A committed step always moves the pointer (next_date was due), so the
	// rule always has its UPDATED change.
	change, err := RuleUpdated(&rule, index, next, now)
	if err != nil {
		return RuleStep{}, fmt.Errorf("change of the rule: %w", err)
	}
	changes = append(changes, change)
	if err := appendChanges(ctx, tx, rule.UserID, changes, now); err != nil {
		return RuleStep{}, err
	}
	return step, nil
}

// appendChanges numbers changes and inserts them: one allocation for all of
// them, then the multi-row INSERTs (two statements for a whole catch-up
// transaction).
func appendChanges(ctx context.Context, tx RecordingTx, userID string, changes []Change, now time.Time) error {
	last, err := tx.AllocateChanges(ctx, userID, len(changes))
	if err != nil {
		return fmt.Errorf("allocate change sequence: %w", err)
	}
	if err := tx.InsertChanges(ctx, userID, last-int64(len(changes))+1, changes, now); err != nil {
		return fmt.Errorf("insert changes: %w", err)
	}
	return nil
}

// volumeError refuses a recording that would take the user's volume past
// MaxVolumeMinor, as the API's VolumeLimitExceeded does.
func volumeError(amount int64) error {
	return Errorf(EOVERFLOW, "recording occurrences of %d minor units would take the user's total of recorded amounts past %d: the rule stays due", amount, MaxVolumeMinor)
}

// ReadRuleSchedule fills rule's schedule and next date from the columns as
// both backends read them: frequency, start_date, end_date, count and
// next_date, dates as "YYYY-MM-DD" and NULL as nil (Interval is scanned into
// rule.Schedule directly).
func ReadRuleSchedule(rule *Rule, frequency, start string, end *string, count *int64, next *string) error {
	var err error
	if rule.Schedule.Frequency, err = ParseFrequency(frequency); err != nil {
		return err
	}
	if rule.Schedule.Start, err = ParseDate(start); err != nil {
		return fmt.Errorf("start_date: %w", err)
	}
	if end != nil {
		day, err := ParseDate(*end)
		if err != nil {
			return fmt.Errorf("end_date: %w", err)
		}
		rule.Schedule.End = &day
	}
	rule.Schedule.Count = count
	if next != nil {
		if rule.NextDate, err = ParseDate(*next); err != nil {
			return fmt.Errorf("next_date: %w", err)
		}
	}
	return nil
}
