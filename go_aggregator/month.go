package aggregator

import (
	"fmt"
	"time"
)

// Month is a calendar month as year*12 + (month-1); compact and map-friendly.
// The months a rollup can name are 0001-01 .. 9999-12 (MinMonth..MaxMonth):
// "YYYY-MM" has four digits for the year. Every parser here refuses a year
// outside that range, so a Month read from the database is always Valid.
type Month int32

// The first and last month "YYYY-MM" can name.
const (
	MinMonth Month = 1 * 12           // 0001-01
	MaxMonth Month = 9999*12 + 12 - 1 // 9999-12
)

// MonthOf returns the month of t in t's own location; check Valid, since
// time.Time reaches years "YYYY-MM" cannot name.
func MonthOf(t time.Time) Month {
	return MonthOfYM(t.Year(), int(t.Month()))
}

// MonthOfYM returns the month for a year and a 1-based month number.
func MonthOfYM(year, month int) Month {
	return Month(year*12 + month - 1)
}

// Valid reports whether m lies in MinMonth..MaxMonth.
func (m Month) Valid() bool { return m >= MinMonth && m <= MaxMonth }

// Year returns the month's year (rounding down for months before year 0).
func (m Month) Year() int {
	y := int(m) / 12
	if m < 0 && int(m)%12 != 0 {
		y--
	}
	return y
}

// Number returns the month's 1-based number within its year.
func (m Month) Number() int { return int(m) - m.Year()*12 + 1 }

// String returns "YYYY-MM". A month outside MinMonth..MaxMonth is written out
// in full ("10000-01"), never wrapped to four digits: a database
// then refuses it instead of storing another month's figures.
func (m Month) String() string {
	if !m.Valid() {
		return fmt.Sprintf("%04d-%02d", m.Year(), m.Number())
	}
	y, n := m.Year(), m.Number()
	b := [7]byte{
		byte('0' + y/1000%10), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10),
		'-', byte('0' + n/10), byte('0' + n%10),
	}
	return string(b[:])
}

// FirstDay returns the first day of the month as "YYYY-MM-DD".
func (m Month) FirstDay() string { return m.String() + "-01" }

// LastDay returns the last day of the month as "YYYY-MM-DD". A bucket's
// dates are FirstDay..LastDay inclusive: the first day of the following
// month does not exist after 9999-12 (year 10000 is out of PostgreSQL's
// text range for "YYYY" and of every parser here).
func (m Month) LastDay() string { return fmt.Sprintf("%s-%02d", m, m.Days()) }

// Days returns the number of days in the month (Gregorian calendar).
func (m Month) Days() int {
	switch m.Number() {
	case 2:
		if y := m.Year(); y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// ParseMonth parses "YYYY-MM" without allocating.
func ParseMonth[T string | []byte](s T) (Month, error) {
	if len(s) != 7 || s[4] != '-' {
		return 0, Errorf(EINVALID, "invalid month %q: want YYYY-MM", string(s))
	}
	return parseYearMonth(s)
}

// MonthOfDate returns the month of a 'YYYY-MM-DD' date (a longer datetime text
// such as "2024-03-05 10:00:00" is accepted too) without allocating.
func MonthOfDate[T string | []byte](s T) (Month, error) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return 0, Errorf(EINVALID, "invalid date %q: want YYYY-MM-DD", string(s))
	}
	return parseYearMonth(s)
}

func parseYearMonth[T string | []byte](s T) (Month, error) {
	y, n := 0, 0
	for i := 0; i < 4; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, Errorf(EINVALID, "invalid date %q", string(s))
		}
		y = y*10 + int(c-'0')
	}
	for i := 5; i < 7; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, Errorf(EINVALID, "invalid date %q", string(s))
		}
		n = n*10 + int(c-'0')
	}
	if n < 1 || n > 12 {
		return 0, Errorf(EINVALID, "invalid month in %q", string(s))
	}
	if y < 1 {
		return 0, Errorf(EINVALID, "year out of range in %q: want 0001-9999", string(s))
	}
	return MonthOfYM(y, n), nil
}

// pgEpochShift is 2000-01-01 as days since 0000-03-01 (the civil algorithm's epoch).
const pgEpochShift = 730425 // days from 0000-03-01 to 2000-01-01

// MonthOfPGDate returns the month of a PostgreSQL binary date, which counts
// days since 2000-01-01. It uses Howard Hinnant's civil-from-days algorithm:
// no time.Time, no allocation.
func MonthOfPGDate(days int32) (Month, error) {
	if days == 1<<31-1 || days == -1<<31 {
		return 0, Errorf(EINVALID, "infinite date has no month")
	}
	z := int64(days) + pgEpochShift
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	if y < 1 || y > 9999 {
		return 0, Errorf(EINVALID, "date out of range: year %d, want 0001-9999", y)
	}
	return MonthOfYM(int(y), int(m)), nil
}

// GoString helps test failure output.
func (m Month) GoString() string { return fmt.Sprintf("Month(%s)", m) }
