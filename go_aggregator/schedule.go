package aggregator

// The schedule arithmetic of recurring rules, the same as ledger/schedules.py
// (both run testdata/schedules.json, and tests/ledger/test_schedules.py feeds
// random rules to both through `aggregator schedule`): change one, change the
// other.

// Frequency is the unit a recurring rule repeats in
// (ledger_recurringrule.frequency).
type Frequency string

// The four frequencies (ledger.models.Frequency).
const (
	Daily   Frequency = "daily"
	Weekly  Frequency = "weekly"
	Monthly Frequency = "monthly"
	Yearly  Frequency = "yearly"
)

// ParseFrequency checks a frequency's database spelling.
func ParseFrequency(s string) (Frequency, error) {
	switch f := Frequency(s); f {
	case Daily, Weekly, Monthly, Yearly:
		return f, nil
	}
	return "", Errorf(EINVALID, "unknown frequency %q: want daily, weekly, monthly or yearly", s)
}

// MaxInterval and MaxCount are the largest interval and count the columns
// (32-bit integers on PostgreSQL) hold.
const (
	MaxInterval = 1<<31 - 1
	MaxCount    = 1<<31 - 1
)

// Schedule is when a rule's occurrences fall: occurrence n (from 0) is
// n*Interval days, weeks, months or years after Start, months and years
// counted from Start every time (never from the previous occurrence), the
// day clamped to the month's last: a rule on the 31st falls on the last day
// of shorter months and on the 31st again after them; one on 29 February
// falls on 28 February in other years. The schedule ends after Count
// occurrences (indexes 0..Count-1, skipped ones included), after End
// (inclusive), or after 9999-12-31, whichever comes first.
type Schedule struct {
	Frequency Frequency
	Interval  int64  // >= 1
	Start     Date   // occurrence 0
	End       *Date  // inclusive; nil: no end date
	Count     *int64 // occurrences in all, >= 1; nil: no count
}

// Validate checks what the table's constraints promise (a known frequency,
// interval and count of at least 1), so that the arithmetic can trust them.
func (s Schedule) Validate() error {
	if _, err := ParseFrequency(string(s.Frequency)); err != nil {
		return err
	}
	switch {
	case s.Interval < 1 || s.Interval > MaxInterval:
		return Errorf(EINVALID, "interval %d out of range: want 1..%d", s.Interval, MaxInterval)
	case s.Count != nil && (*s.Count < 1 || *s.Count > MaxCount):
		return Errorf(EINVALID, "count %d out of range: want 1..%d", *s.Count, MaxCount)
	case s.Start.IsZero():
		return Errorf(EINVALID, "schedule has no start date")
	case s.End != nil && s.End.IsZero():
		return Errorf(EINVALID, "schedule has a zero end date")
	}
	return nil
}

// DateAt returns the date of occurrence index, and false when the schedule
// has ended before it (index past Count, date past End or past 9999-12-31,
// or a negative index).
func (s Schedule) DateAt(index int64) (Date, bool) {
	if index < 0 || (s.Count != nil && index >= *s.Count) {
		return Date{}, false
	}
	day, ok := s.unbounded(index)
	if !ok || (s.End != nil && day.After(*s.End)) {
		return Date{}, false
	}
	return day, true
}

// FirstIndexOnOrAfter returns the index of the first occurrence dated day or
// later, ignoring Count and End (so it may lie past the schedule's end).
func (s Schedule) FirstIndexOnOrAfter(day Date) int64 {
	if !day.After(s.Start) {
		return 0
	}
	index := max(0, stepsBefore(s.Start, s.Frequency, day)/s.Interval)
	// The estimate is off by at most one step either way (month-end
	// clamping); walk to the exact index.
	for index > 0 && s.onOrAfter(index-1, day) {
		index--
	}
	for !s.onOrAfter(index, day) {
		index++
	}
	return index
}

// onOrAfter reports whether occurrence index, ignoring Count and End, falls
// on or after bound; an occurrence past 9999-12-31 is after every date.
func (s Schedule) onOrAfter(index int64, bound Date) bool {
	day, ok := s.unbounded(index)
	return !ok || !day.Before(bound)
}

// unbounded returns occurrence index's date ignoring Count and End, and
// false past 9999-12-31.
func (s Schedule) unbounded(index int64) (Date, bool) {
	// Every unit is at least a day, so more steps than MaxDate has days leave
	// the calendar; comparing by division keeps index*Interval from
	// overflowing int64.
	if limit := int64(MaxDate.ordinal); index > 0 && s.Interval > limit/index {
		return Date{}, false
	}
	return shifted(s.Start, s.Frequency, index*s.Interval)
}

// shifted returns start moved by steps units of frequency (steps >= 0), the
// day clamped to the month's last for months and years, and false past
// 9999-12-31.
func shifted(start Date, frequency Frequency, steps int64) (Date, bool) {
	switch frequency {
	case Daily:
		return start.AddDays(steps)
	case Weekly:
		return start.AddDays(steps * 7)
	}
	months := steps
	if frequency == Yearly {
		months = steps * 12
	}
	y, m, d := start.Civil()
	total := int64(y)*12 + int64(m-1) + months
	year, month := int(total/12), int(total%12)+1
	if year > 9999 {
		return Date{}, false
	}
	day, err := NewDate(year, month, min(d, daysIn(year, month)))
	return day, err == nil
}

// stepsBefore returns roughly how many whole units of frequency lie between
// start and day (day after start).
func stepsBefore(start Date, frequency Frequency, day Date) int64 {
	switch frequency {
	case Daily:
		return start.DaysUntil(day)
	case Weekly:
		return start.DaysUntil(day) / 7
	}
	sy, sm, _ := start.Civil()
	dy, dm, _ := day.Civil()
	months := int64(dy-sy)*12 + int64(dm-sm)
	if frequency == Yearly {
		return months / 12
	}
	return months
}
