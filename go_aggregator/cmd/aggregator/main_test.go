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
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	aggregator "finance/go_aggregator"
)

// sqliteDDL is Django's schema for the aggregator's tables (SQLite flavour).
const sqliteDDL = `
CREATE TABLE "ledger_transaction" ("id" char(32) NOT NULL PRIMARY KEY, "amount_minor" bigint NOT NULL, "type" varchar(7) NOT NULL, "description" varchar(255) NOT NULL, "category" varchar(50) NOT NULL, "date" date NOT NULL, "idempotency_key" varchar(255) NULL, "created_at" datetime NOT NULL, "updated_at" datetime NOT NULL, "user_id" char(32) NOT NULL, CHECK ("amount_minor" > 0), CHECK ("type" IN ('income', 'expense')));
CREATE TABLE "ledger_dirtybucket" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "month" varchar(7) NOT NULL, "generation" bigint NOT NULL, "marked_at" datetime NOT NULL, "user_id" char(32) NOT NULL, UNIQUE ("user_id", "month"));
CREATE TABLE "ledger_monthlyrollup" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "month" varchar(7) NOT NULL, "category" varchar(50) NOT NULL, "type" varchar(7) NOT NULL, "total_minor" bigint NOT NULL, "transaction_count" integer NOT NULL, "user_id" char(32) NOT NULL, UNIQUE ("user_id", "month", "category", "type"));
CREATE TABLE "ledger_rollupfingerprint" ("user_id" char(32) NOT NULL PRIMARY KEY REFERENCES "accounts_user" ("id"), "digest" bigint NULL, "rollup_count" bigint NULL);
INSERT INTO ledger_transaction VALUES
  ('00000000000000000000000000000001', 1250, 'expense', '', 'food', '2024-01-10', NULL, '2024-01-10 00:00:00', '2024-01-10 00:00:00', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'),
  ('00000000000000000000000000000002', 750, 'expense', '', 'food', '2024-01-11', NULL, '2024-01-10 00:00:00', '2024-01-10 00:00:00', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'),
  ('00000000000000000000000000000003', 9000, 'income', '', 'salary', '2024-02-01', NULL, '2024-01-10 00:00:00', '2024-01-10 00:00:00', 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb');
INSERT INTO ledger_dirtybucket (user_id, month, generation, marked_at) VALUES
  ('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '2024-01', 2, '2024-01-10 00:00:00'),
  ('bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', '2024-02', 1, '2024-01-10 00:00:00');
`

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
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DATABASE_URL=")
	cmd.Env = append(cmd.Env, env...)
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
		{"missing sqlite file", nil, []string{"--database-url", "sqlite:///missing.db"}, 1, "aggregator: sqlite database missing.db does not exist"},
		{"unmigrated database", []string{"DATABASE_URL=sqlite:///empty.db"}, nil, 1, `aggregator: database schema is missing ledger_transaction: run "python manage.py migrate" first`},
		{"unreachable postgres", nil, []string{"--database-url", "postgres://nobody@127.0.0.1:1/none?connect_timeout=2"}, 1, "aggregator: cannot connect to postgres at 127.0.0.1:1: dial tcp 127.0.0.1:1: connect: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runBinary(t, dir, tt.env, tt.args...)
			if got.code != tt.wantCode || got.stderr != tt.wantStderr+"\n" || got.stdout != "" {
				t.Fatalf("exit %d, stderr %q, stdout %q; want exit %d, stderr %q", got.code, got.stderr, got.stdout, tt.wantCode, tt.wantStderr)
			}
		})
	}
}

func TestBinary_IncrementalThenFull(t *testing.T) {
	dir := t.TempDir()
	makeDB(t, dir, "db.sqlite3", sqliteDDL)

	got := runBinary(t, dir, []string{"DATABASE_URL=sqlite:///db.sqlite3"}, "--workers", "3")
	if got.code != 0 || got.stderr != "" {
		t.Fatalf("exit %d, stderr %q", got.code, got.stderr)
	}
	report := parseReport(t, got.stdout)
	want := aggregator.RunReport{Mode: "incremental", RowsRead: 3, BucketsUpdated: 2, RollupsWritten: 2, Workers: 3}
	if report.Mode != want.Mode || report.RowsRead != want.RowsRead || report.BucketsUpdated != want.BucketsUpdated || report.RollupsWritten != want.RollupsWritten || report.Workers != want.Workers {
		t.Fatalf("report = %+v, want %+v", report, want)
	}

	// An absolute sqlite://// URL, --full.
	got = runBinary(t, "/", nil, "--full", "--once", "--database-url", "sqlite:///"+filepath.Join(dir, "db.sqlite3"))
	if got.code != 0 {
		t.Fatalf("exit %d, stderr %q", got.code, got.stderr)
	}
	report = parseReport(t, got.stdout)
	if report.Mode != "full" || report.RowsRead != 3 || report.BucketsUpdated != 2 || report.RollupsWritten != 2 {
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
	makeDB(t, dir, "db.sqlite3", sqliteDDL)
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
	time.Sleep(300 * time.Millisecond) // idle cycles follow, and print nothing
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
