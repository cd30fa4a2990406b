package aggregator_test

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"

	aggregator "finance/go_aggregator"
	"finance/go_aggregator/internal/recurringtest"
)

// scheduleCase is one rule of testdata/schedules.json (shared with
// tests/ledger/test_schedules.py) or of the table below.
type scheduleCase struct {
	Name       string  `json:"name"`
	Frequency  string  `json:"frequency"`
	Interval   int64   `json:"interval"`
	Start      string  `json:"start"`
	End        *string `json:"end"`
	Count      *int64  `json:"count"`
	Take       int     `json:"take"`
	Dates      []string
	OnOrAfter  string `json:"on_or_after"`
	FirstIndex int64  `json:"index"`
}

func (c scheduleCase) schedule(t *testing.T) aggregator.Schedule {
	t.Helper()
	s := aggregator.Schedule{Frequency: aggregator.Frequency(c.Frequency), Interval: c.Interval, Start: mustDate(t, c.Start), Count: c.Count}
	if c.End != nil {
		end := mustDate(t, *c.End)
		s.End = &end
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("%s: %v", c.Name, err)
	}
	return s
}

var mustDate = recurringtest.MustDate

// takeDates returns the first take occurrences, fewer when the schedule ends.
func takeDates(s aggregator.Schedule, take int) []string {
	got := []string{}
	for i := range int64(take) {
		d, ok := s.DateAt(i)
		if !ok {
			break
		}
		got = append(got, d.String())
	}
	return got
}

func TestSchedule_SharedTable(t *testing.T) {
	raw, err := os.ReadFile("testdata/schedules.json")
	if err != nil {
		t.Fatal(err)
	}
	var table struct {
		Dates      []scheduleCase `json:"dates"`
		FirstIndex []scheduleCase `json:"first_index_on_or_after"`
	}
	if err := json.Unmarshal(raw, &table); err != nil {
		t.Fatal(err)
	}
	if len(table.Dates) == 0 || len(table.FirstIndex) == 0 {
		t.Fatal("testdata/schedules.json has no cases")
	}
	for _, c := range table.Dates {
		if got := takeDates(c.schedule(t), c.Take); !reflect.DeepEqual(got, c.Dates) {
			t.Errorf("%s: got %v, want %v", c.Name, got, c.Dates)
		}
	}
	for _, c := range table.FirstIndex {
		if got := c.schedule(t).FirstIndexOnOrAfter(mustDate(t, c.OnOrAfter)); got != c.FirstIndex {
			t.Errorf("%s: got %d, want %d", c.Name, got, c.FirstIndex)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// Cases of our own beside the shared table: month ends, leap days, intervals,
// count and end date, year 9999.
func TestSchedule_DateAt(t *testing.T) {
	for _, c := range []scheduleCase{
		{Name: "monthly on the 30th through a common February", Frequency: "monthly", Interval: 1, Start: "2023-01-30", Take: 4,
			Dates: []string{"2023-01-30", "2023-02-28", "2023-03-30", "2023-04-30"}},
		{Name: "monthly on the 31st every 3 months", Frequency: "monthly", Interval: 3, Start: "2024-01-31", Take: 5,
			Dates: []string{"2024-01-31", "2024-04-30", "2024-07-31", "2024-10-31", "2025-01-31"}},
		{Name: "monthly on the 29th of a leap February", Frequency: "monthly", Interval: 12, Start: "2024-02-29", Take: 3,
			Dates: []string{"2024-02-29", "2025-02-28", "2026-02-28"}},
		{Name: "yearly on 29 February across the 2100 non-leap century", Frequency: "yearly", Interval: 4, Start: "2096-02-29", Take: 3,
			Dates: []string{"2096-02-29", "2100-02-28", "2104-02-29"}},
		{Name: "yearly on 29 February across 2000 (leap)", Frequency: "yearly", Interval: 4, Start: "1996-02-29", Take: 2,
			Dates: []string{"1996-02-29", "2000-02-29"}},
		{Name: "weekly across a leap day", Frequency: "weekly", Interval: 1, Start: "2024-02-22", Take: 2,
			Dates: []string{"2024-02-22", "2024-02-29"}},
		{Name: "daily every 10 days with a count", Frequency: "daily", Interval: 10, Start: "2024-12-25", Count: ptr[int64](3), Take: 9,
			Dates: []string{"2024-12-25", "2025-01-04", "2025-01-14"}},
		{Name: "end date on the start", Frequency: "weekly", Interval: 1, Start: "2024-05-01", End: ptr("2024-05-01"), Take: 9,
			Dates: []string{"2024-05-01"}},
		{Name: "end date on a clamped date is inclusive", Frequency: "monthly", Interval: 1, Start: "2024-01-31", End: ptr("2024-02-29"), Take: 9,
			Dates: []string{"2024-01-31", "2024-02-29"}},
		{Name: "take 0", Frequency: "daily", Interval: 1, Start: "2024-01-01", Take: 0, Dates: []string{}},
		{Name: "count past year 9999", Frequency: "yearly", Interval: 1, Start: "9999-12-31", Count: ptr[int64](5), Take: 9,
			Dates: []string{"9999-12-31"}},
		{Name: "weekly near year 9999", Frequency: "weekly", Interval: 1, Start: "9999-12-20", Take: 9,
			Dates: []string{"9999-12-20", "9999-12-27"}},
		{Name: "yearly with the largest interval", Frequency: "yearly", Interval: aggregator.MaxInterval, Start: "0001-01-01", Take: 9,
			Dates: []string{"0001-01-01"}},
		{Name: "daily from the first representable day", Frequency: "daily", Interval: 365, Start: "0001-01-01", Take: 3,
			Dates: []string{"0001-01-01", "0002-01-01", "0003-01-01"}},
	} {
		if got := takeDates(c.schedule(t), c.Take); !reflect.DeepEqual(got, c.Dates) {
			t.Errorf("%s: got %v, want %v", c.Name, got, c.Dates)
		}
	}
}

func TestSchedule_DateAtOutOfRangeIndexes(t *testing.T) {
	s := aggregator.Schedule{Frequency: aggregator.Daily, Interval: aggregator.MaxInterval, Start: mustDate(t, "2024-01-01")}
	for _, index := range []int64{-1, 1, 1 << 40, 1<<63 - 1} {
		if d, ok := s.DateAt(index); ok {
			t.Errorf("DateAt(%d) = %s, want the end", index, d)
		}
	}
}

func TestSchedule_FirstIndexOnOrAfter(t *testing.T) {
	for _, c := range []scheduleCase{
		{Name: "on the start", Frequency: "daily", Interval: 1, Start: "2024-01-01", OnOrAfter: "2024-01-01", FirstIndex: 0},
		{Name: "day after the start", Frequency: "monthly", Interval: 1, Start: "2024-01-31", OnOrAfter: "2024-02-01", FirstIndex: 1},
		{Name: "on a clamped date", Frequency: "monthly", Interval: 1, Start: "2024-01-31", OnOrAfter: "2024-02-29", FirstIndex: 1},
		{Name: "day after a clamped date", Frequency: "monthly", Interval: 1, Start: "2024-01-31", OnOrAfter: "2024-03-01", FirstIndex: 2},
		{Name: "interval larger than the gap", Frequency: "monthly", Interval: 5, Start: "2024-01-31", OnOrAfter: "2024-03-01", FirstIndex: 1},
		{Name: "yearly leap day on 28 February of a common year", Frequency: "yearly", Interval: 1, Start: "2024-02-29", OnOrAfter: "2025-02-28", FirstIndex: 1},
		{Name: "past the count still counts on", Frequency: "weekly", Interval: 1, Start: "2024-01-01", Count: ptr[int64](2), OnOrAfter: "2024-03-01", FirstIndex: 9},
		{Name: "after the last day of 9999", Frequency: "daily", Interval: 7, Start: "9999-12-25", OnOrAfter: "9999-12-31", FirstIndex: 1},
	} {
		if got := c.schedule(t).FirstIndexOnOrAfter(mustDate(t, c.OnOrAfter)); got != c.FirstIndex {
			t.Errorf("%s: got %d, want %d", c.Name, got, c.FirstIndex)
		}
	}
}

// On random rules, FirstIndexOnOrAfter is the first index whose (unbounded)
// date is not before the day, and dates strictly increase.
func TestSchedule_FirstIndexMatchesALinearScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	frequencies := []aggregator.Frequency{aggregator.Daily, aggregator.Weekly, aggregator.Monthly, aggregator.Yearly}
	for range 2000 {
		start, _ := aggregator.NewDate(1990+rng.IntN(40), 1+rng.IntN(12), 1+rng.IntN(28)+rng.IntN(4))
		if start.IsZero() {
			continue
		}
		s := aggregator.Schedule{Frequency: frequencies[rng.IntN(4)], Interval: 1 + rng.Int64N(14), Start: start}
		day, _ := start.AddDays(rng.Int64N(3000) - 100)
		want := int64(0)
		prev := aggregator.Date{}
		for {
			d, ok := s.DateAt(want)
			if !ok {
				t.Fatalf("%+v: no date at %d", s, want)
			}
			if !prev.IsZero() && !d.After(prev) {
				t.Fatalf("%+v: occurrence %d on %s is not after %s", s, want, d, prev)
			}
			if !d.Before(day) {
				break
			}
			prev = d
			want++
		}
		if got := s.FirstIndexOnOrAfter(day); got != want {
			t.Fatalf("%+v on or after %s: got %d, want %d", s, day, got, want)
		}
	}
}

func TestSchedule_Validate(t *testing.T) {
	start := mustDate(t, "2024-01-01")
	for _, s := range []aggregator.Schedule{
		{Frequency: "hourly", Interval: 1, Start: start},
		{Frequency: aggregator.Daily, Interval: 0, Start: start},
		{Frequency: aggregator.Daily, Interval: aggregator.MaxInterval + 1, Start: start},
		{Frequency: aggregator.Daily, Interval: 1, Start: start, Count: ptr[int64](0)},
		{Frequency: aggregator.Daily, Interval: 1},
	} {
		if err := s.Validate(); aggregator.ErrorCode(err) != aggregator.EINVALID {
			t.Errorf("%+v: got %v, want an invalid error", s, err)
		}
	}
}

func TestDate_ParseAndString(t *testing.T) {
	for _, s := range []string{"0001-01-01", "1970-01-01", "2000-02-29", "2024-12-31", "9999-12-31"} {
		if got := mustDate(t, s).String(); got != s {
			t.Errorf("got %s, want %s", got, s)
		}
	}
	if got := mustDate(t, "0001-01-01"); got != aggregator.MinDate {
		t.Errorf("0001-01-01 = %v, want MinDate", got)
	}
	if got := mustDate(t, "9999-12-31"); got != aggregator.MaxDate {
		t.Errorf("9999-12-31 = %v, want MaxDate", got)
	}
	for _, s := range []string{"", "2024-1-01", "2023-02-29", "2100-02-29", "0000-01-01", "2024-13-01", "2024-00-10", "2024-01-32", "20240101", "2024-01-01T00", "+024-01-01"} {
		if _, err := aggregator.ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q) succeeded", s)
		}
	}
	// Every day of a few centuries round-trips through its ordinal.
	d := mustDate(t, "1899-12-25")
	for range 200 * 366 {
		y, m, day := d.Civil()
		again, err := aggregator.NewDate(y, m, day)
		if err != nil || again != d {
			t.Fatalf("%s: round trip gave %s, %v", d, again, err)
		}
		next, _ := d.AddDays(1)
		if next.DaysUntil(d) != -1 {
			t.Fatalf("%s: next day %s", d, next)
		}
		d = next
	}
	if _, ok := aggregator.MaxDate.AddDays(1); ok {
		t.Error("MaxDate + 1 day exists")
	}
	if _, ok := aggregator.MinDate.AddDays(-1); ok {
		t.Error("MinDate - 1 day exists")
	}
}
