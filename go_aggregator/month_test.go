package aggregator_test

import (
	"math"
	"testing"
	"time"

	aggregator "finance/go_aggregator"
)

func TestMonthOfDate(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"2024-03-05", "2024-03", false},
		{"2024-12-31", "2024-12", false},
		{"0001-01-01", "0001-01", false},
		{"9999-12-31", "9999-12", false},
		{"0000-12-31", "", true},
		{"10000-01-01", "", true},
		{"-001-01-01", "", true},
		{"2024-01-01 10:11:12", "2024-01", false},
		{"2024-13-01", "", true},
		{"2024-00-01", "", true},
		{"2024/03/05", "", true},
		{"24-03-05", "", true},
		{"abcd-03-05", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		m, err := aggregator.MonthOfDate(tt.in)
		mb, errb := aggregator.MonthOfDate([]byte(tt.in))
		if tt.wantErr {
			if err == nil || errb == nil {
				t.Errorf("MonthOfDate(%q) = %v, want error", tt.in, m)
			}
			continue
		}
		if err != nil || errb != nil || m.String() != tt.want || mb != m {
			t.Errorf("MonthOfDate(%q) = %v/%v (%v), want %s", tt.in, m, mb, err, tt.want)
		}
	}
}

func TestMonthOf_Time(t *testing.T) {
	tests := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC), "2024-02"},
		{time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC), "1999-12"},
		{time.Date(2025, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 5*3600)), "2025-01"},
	}
	for _, tt := range tests {
		if got := aggregator.MonthOf(tt.t).String(); got != tt.want {
			t.Errorf("MonthOf(%v) = %s, want %s", tt.t, got, tt.want)
		}
	}
}

func TestMonthOfPGDate_AgreesWithTime(t *testing.T) {
	epoch := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for days := int32(-800_000); days <= 2_900_000; days += 37 {
		d := epoch.AddDate(0, 0, int(days))
		got, err := aggregator.MonthOfPGDate(days)
		if d.Year() < 1 || d.Year() > 9999 {
			if err == nil {
				t.Fatalf("days %d (%v): want out-of-range error", days, d)
			}
			continue
		}
		if err != nil || got != aggregator.MonthOf(d) {
			t.Fatalf("MonthOfPGDate(%d) = %v, %v; want %v (%v)", days, got, err, aggregator.MonthOf(d), d)
		}
	}
	if _, err := aggregator.MonthOfPGDate(math.MaxInt32); err == nil {
		t.Fatal("infinity: want error")
	}
}

func TestParseMonth(t *testing.T) {
	m, err := aggregator.ParseMonth("2024-12")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.FirstDay(), "2024-12-01"; got != want {
		t.Fatalf("FirstDay = %s, want %s", got, want)
	}
	if got, want := m.LastDay(), "2024-12-31"; got != want {
		t.Fatalf("LastDay = %s, want %s", got, want)
	}
	for _, bad := range []string{"2024-1", "2024-13", "2024-12-01", "x", "0000-01", "0000-12"} {
		if _, err := aggregator.ParseMonth(bad); err == nil {
			t.Errorf("ParseMonth(%q): want error", bad)
		}
	}
}

func TestMonth_Edges(t *testing.T) {
	tests := []struct {
		m                aggregator.Month
		str, first, last string
		valid            bool
	}{
		{aggregator.MaxMonth, "9999-12", "9999-12-01", "9999-12-31", true},
		{aggregator.MinMonth, "0001-01", "0001-01-01", "0001-01-31", true},
		{aggregator.MonthOfYM(2024, 2), "2024-02", "2024-02-01", "2024-02-29", true},
		{aggregator.MonthOfYM(2000, 2), "2000-02", "2000-02-01", "2000-02-29", true},
		{aggregator.MonthOfYM(1900, 2), "1900-02", "1900-02-01", "1900-02-28", true},
		{aggregator.MonthOfYM(2023, 4), "2023-04", "2023-04-01", "2023-04-30", true},
		// Out of range: written out in full, never wrapped to another month.
		{aggregator.MaxMonth + 1, "10000-01", "10000-01-01", "10000-01-31", false},
		{aggregator.MinMonth - 1, "0000-12", "0000-12-01", "0000-12-31", false},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.str {
			t.Errorf("String = %q, want %q", got, tt.str)
		}
		if got := tt.m.FirstDay(); got != tt.first {
			t.Errorf("%s: FirstDay = %q, want %q", tt.str, got, tt.first)
		}
		if got := tt.m.LastDay(); got != tt.last {
			t.Errorf("%s: LastDay = %q, want %q", tt.str, got, tt.last)
		}
		if got := tt.m.Valid(); got != tt.valid {
			t.Errorf("%s: Valid = %v, want %v", tt.str, got, tt.valid)
		}
		if tt.valid {
			if back, err := aggregator.ParseMonth(tt.str); err != nil || back != tt.m {
				t.Errorf("ParseMonth(%q) = %v, %v; want %v", tt.str, back, err, tt.m)
			}
		}
	}
	// Every valid month's LastDay is the day before the next month's first.
	for m := aggregator.MinMonth; m <= aggregator.MaxMonth; m += 97 {
		last, err := time.Parse(time.DateOnly, m.LastDay())
		if err != nil {
			t.Fatal(err)
		}
		if next := last.AddDate(0, 0, 1); next.Day() != 1 || aggregator.MonthOf(last) != m {
			t.Fatalf("%s: LastDay %s is not the month's last day", m, m.LastDay())
		}
	}
}
