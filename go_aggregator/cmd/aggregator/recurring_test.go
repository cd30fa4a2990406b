package main_test

import (
	"database/sql"
	"strings"
	"testing"

	aggregator "finance/go_aggregator"
)

// ruleSQL is user d's account and a monthly rule of 4200 on the 31st from
// January 2024, and user e's account with a daily rule whose recording would
// take e's volume past the bound.
const ruleSQL = `;
INSERT INTO accounts_user (id, password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined, token_version) VALUES
  ('dddddddddddddddddddddddddddddddd', '', 0, 'd', '', '', 'd@example.com', 0, 1, '2024-01-01 00:00:00', 0),
  ('eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee', '', 0, 'e', '', '', 'e@example.com', 0, 1, '2024-01-01 00:00:00', 0);
INSERT INTO ledger_account (id, user_id, name, name_key, kind, currency, opening_balance_minor, is_default, archived, created_at, updated_at) VALUES
  ('a00ddddddddddddddddddddddddddddd', 'dddddddddddddddddddddddddddddddd', 'Main', 'main', 'checking', 'USD', 0, 1, 0, '2024-01-01 00:00:00', '2024-01-01 00:00:00'),
  ('a00eeeeeeeeeeeeeeeeeeeeeeeeeeeee', 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee', 'Main', 'main', 'checking', 'USD', 0, 1, 0, '2024-01-01 00:00:00', '2024-01-01 00:00:00');
INSERT INTO ledger_recurringrule (id, user_id, account_id, amount_minor, type, category, category_key, description, frequency, "interval", start_date, end_date, "count", next_index, next_date, paused, created_at, updated_at) VALUES
  ('0000000000000000000000000000d001', 'dddddddddddddddddddddddddddddddd', 'a00ddddddddddddddddddddddddddddd', 4200, 'expense', 'Rent', 'rent', '', 'monthly', 1, '2024-01-31', NULL, NULL, 0, '2024-01-31', 0, '2024-01-01 00:00:00', '2024-01-01 00:00:00');
`

const overflowSQL = `;
INSERT INTO ledger_balanceversion (user_id, version, volume_minor) VALUES ('eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee', 3, 999999999999999999);
INSERT INTO ledger_recurringrule (id, user_id, account_id, amount_minor, type, category, category_key, description, frequency, "interval", start_date, end_date, "count", next_index, next_date, paused, created_at, updated_at) VALUES
  ('0000000000000000000000000000e001', 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee', 'a00eeeeeeeeeeeeeeeeeeeeeeeeeeeee', 2, 'income', 'Pay', 'pay', '', 'daily', 1, '2024-01-01', NULL, NULL, 0, '2024-01-01', 0, '2024-01-01 00:00:00', '2024-01-01 00:00:00');
`

// The binary records the due occurrences up to --today (or LEDGER_TODAY)
// before its pass, and the pass rolls them up.
func TestBinary_RecordsDueOccurrencesBeforeThePass(t *testing.T) {
	dir := t.TempDir()
	path := makeDB(t, dir, "db.sqlite3", sqliteDDL(t)+ruleSQL)
	got := runBinary(t, dir, []string{"DATABASE_URL=sqlite:///db.sqlite3", "LEDGER_TODAY=2024-02-29"})
	if got.code != 0 || got.stderr != "" {
		t.Fatalf("exit %d, stderr %q", got.code, got.stderr)
	}
	report := parseReport(t, got.stdout)
	want := aggregator.RecurringReport{Today: "2024-02-29", RulesDue: 1, Recorded: 2, Failures: []aggregator.RuleFailure{}}
	if report.Recurring == nil || !equalReports(*report.Recurring, want) {
		t.Fatalf("recurring report %+v, want %+v", report.Recurring, want)
	}
	// The flag wins over the variable; months of the recording rolled up in the same pass.
	got = runBinary(t, dir, []string{"DATABASE_URL=sqlite:///db.sqlite3", "LEDGER_TODAY=2024-02-29"}, "--today", "2024-04-30")
	if report := parseReport(t, got.stdout); got.code != 0 || report.Recurring.Recorded != 2 || report.Recurring.Today != "2024-04-30" {
		t.Fatalf("exit %d, stderr %q, report %s", got.code, got.stderr, got.stdout)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var months, dirty int
	var total int64
	if err := db.QueryRow(`SELECT count(*), sum(total_minor) FROM ledger_monthlyrollup WHERE user_id = 'dddddddddddddddddddddddddddddddd'`).Scan(&months, &total); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM ledger_dirtybucket WHERE user_id = 'dddddddddddddddddddddddddddddddd'`).Scan(&dirty); err != nil {
		t.Fatal(err)
	}
	if months != 4 || total != 4*4200 || dirty != 0 {
		t.Fatalf("rollups %d months of %d in all, %d dirty left; want 4 months of %d, none dirty", months, total, dirty, 4*4200)
	}
}

func equalReports(a, b aggregator.RecurringReport) bool {
	return a.Today == b.Today && a.RulesDue == b.RulesDue && a.Recorded == b.Recorded && a.Passed == b.Passed &&
		a.RulesWaiting == b.RulesWaiting && a.RulesFailed == b.RulesFailed && len(a.Failures) == len(b.Failures)
}

// A rule whose recording would pass the user's volume bound is reported,
// left due, and the run exits 5 with everything else done.
func TestBinary_VolumeOverflowExitsFive(t *testing.T) {
	dir := t.TempDir()
	path := makeDB(t, dir, "db.sqlite3", sqliteDDL(t)+ruleSQL+overflowSQL)
	got := runBinary(t, dir, []string{"DATABASE_URL=sqlite:///db.sqlite3"}, "--today", "2024-01-31")
	if got.code != 5 {
		t.Fatalf("exit %d, stderr %q; want 5", got.code, got.stderr)
	}
	report := parseReport(t, got.stdout)
	if r := report.Recurring; r.RulesFailed != 1 || r.Recorded != 1 || r.Failures[0].RuleID != "0000000000000000000000000000e001" {
		t.Fatalf("recurring report %+v: want e's rule failed and d's recorded", r)
	}
	lines := strings.Split(strings.TrimSuffix(got.stderr, "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "aggregator: recurring rule id=0000000000000000000000000000e001 user_id="+strings.Repeat("e", 32)+" not recorded (left due): ") ||
		lines[1] != "aggregator: 1 recurring rule(s) could not be recorded and stay due (see the report); everything else is done" {
		t.Fatalf("stderr %q", got.stderr)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var next string
	var txns int
	if err := db.QueryRow(`SELECT next_date || '' FROM ledger_recurringrule WHERE id = '0000000000000000000000000000e001'`).Scan(&next); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM ledger_transaction WHERE user_id = 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee'`).Scan(&txns); err != nil {
		t.Fatal(err)
	}
	if next != "2024-01-01" || txns != 0 {
		t.Fatalf("rule next_date %s, %d transactions: want it left due, nothing written", next, txns)
	}
}

func TestBinary_TodayErrorsExitTwo(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		env, args  []string
		wantStderr string
	}{
		{[]string{"TIME_ZONE=Mars/Olympus_Mons"}, nil, `aggregator: TIME_ZONE "Mars/Olympus_Mons" is not a known time zone: unknown time zone Mars/Olympus_Mons`},
		{[]string{"LEDGER_TODAY=2024-02-30"}, nil, `aggregator: --today / LEDGER_TODAY: invalid date "2024-02-30": no such day`},
		{nil, []string{"--today", "tomorrow"}, `aggregator: --today / LEDGER_TODAY: invalid date "tomorrow": want YYYY-MM-DD`},
	} {
		got := runBinary(t, dir, append([]string{"DATABASE_URL=sqlite:///db.sqlite3", "LEDGER_TODAY=", "TIME_ZONE="}, tt.env...), tt.args...)
		if got.code != 2 || got.stderr != tt.wantStderr+"\n" {
			t.Errorf("%v %v: exit %d, stderr %q; want 2, %q", tt.env, tt.args, got.code, got.stderr, tt.wantStderr)
		}
	}
	// A known zone is fine (the database is missing: exit 3, past the flags).
	if got := runBinary(t, dir, []string{"DATABASE_URL=sqlite:///db.sqlite3", "LEDGER_TODAY=", "TIME_ZONE=Pacific/Kiritimati"}); got.code != 3 {
		t.Errorf("TIME_ZONE=Pacific/Kiritimati: exit %d, stderr %q", got.code, got.stderr)
	}
}

// `aggregator schedule` through the binary: answers, then exit 2 on a bad line.
func TestBinary_Schedule(t *testing.T) {
	cmdIn := `{"frequency":"yearly","interval":1,"start":"2024-02-29","end":null,"count":null,"take":2}` + "\n" + `{"frequency":"daily"}` + "\n"
	got := runBinaryInput(t, cmdIn, "schedule")
	if got.code != 2 || got.stdout != `{"dates":["2024-02-29","2025-02-28"]}`+"\n" || got.stderr != "aggregator: schedule: line 2: interval is missing\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", got.code, got.stdout, got.stderr)
	}
}
