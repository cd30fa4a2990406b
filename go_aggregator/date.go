package aggregator

import (
	"fmt"
	"time"
)

// Date is a calendar date of the proleptic Gregorian calendar, 0001-01-01 ..
// 9999-12-31, with no time zone: the dates of ledger_transaction.date and of
// recurring rules. It holds Python's date.toordinal() (0001-01-01 is 1), so
// comparing two dates compares integers and adding days is an addition. The
// zero value is no date (IsZero).
type Date struct{ ordinal int32 }

// The first and last dates "YYYY-MM-DD" (and Python's datetime.date) can name.
var (
	MinDate = Date{1}       // 0001-01-01
	MaxDate = Date{3652059} // 9999-12-31
)

// epochOrdinal is the ordinal of 1970-01-01, where daysFromCivil counts from.
const epochOrdinal = 719163

// NewDate returns the date year-month-day, or an EINVALID error when it does
// not exist (30 February) or lies outside 0001-01-01..9999-12-31.
func NewDate(year, month, day int) (Date, error) {
	if year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) {
		return Date{}, Errorf(EINVALID, "invalid date %04d-%02d-%02d", year, month, day)
	}
	return Date{int32(daysFromCivil(year, month, day) + epochOrdinal)}, nil
}

// ParseDate parses "YYYY-MM-DD" exactly (ten characters, an existing date).
func ParseDate(s string) (Date, error) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Date{}, Errorf(EINVALID, "invalid date %q: want YYYY-MM-DD", s)
	}
	var parts [3]int
	for i, field := range [3]string{s[0:4], s[5:7], s[8:10]} {
		for _, c := range []byte(field) {
			if c < '0' || c > '9' {
				return Date{}, Errorf(EINVALID, "invalid date %q: want YYYY-MM-DD", s)
			}
			parts[i] = parts[i]*10 + int(c-'0')
		}
	}
	d, err := NewDate(parts[0], parts[1], parts[2])
	if err != nil {
		return Date{}, Errorf(EINVALID, "invalid date %q: no such day", s)
	}
	return d, nil
}

// DateOf returns the calendar date of t in t's own location.
func DateOf(t time.Time) (Date, error) {
	y, m, d := t.Date()
	return NewDate(y, int(m), d)
}

// IsZero reports whether d is the zero value (no date).
func (d Date) IsZero() bool { return d.ordinal == 0 }

// Civil returns the year, month (1-12) and day of d.
func (d Date) Civil() (year, month, day int) {
	return civilFromDays(int64(d.ordinal) - epochOrdinal)
}

// Month returns the calendar month d falls in.
func (d Date) Month() Month {
	y, m, _ := d.Civil()
	return MonthOfYM(y, m)
}

// Before reports whether d is earlier than e.
func (d Date) Before(e Date) bool { return d.ordinal < e.ordinal }

// After reports whether d is later than e.
func (d Date) After(e Date) bool { return d.ordinal > e.ordinal }

// AddDays returns d moved by n days, and false when that leaves
// 0001-01-01..9999-12-31.
func (d Date) AddDays(n int64) (Date, bool) {
	o := int64(d.ordinal) + n
	if n > int64(MaxDate.ordinal) || n < -int64(MaxDate.ordinal) || o < int64(MinDate.ordinal) || o > int64(MaxDate.ordinal) {
		return Date{}, false
	}
	return Date{int32(o)}, true
}

// DaysUntil returns the number of days from d to e (negative when e is earlier).
func (d Date) DaysUntil(e Date) int64 { return int64(e.ordinal) - int64(d.ordinal) }

// String returns "YYYY-MM-DD" ("" for the zero Date).
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	y, m, day := d.Civil()
	return fmt.Sprintf("%04d-%02d-%02d", y, m, day)
}

// MarshalText writes "YYYY-MM-DD" (JSON strings, flags).
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return nil, Errorf(EINVALID, "zero date has no text")
	}
	return []byte(d.String()), nil
}

// UnmarshalText parses "YYYY-MM-DD".
func (d *Date) UnmarshalText(b []byte) error {
	parsed, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}

// daysIn returns the number of days of a month of a year.
func daysIn(year, month int) int { return MonthOfYM(year, month).Days() }

// daysFromCivil returns the days from 1970-01-01 to y-m-d (Howard Hinnant's
// days_from_civil; exact for every Gregorian date).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400 // y >= 0 for every date here (year 1 in January gives 0)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// civilFromDays is daysFromCivil's inverse.
func civilFromDays(z int64) (year, month, day int) {
	z += 719468
	era := z / 146097 // z >= 0 for every date from 0001-01-01
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return int(y), int(m), int(d)
}
