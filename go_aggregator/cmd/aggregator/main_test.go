package main_test

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	aggregator "finance/go_aggregator"
	"finance/go_aggregator/internal/testschema"
)

// seedSQL is two users' transactions and dirty buckets, on top of Django's
// tables (testschema).
const seedSQL = `
INSERT INTO ledger_transaction (id, account_id, amount_minor, type, description, category, date, idempotency_key, created_at, updated_at, user_id, category_key) VALUES
  ('00000000000000000000000000000001', 'a00aaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 1250, 'expense', '', 'food', '2024-01-10', NULL, '2024-01-10 00:00:00', '2024-01-10 00:00:00', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'food'),
  ('00000000000000000000000000000002', 'a00aaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 750, 'expense', '', 'food', '2024-01-11', NULL, '2024-01-10 00:00:00', '2024-01-10 00:00:00', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'food'),
  ('00000000000000000000000000000003', 'a00bbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 9000, 'income', '', 'salary', '2024-02-01', NULL, '2024-01-10 00:00:00', '2024-01-10 00:00:00', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 'salary');
INSERT INTO ledger_transfer (id, user_id, from_account_id, to_account_id, amount_minor, to_amount_minor, date, description, idempotency_key, created_at, updated_at) VALUES
  ('00000000000000000000000000000004', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'a00aaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'a01aaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 500, 460, '2024-01-12', '', NULL, '2024-01-10 00:00:00', '2024-01-10 00:00:00');
INSERT INTO ledger_dirtybucket (user_id, month, generation, marked_at) VALUES
  ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '2024-01', 2, '2024-01-10 00:00:00'),
  ('bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', '2024-02', 1, '2024-01-10 00:00:00');
`

// sqliteDDL is Django's SQLite schema with the seed rows.
func sqliteDDL(t *testing.T) string { return testschema.SQLite(t) + "\n" + seedSQL }

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "aggregator-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "aggregator")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if out, err := exec.Command(gobin, "build", "-o", binary, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// makeDB writes a migrated SQLite file named name in dir; empty ddl gives a
// file with no tables at all.
func makeDB(t *testing.T, dir, name, ddl string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(ddl + "; CREATE TABLE IF NOT EXISTS unrelated (x int);"); err != nil {
		t.Fatal(err)
	}
	return path
}

type result struct {
	code           int
	stdout, stderr string
}

func runBinary(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	return runCommand(t, dir, env, "", args...)
}

// runBinaryInput runs the binary with input on its stdin.
func runBinaryInput(t *testing.T, input string, args ...string) result {
	t.Helper()
	return runCommand(t, t.TempDir(), nil, input, args...)
}

func runCommand(t *testing.T, dir string, env []string, input string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DATABASE_URL=")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(input)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func TestBinary_ErrorsAndExitCodes(t *testing.T) {
	dir := t.TempDir()
	makeDB(t, dir, "empty.db", "")
	// Every column the schema check wants, but a view where the rollups go: an
	// unexpected database error mid-run.
	makeDB(t, dir, "view.db", strings.Replace(sqliteDDL(t), `CREATE TABLE "ledger_monthlyrollup"`, `CREATE TABLE "monthlyrollup_data"`, 1)+
		`; CREATE VIEW ledger_monthlyrollup AS SELECT * FROM monthlyrollup_data`)
	tests := []struct {
		name       string
		env        []string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"unknown flag", nil, []string{"--bogus"}, 2, "aggregator: flag provided but not defined: -bogus (see --help)"},
		{"bad workers", nil, []string{"--workers", "0", "--database-url", "sqlite:///x.db"}, 2, "aggregator: --workers must be at least 1, got 0"},
		{"once and watch", nil, []string{"--once", "--watch", "1s", "--database-url", "sqlite:///x.db"}, 2, "aggregator: --once and --watch are mutually exclusive"},
		{"verify without full", nil, []string{"--verify", "--database-url", "sqlite:///x.db"}, 2, "aggregator: --verify needs --full"},
		{"no database", nil, nil, 2, "aggregator: no database: set DATABASE_URL or pass --database-url"},
		{"unsupported scheme", []string{"DATABASE_URL=mysql://u@h/db"}, nil, 2, `aggregator: unsupported database URL scheme "mysql": want sqlite or postgres`},
		{"bad postgres URL", nil, []string{"--database-url", "postgres://u@h:notaport/db"}, 2, ""},
		{"missing sqlite file", nil, []string{"--database-url", "sqlite:///missing.db"}, 3, "aggregator: sqlite database missing.db does not exist"},
		{"unreachable postgres", nil, []string{"--database-url", "postgres://nobody@127.0.0.1:1/none?connect_timeout=2"}, 3, "aggregator: cannot connect to postgres at 127.0.0.1:1: dial tcp 127.0.0.1:1: connect: connection refused"},
		{"unmigrated database", []string{"DATABASE_URL=sqlite:///empty.db"}, nil, 4, `aggregator: database schema is missing ledger_transaction: run "python manage.py migrate" first`},
		{"rollup table refuses writes", []string{"DATABASE_URL=sqlite:///view.db"}, nil, 1, "aggregator: delete bucket rollups: SQL logic error: cannot modify ledger_monthlyrollup because it is a view (1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runBinary(t, dir, tt.env, tt.args...)
			if tt.wantStderr == "" && strings.HasPrefix(got.stderr, "aggregator: ") && strings.Count(got.stderr, "\n") == 1 {
				tt.wantStderr = strings.TrimSuffix(got.stderr, "\n") // any one line
			}
			if got.code != tt.wantCode || got.stderr != tt.wantStderr+"\n" || got.stdout != "" {
				t.Fatalf("exit %d, stderr %q, stdout %q; want exit %d, stderr %q", got.code, got.stderr, got.stdout, tt.wantCode, tt.wantStderr)
			}
		})
	}
}

func TestBinary_IncrementalThenFull(t *testing.T) {
	dir := t.TempDir()
	makeDB(t, dir, "db.sqlite3", sqliteDDL(t))

	got := runBinary(t, dir, []string{"DATABASE_URL=sqlite:///db.sqlite3"}, "--workers", "3")
	if got.code != 0 || got.stderr != "" {
		t.Fatalf("exit %d, stderr %q", got.code, got.stderr)
	}
	report := parseReport(t, got.stdout)
	want := aggregator.RunReport{Mode: "incremental", RowsRead: 4, BucketsUpdated: 2, RollupsWritten: 4, Workers: 3}
	if report.Mode != want.Mode || report.RowsRead != want.RowsRead || report.BucketsUpdated != want.BucketsUpdated || report.RollupsWritten != want.RollupsWritten || report.Workers != want.Workers {
		t.Fatalf("report = %+v, want %+v", report, want)
	}

	// An absolute sqlite://// URL, --full.
	got = runBinary(t, "/", nil, "--full", "--once", "--database-url", "sqlite:///"+filepath.Join(dir, "db.sqlite3"))
	if got.code != 0 {
		t.Fatalf("exit %d, stderr %q", got.code, got.stderr)
	}
	report = parseReport(t, got.stdout)
	if report.Mode != "full" || report.RowsRead != 4 || report.BucketsUpdated != 2 || report.RollupsWritten != 4 {
		t.Fatalf("report = %+v", report)
	}
	var keys map[string]any
	json.Unmarshal([]byte(got.stdout), &keys)
	for _, k := range []string{"mode", "rows_read", "buckets_updated", "rollups_written", "elapsed_ms", "rows_per_sec", "workers"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("JSON line lacks %q: %s", k, got.stdout)
		}
	}
}

func TestBinary_WatchExitsZeroOnSignal(t *testing.T) {
	dir := t.TempDir()
	makeDB(t, dir, "db.sqlite3", sqliteDDL(t))
	cmd := exec.Command(binary, "--watch", "50ms", "--database-url", "sqlite:///db.sqlite3")
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() { // the first cycle has dirty buckets to process and reports them
		t.Fatalf("first report: %v", sc.Err())
	}
	if report := parseReport(t, sc.Text()); report.BucketsUpdated == 0 {
		t.Fatalf("first cycle updated no buckets: %+v", report)
	}
	// That idle cycles print nothing is TestWatch_IdleCyclesPrintNothing's
	// (driven tick by tick); here only the signal matters.
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("did not exit after SIGTERM")
	}
}

// A bucket whose total passes int64 (rows written outside the API): the run
// does everything else, reports the bucket, leaves it dirty and exits 5; once
// the poison is gone the next run computes it and exits 0.
func TestBinary_PartialFailureExitsFive(t *testing.T) {
	dir := t.TempDir()
	path := makeDB(t, dir, "db.sqlite3", sqliteDDL(t)+`;
INSERT INTO ledger_transaction (id, account_id, amount_minor, type, description, category, date, idempotency_key, created_at, updated_at, user_id, category_key) VALUES
  ('00000000000000000000000000000011', 'a00ccccccccccccccccccccccccccccc', 5000000000000000000, 'income', '', 'poison', '2024-03-06', NULL, '2024-01-10 00:00:00', '2024-01-10 00:00:00', 'cccccccccccccccccccccccccccccccc', 'poison'),
  ('00000000000000000000000000000012', 'a00ccccccccccccccccccccccccccccc', 5000000000000000000, 'income', '', 'poison', '2024-03-07', NULL, '2024-01-10 00:00:00', '2024-01-10 00:00:00', 'cccccccccccccccccccccccccccccccc', 'poison'),
  ('00000000000000000000000000000013', 'a00ccccccccccccccccccccccccccccc', 40, 'expense', '', 'food', '9999-12-31', NULL, '2024-01-10 00:00:00', '2024-01-10 00:00:00', 'cccccccccccccccccccccccccccccccc', 'food');
INSERT INTO ledger_dirtybucket (user_id, month, generation, marked_at) VALUES
  ('cccccccccccccccccccccccccccccccc', '2024-03', 1, '2024-01-10 00:00:00'),
  ('cccccccccccccccccccccccccccccccc', '9999-12', 1, '2024-01-10 00:00:00');`)

	got := runBinary(t, dir, []string{"DATABASE_URL=sqlite:///db.sqlite3"})
	if got.code != 5 {
		t.Fatalf("exit %d, stderr %q; want 5", got.code, got.stderr)
	}
	report := parseReport(t, got.stdout)
	want := []aggregator.Failure{{UserID: strings.Repeat("c", 32), Month: "2024-03", Error: "int64 overflow adding 5000000000000000000 to 5000000000000000000 minor units"}}
	if report.BucketsFailed != 1 || !reflect.DeepEqual(report.Failures, want) || report.BucketsUpdated != 3 {
		t.Fatalf("report = %+v, want 3 buckets done and failures %+v", report, want)
	}
	wantStderr := "aggregator: bucket user_id=" + strings.Repeat("c", 32) + " month=2024-03 failed (left dirty): int64 overflow adding 5000000000000000000 to 5000000000000000000 minor units\n" +
		"aggregator: 1 bucket(s) could not be computed and stay dirty (see the report); everything else is done\n"
	if got.stderr != wantStderr {
		t.Fatalf("stderr = %q, want %q", got.stderr, wantStderr)
	}

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var dirty int
	if err := db.QueryRow(`SELECT count(*) FROM ledger_dirtybucket WHERE month = '2024-03'`).Scan(&dirty); err != nil || dirty != 1 {
		t.Fatalf("dirty rows of the poison bucket = %d (%v), want 1", dirty, err)
	}
	if _, err := db.Exec(`DELETE FROM ledger_transaction WHERE category = 'poison'; UPDATE ledger_dirtybucket SET generation = generation + 1`); err != nil {
		t.Fatal(err)
	}
	got = runBinary(t, dir, []string{"DATABASE_URL=sqlite:///db.sqlite3"})
	if report := parseReport(t, got.stdout); got.code != 0 || got.stderr != "" || report.BucketsFailed != 0 || len(report.Failures) != 0 {
		t.Fatalf("after the poison went: exit %d, stderr %q, report %+v", got.code, got.stderr, report)
	}
	if !strings.Contains(got.stdout, `"buckets_failed":0,"failures":[]`) {
		t.Fatalf("report %s: want buckets_failed 0 and an empty failures list", got.stdout)
	}
}

func parseReport(t *testing.T, line string) aggregator.RunReport {
	t.Helper()
	line = strings.TrimSpace(line)
	if strings.Count(line, "\n") != 0 {
		t.Fatalf("want one JSON line, got %q", line)
	}
	var r aggregator.RunReport
	dec := json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("decode %q: %v", line, err)
	}
	return r
}
