package aggregator_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	aggregator "finance/go_aggregator"
)

// Python's datetime.isoformat() of an aware UTC datetime, as snapshot_of
// writes created_at and updated_at.
func TestSnapshotTime(t *testing.T) {
	for _, tt := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), "2024-01-02T03:04:05+00:00"},
		{time.Date(2024, 1, 2, 3, 4, 5, 120_000_999, time.UTC), "2024-01-02T03:04:05.120000+00:00"},
		{time.Date(2024, 1, 2, 3, 4, 5, 999, time.UTC), "2024-01-02T03:04:05+00:00"},
		{time.Date(2024, 1, 2, 0, 30, 0, 1000, time.FixedZone("x", 3600)), "2024-01-01T23:30:00.000001+00:00"},
	} {
		if got := aggregator.SnapshotTime(tt.t); got != tt.want {
			t.Errorf("%v: got %q, want %q", tt.t, got, tt.want)
		}
	}
}

func TestParseUUID(t *testing.T) {
	const canonical = "0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3"
	for _, s := range []string{canonical, "0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2d3", "0A1B2C3D4E5F4A6B8C7D8E9FA0B1C2D3"} {
		u, err := aggregator.ParseUUID(s)
		if err != nil || u.String() != canonical || u.Hex() != strings.ReplaceAll(canonical, "-", "") {
			t.Errorf("%q: got %s, %v", s, u, err)
		}
	}
	for _, s := range []string{"", "0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d", "0a1b2c3d4e5f4a6b8c7d8e9fa0b1c2dx", "0a1b2c3d-4e5f4a6b-8c7d-8e9fa0b1c2d3"} {
		if _, err := aggregator.ParseUUID(s); aggregator.ErrorCode(err) != aggregator.EINVALID {
			t.Errorf("%q: got %v, want EINVALID", s, err)
		}
	}
}

// The changes are numbered in order across chunks of ChangeRowsPerInsert
// rows, each chunk one statement whose parameters 1 and 2 are the user and
// the time.
func TestChangeStatements_ChunksAndNumbers(t *testing.T) {
	n := 2*aggregator.ChangeRowsPerInsert + 3
	changes := make([]aggregator.Change, n)
	for i := range changes {
		changes[i] = aggregator.Change{EntityType: aggregator.EntityTransaction, EntityID: aggregator.NewUUID(),
			Operation: aggregator.OperationCreated, Snapshot: []byte(fmt.Sprintf(`{"n":%d}`, i))}
	}
	tuple := func(p int) string { return fmt.Sprintf("(?1, ?%d, ?%d, ?%d, ?%d, ?2, ?%d)", p, p+1, p+2, p+3, p+4) }
	statements := aggregator.ChangeStatements("user", "at", 41, changes, tuple, aggregator.UUID.Hex)
	if len(statements) != 3 {
		t.Fatalf("%d statements, want 3", len(statements))
	}
	next := int64(41)
	for s, statement := range statements {
		rows := (len(statement.Args) - 2) / 5
		if want := min(aggregator.ChangeRowsPerInsert, n-s*aggregator.ChangeRowsPerInsert); rows != want || len(statement.Args) != 2+5*rows {
			t.Fatalf("statement %d: %d args for %d rows", s, len(statement.Args), want)
		}
		if statement.Args[0] != "user" || statement.Args[1] != "at" {
			t.Errorf("statement %d: shared args %v", s, statement.Args[:2])
		}
		if last := fmt.Sprintf("?%d)", 2+5*rows); !strings.HasSuffix(statement.SQL, last) {
			t.Errorf("statement %d ends %q, want ...%s", s, statement.SQL[len(statement.SQL)-20:], last)
		}
		for r := range rows {
			row := statement.Args[2+5*r : 7+5*r]
			i := s*aggregator.ChangeRowsPerInsert + r
			want := []any{next, "TRANSACTION", changes[i].EntityID.Hex(), "CREATED", fmt.Sprintf(`{"n":%d}`, i)}
			if fmt.Sprint(row) != fmt.Sprint(want) {
				t.Fatalf("statement %d row %d: %v, want %v", s, r, row, want)
			}
			next++
		}
	}
	if next != 41+int64(n) {
		t.Errorf("numbered up to %d, want %d", next-1, 40+n)
	}
}
