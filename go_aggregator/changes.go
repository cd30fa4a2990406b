package aggregator

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// The change log (issue 14): every write appends one ledger_change row per
// entity it changed, in its own database transaction. The contract for
// writers outside Django is the docstring of ledger/changes.py (the
// statements and their order, the columns, the snapshot format), and
// snapshot_of there is the reference of a snapshot: the snapshots built here
// hold the same keys, in the same order, with the same value formats.

// The entity types and operations of the change rows the recording appends
// (ledger.models.EntityType and ChangeOperation).
const (
	EntityTransaction   = "TRANSACTION"
	EntityRecurringRule = "RECURRING_RULE"
	OperationCreated    = "CREATED"
	OperationUpdated    = "UPDATED"
)

// ChangeRowsPerInsert bounds the rows of one multi-row INSERT INTO
// ledger_change. Each row takes five parameters (plus the user and the time,
// shared by all rows): 1024 rows are 5,122, well under SQLite's 32,766 and
// PostgreSQL's 65,535, and hold a whole transaction of a catch-up
// (MaxOccurrencesPerTransaction transactions and the rule) in one statement.
const ChangeRowsPerInsert = 1024

// Change is one row a write appends to ledger_change, before it is numbered.
type Change struct {
	EntityType string // EntityTransaction or EntityRecurringRule
	EntityID   UUID
	Operation  string // OperationCreated or OperationUpdated
	Snapshot   []byte // the entity after the change, a JSON object
}

// AllocateChangesSQL is ledger/changes.py's allocation statement, with the
// backend's placeholders for the user's id and the count: it adds the count
// to the user's change_sequence and returns the last number taken. The
// version bump locked that row first, so the numbers are the user's next
// ones in commit order.
func AllocateChangesSQL(user, count string) string {
	return `INSERT INTO ledger_balanceversion (user_id, version, volume_minor, change_sequence) VALUES (` + user + `, 0, 0, ` + count + `)
		ON CONFLICT (user_id) DO UPDATE
		SET change_sequence = ledger_balanceversion.change_sequence + excluded.change_sequence
		RETURNING change_sequence`
}

// ChangeStatement is one multi-row INSERT INTO ledger_change and its
// arguments.
type ChangeStatement struct {
	SQL  string
	Args []any
}

// ChangeStatements writes the INSERTs of changes numbered first, first+1...
// in chunks of ChangeRowsPerInsert rows. Parameter 1 is the user's id and 2
// the time of the write, shared by every row; each row's sequence, entity
// type, entity id, operation and snapshot are the five parameters from p,
// which tuple(p) places in the backend's VALUES tuple (with its casts).
// entityID formats an id as the backend stores it; the snapshot travels as
// text.
func ChangeStatements(userID string, at any, first int64, changes []Change,
	tuple func(p int) string, entityID func(UUID) string) []ChangeStatement {
	var statements []ChangeStatement
	for start := 0; start < len(changes); start += ChangeRowsPerInsert {
		chunk := changes[start:min(start+ChangeRowsPerInsert, len(changes))]
		var sql strings.Builder
		sql.WriteString("INSERT INTO ledger_change (user_id, sequence, entity_type, entity_id, operation, at, snapshot) VALUES ")
		args := make([]any, 2, 2+5*len(chunk))
		args[0], args[1] = userID, at
		for i, change := range chunk {
			if i > 0 {
				sql.WriteString(", ")
			}
			sql.WriteString(tuple(len(args) + 1))
			args = append(args, first+int64(start+i), change.EntityType, entityID(change.EntityID), change.Operation,
				string(change.Snapshot))
		}
		statements = append(statements, ChangeStatement{SQL: sql.String(), Args: args})
	}
	return statements
}

// ParseUUID reads a UUID as either backend stores it: canonical with dashes
// (PostgreSQL's uuid text) or 32 hex digits (Django's SQLite form), in
// either case.
func ParseUUID(s string) (UUID, error) {
	var u UUID
	digits := s
	if len(s) == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' {
		digits = s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	}
	if len(digits) != 32 {
		return u, Errorf(EINVALID, "%q is not a UUID", s)
	}
	if _, err := hex.Decode(u[:], []byte(digits)); err != nil {
		return u, Errorf(EINVALID, "%q is not a UUID", s)
	}
	return u, nil
}

// SnapshotTime formats t as a snapshot holds a time: Python's isoformat() of
// the aware UTC datetime Django has for it ("2024-01-02T03:04:05.120000+00:00",
// the fraction left out when the microseconds are zero). Django keeps
// microseconds, so anything finer is dropped, as the databases do.
func SnapshotTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05-07:00")
	}
	return t.Format("2006-01-02T15:04:05.000000-07:00")
}

// transactionSnapshot is snapshot_of(Transaction): its columns in the model's
// field order, less user_id, category_key and the idempotency columns, then
// the account's currency.
type transactionSnapshot struct {
	ID          string `json:"id"`
	AccountID   string `json:"account_id"`
	AmountMinor int64  `json:"amount_minor"`
	Type        string `json:"type"`
	Description string `json:"description"`
	Category    string `json:"category"`
	Date        Date   `json:"date"`
	CreatedAt   string `json:"created_at"`
	UpdatedAt   string `json:"updated_at"`
	Currency    string `json:"currency"`
}

// ruleSnapshot is snapshot_of(RecurringRule), in the model's field order.
type ruleSnapshot struct {
	ID          string    `json:"id"`
	AccountID   string    `json:"account_id"`
	AmountMinor int64     `json:"amount_minor"`
	Type        string    `json:"type"`
	Category    string    `json:"category"`
	Description string    `json:"description"`
	Frequency   Frequency `json:"frequency"`
	Interval    int64     `json:"interval"`
	StartDate   Date      `json:"start_date"`
	EndDate     *Date     `json:"end_date"`
	Count       *int64    `json:"count"`
	NextIndex   int64     `json:"next_index"`
	NextDate    *Date     `json:"next_date"` // null once the schedule has ended
	Paused      bool      `json:"paused"`
	CreatedAt   string    `json:"created_at"`
	UpdatedAt   string    `json:"updated_at"`
	Currency    string    `json:"currency"`
}

// TransactionCreated is the TRANSACTION CREATED change of an occurrence of
// rule recorded on day as transaction txnID at now (its created_at and
// updated_at).
func TransactionCreated(rule *Rule, day Date, txnID UUID, now time.Time) (Change, error) {
	account, err := ParseUUID(rule.AccountID)
	if err != nil {
		return Change{}, fmt.Errorf("account id: %w", err)
	}
	at := SnapshotTime(now)
	snapshot, err := snapshotJSON(transactionSnapshot{
		ID: txnID.String(), AccountID: account.String(), AmountMinor: rule.AmountMinor, Type: rule.Type,
		Description: rule.Description, Category: rule.Category, Date: day, CreatedAt: at, UpdatedAt: at,
		Currency: rule.Currency,
	})
	return Change{EntityType: EntityTransaction, EntityID: txnID, Operation: OperationCreated, Snapshot: snapshot}, err
}

// RuleUpdated is the RECURRING_RULE UPDATED change of rule once its pointer
// moved to (nextIndex, next) at now (its updated_at).
func RuleUpdated(rule *Rule, nextIndex int64, next Date, now time.Time) (Change, error) {
	id, err := ParseUUID(rule.ID)
	if err != nil {
		return Change{}, fmt.Errorf("rule id: %w", err)
	}
	account, err := ParseUUID(rule.AccountID)
	if err != nil {
		return Change{}, fmt.Errorf("account id: %w", err)
	}
	var nextDate *Date
	if !next.IsZero() {
		nextDate = &next
	}
	snapshot, err := snapshotJSON(ruleSnapshot{
		ID: id.String(), AccountID: account.String(), AmountMinor: rule.AmountMinor, Type: rule.Type,
		Category: rule.Category, Description: rule.Description, Frequency: rule.Schedule.Frequency,
		Interval: rule.Schedule.Interval, StartDate: rule.Schedule.Start, EndDate: rule.Schedule.End,
		Count: rule.Schedule.Count, NextIndex: nextIndex, NextDate: nextDate, Paused: rule.Paused,
		CreatedAt: SnapshotTime(rule.CreatedAt), UpdatedAt: SnapshotTime(now), Currency: rule.Currency,
	})
	return Change{EntityType: EntityRecurringRule, EntityID: id, Operation: OperationUpdated, Snapshot: snapshot}, err
}

// snapshotJSON encodes a snapshot without HTML escaping (json.dumps, which
// wrote the API's snapshots, leaves <, > and & as they are).
func snapshotJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode snapshot: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
