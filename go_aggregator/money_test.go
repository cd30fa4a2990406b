package aggregator_test

import (
	"math"
	"testing"
	"time"

	aggregator "finance/go_aggregator"
)

func TestAddMinor(t *testing.T) {
	tests := []struct {
		a, b     int64
		want     int64
		overflow bool
	}{
		{0, 0, 0, false},
		{150, 250, 400, false},
		{math.MaxInt64 - 5, 5, math.MaxInt64, false},
		{math.MaxInt64, 1, 0, true},
		{math.MaxInt64, math.MaxInt64, 0, true},
		{math.MinInt64 + 1, -1, math.MinInt64, false},
		{math.MinInt64, -1, 0, true},
		{-100, 40, -60, false},
	}
	for _, tt := range tests {
		got, err := aggregator.AddMinor(tt.a, tt.b)
		if tt.overflow {
			if aggregator.ErrorCode(err) != aggregator.EOVERFLOW {
				t.Errorf("AddMinor(%d, %d): err = %v, want overflow", tt.a, tt.b, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("AddMinor(%d, %d) = %d, %v; want %d", tt.a, tt.b, got, err, tt.want)
		}
	}
}

func TestMonthOfDate(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"2024-03-05", "2024-03", false},
		{"2024-12-31", "2024-12", false},
		{"0001-01-01", "0001-01", false},
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
		if d.Year() < 0 || d.Year() > 9999 {
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
	if got, want := m.Next().FirstDay(), "2025-01-01"; got != want {
		t.Fatalf("Next.FirstDay = %s, want %s", got, want)
	}
	for _, bad := range []string{"2024-1", "2024-13", "2024-12-01", "x"} {
		if _, err := aggregator.ParseMonth(bad); err == nil {
			t.Errorf("ParseMonth(%q): want error", bad)
		}
	}
}
