package recurringtest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// The change log's side of the recording (ledger/changes.py's contract):
// read back with SQL and compared with expectations built from the stored
// rows themselves, so the tests do not trust the code's own snapshots.

// ChangeRow is one row of ledger_change as the tests read it.
type ChangeRow struct {
	Sequence   int64
	EntityType string
	EntityID   string // as stored (the backend's UUID form)
	Operation  string
	Snapshot   map[string]any // numbers as json.Number
}

// Changes returns the user's change rows in sequence order.
func Changes(t *testing.T, f Fixture, userID string) []ChangeRow {
	t.Helper()
	var out []ChangeRow
	// Ordered by the column, not by its text (which PostgreSQL would take
	// the output column of that name for).
	for _, row := range f.Strings(t, `SELECT CAST(c.sequence AS TEXT), c.entity_type, CAST(c.entity_id AS TEXT), c.operation,
		CAST(c.snapshot AS TEXT) FROM ledger_change c WHERE c.user_id = ? ORDER BY c.sequence`, userID) {
		sequence, err := strconv.ParseInt(row[0], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ChangeRow{Sequence: sequence, EntityType: row[1], EntityID: row[2], Operation: row[3],
			Snapshot: decodeSnapshot(t, row[4])})
	}
	return out
}

// ChangeSequence returns the user's ledger_balanceversion.change_sequence
// (0 without a row).
func ChangeSequence(t *testing.T, f Fixture, userID string) int64 {
	t.Helper()
	rows := f.Strings(t, `SELECT CAST(change_sequence AS TEXT) FROM ledger_balanceversion WHERE user_id = ?`, userID)
	if len(rows) == 0 {
		return 0
	}
	n, err := strconv.ParseInt(rows[0][0], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// AppendAPIChange is an API write of the user as ledger/changes.py's
// docstring tells a writer to make it, statement by statement: the version
// bump, then one sequence number allocated, then its change row (an ACCOUNT
// UPDATED of a made-up account). On PostgreSQL the caller runs it in one
// transaction; here each statement commits alone, which is enough for a
// writer running alone.
func AppendAPIChange(t *testing.T, f Fixture, userID, entityID string) {
	t.Helper()
	f.Exec(t, `INSERT INTO ledger_balanceversion (user_id, version, volume_minor) VALUES (?, 1, 0)
		ON CONFLICT (user_id) DO UPDATE SET version = ledger_balanceversion.version + 1`, userID)
	last := f.Strings(t, `INSERT INTO ledger_balanceversion (user_id, version, volume_minor, change_sequence) VALUES (?, 0, 0, 1)
		ON CONFLICT (user_id) DO UPDATE
		SET change_sequence = ledger_balanceversion.change_sequence + excluded.change_sequence
		RETURNING CAST(change_sequence AS TEXT)`, userID)[0][0]
	sequence, err := strconv.ParseInt(last, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	f.Exec(t, `INSERT INTO ledger_change (user_id, sequence, entity_type, entity_id, operation, at, snapshot)
		VALUES (?, ?, 'ACCOUNT', ?, 'UPDATED', CURRENT_TIMESTAMP, '{"api": true}')`, userID, sequence, entityID)
}

// CheckChangeLog checks the user's change log against their rows and
// returns it: sequences 1..n without a gap or a duplicate, n the version
// row's change_sequence; every transaction of the user has exactly one
// change, a TRANSACTION CREATED whose snapshot is what ledger.changes.
// snapshot_of gives for the stored row, and whose time is the row's
// created_at. Changes of transactions deleted since are not checked.
func CheckChangeLog(t *testing.T, f Fixture, userID string) []ChangeRow {
	t.Helper()
	changes := Changes(t, f, userID)
	for i, c := range changes {
		if c.Sequence != int64(i+1) {
			t.Fatalf("change %d has sequence %d: want 1..n without gaps", i+1, c.Sequence)
		}
	}
	equal(t, "change_sequence", ChangeSequence(t, f, userID), int64(len(changes)))

	want := TransactionSnapshots(t, f, userID)
	seen := map[string]bool{}
	for _, c := range changes {
		if c.EntityType != "TRANSACTION" {
			continue
		}
		if c.Operation != "CREATED" || seen[c.EntityID] {
			t.Errorf("transaction %s: a second change, or not CREATED (%s)", c.EntityID, c.Operation)
		}
		seen[c.EntityID] = true
		if snapshot, ok := want[c.EntityID]; ok {
			equal(t, "snapshot of transaction "+c.EntityID, c.Snapshot, snapshot)
		}
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("transaction %s has no change", id)
		}
	}
	// The change's time is the write's: the transaction's created_at.
	equal(t, "changes at another time than their transaction", f.Strings(t, `SELECT CAST(COUNT(*) AS TEXT) FROM ledger_change c
		JOIN ledger_transaction x ON x.id = c.entity_id WHERE c.user_id = ? AND c.at <> x.created_at`, userID), [][]string{{"0"}})
	return changes
}

// RuleChanges returns the changes of one rule, in order.
func RuleChanges(changes []ChangeRow, ruleID string) []ChangeRow {
	var out []ChangeRow
	for _, c := range changes {
		if c.EntityID == ruleID {
			out = append(out, c)
		}
	}
	return out
}

// CheckRuleChanges checks that the rule's changes are `steps` RECURRING_RULE
// UPDATED changes (one per committed transaction of its recording) whose
// pointer only moves forward, the last one the rule as it is stored now.
func CheckRuleChanges(t *testing.T, f Fixture, changes []ChangeRow, ruleID string, steps int) {
	t.Helper()
	mine := RuleChanges(changes, ruleID)
	equal(t, "changes of rule "+ruleID, len(mine), steps)
	previous := int64(-1)
	for _, c := range mine {
		if c.EntityType != "RECURRING_RULE" || c.Operation != "UPDATED" {
			t.Errorf("rule change %d is %s %s", c.Sequence, c.EntityType, c.Operation)
		}
		index, err := c.Snapshot["next_index"].(json.Number).Int64()
		if err != nil || index <= previous {
			t.Errorf("rule change %d: next_index %v after %d", c.Sequence, c.Snapshot["next_index"], previous)
		}
		previous = index
	}
	if len(mine) > 0 {
		equal(t, "last snapshot of rule "+ruleID, mine[len(mine)-1].Snapshot, RuleSnapshot(t, f, ruleID))
	}
}

// TransactionSnapshots returns, by stored id, the snapshot snapshot_of
// gives for each of the user's transactions, built from the stored row.
func TransactionSnapshots(t *testing.T, f Fixture, userID string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, row := range f.Strings(t, `SELECT CAST(x.id AS TEXT), CAST(x.account_id AS TEXT), CAST(x.amount_minor AS TEXT),
		x.type, x.description, x.category, CAST(x."date" AS TEXT), `+f.UTCText("x.created_at")+`, `+f.UTCText("x.updated_at")+`,
		a.currency FROM ledger_transaction x JOIN ledger_account a ON a.id = x.account_id WHERE x.user_id = ?`, userID) {
		out[row[0]] = map[string]any{
			"id": canonicalUUID(row[0]), "account_id": canonicalUUID(row[1]), "amount_minor": json.Number(row[2]),
			"type": row[3], "description": row[4], "category": row[5], "date": row[6],
			"created_at": isoformat(row[7]), "updated_at": isoformat(row[8]), "currency": row[9],
		}
	}
	return out
}

// RuleSnapshot returns the snapshot snapshot_of gives for the stored rule.
func RuleSnapshot(t *testing.T, f Fixture, ruleID string) map[string]any {
	t.Helper()
	row := f.Strings(t, `SELECT CAST(r.id AS TEXT), CAST(r.account_id AS TEXT), CAST(r.amount_minor AS TEXT), r.type,
		r.category, r.description, r.frequency, CAST(r."interval" AS TEXT), CAST(r.start_date AS TEXT),
		CAST(r.end_date AS TEXT), CAST(r."count" AS TEXT), CAST(r.next_index AS TEXT), CAST(r.next_date AS TEXT),
		CASE WHEN r.paused THEN 'true' ELSE 'false' END, `+f.UTCText("r.created_at")+`, `+f.UTCText("r.updated_at")+`,
		a.currency FROM ledger_recurringrule r JOIN ledger_account a ON a.id = r.account_id WHERE r.id = ?`, ruleID)[0]
	orNull := func(s string, v any) any {
		if s == "NULL" {
			return nil
		}
		return v
	}
	return map[string]any{
		"id": canonicalUUID(row[0]), "account_id": canonicalUUID(row[1]), "amount_minor": json.Number(row[2]),
		"type": row[3], "category": row[4], "description": row[5], "frequency": row[6], "interval": json.Number(row[7]),
		"start_date": row[8], "end_date": orNull(row[9], row[9]), "count": orNull(row[10], json.Number(row[10])),
		"next_index": json.Number(row[11]), "next_date": orNull(row[12], row[12]), "paused": row[13] == "true",
		"created_at": isoformat(row[14]), "updated_at": isoformat(row[15]), "currency": row[16],
	}
}

// canonicalUUID returns a stored id as a snapshot holds it: with dashes.
func canonicalUUID(id string) string {
	id = strings.ToLower(strings.ReplaceAll(id, "-", ""))
	if len(id) != 32 {
		return "not a UUID: " + id
	}
	return id[0:8] + "-" + id[8:12] + "-" + id[12:16] + "-" + id[16:20] + "-" + id[20:]
}

// isoformat turns "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC, Fixture.UTCText) into
// Python's isoformat() of the aware datetime Django reads from it.
func isoformat(utc string) string {
	return strings.Replace(strings.TrimSuffix(utc, ".000000"), " ", "T", 1) + "+00:00"
}

func decodeSnapshot(t *testing.T, text string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var snapshot map[string]any
	if err := dec.Decode(&snapshot); err != nil {
		t.Fatalf("snapshot %q: %v", text, err)
	}
	return snapshot
}

func changeKinds(changes []ChangeRow) []string {
	var out []string
	for _, c := range changes {
		out = append(out, fmt.Sprintf("%d %s %s", c.Sequence, c.EntityType, c.Operation))
	}
	return out
}
