package loupe

import (
	"encoding/json"
	"fmt"
	"time"
)

// Date is a calendar day whose year may be unknown: a birthday or an anniversary.
// It is written "YYYY-MM-DD", or "--MM-DD" when Year is 0. The zero Date means
// "not given".
type Date struct {
	Year  int        // 0 when unknown
	Month time.Month // 1..12; 0 only in the zero Date
	Day   int        // 1..31
}

// ParseDate parses "YYYY-MM-DD" or "--MM-DD". February 29 is allowed with an
// unknown year, and with a known year only if that year is a leap year.
// Returns an EINVALID *Error (without a field) when s is neither form.
func ParseDate(s string) (Date, error) {
	var d Date
	if len(s) == 7 && s[0] == '-' && s[1] == '-' && s[4] == '-' {
		m, okm := atoi2(s[2:4])
		day, okd := atoi2(s[5:7])
		if !okm || !okd {
			return Date{}, Errorf(EINVALID, "date %q is not YYYY-MM-DD or --MM-DD", s)
		}
		d = Date{Month: time.Month(m), Day: day}
		if !d.valid() {
			return Date{}, Errorf(EINVALID, "date %q is not a calendar day", s)
		}
		return d, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || len(s) != 10 {
		return Date{}, Errorf(EINVALID, "date %q is not YYYY-MM-DD or --MM-DD", s)
	}
	if t.Year() < 1 {
		return Date{}, Errorf(EINVALID, "date %q has year 0", s)
	}
	return Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}, nil
}

func atoi2(s string) (int, bool) {
	if len(s) != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

var daysIn = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

func (d Date) valid() bool {
	return d.Month >= 1 && d.Month <= 12 && d.Day >= 1 && d.Day <= daysIn[d.Month]
}

// IsZero reports whether the date was not given.
func (d Date) IsZero() bool { return d.Month == 0 }

// String returns "YYYY-MM-DD", "--MM-DD", or "" for the zero Date.
func (d Date) String() string {
	switch {
	case d.IsZero():
		return ""
	case d.Year == 0:
		return fmt.Sprintf("--%02d-%02d", int(d.Month), d.Day)
	default:
		return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
	}
}

// MonthDay returns "MM-DD", the key the month-day indexes use, or "" for the
// zero Date.
func (d Date) MonthDay() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d-%02d", int(d.Month), d.Day)
}

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; "" gives the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalJSON writes the date as a string, or null for the zero Date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads a date string; null or "" gives the zero Date.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return Errorf(EINVALID, "date must be a string")
	}
	return d.UnmarshalText([]byte(s))
}

// ParseDay parses a plain "YYYY-MM-DD" calendar day (a store-local day in a
// query or a CLI flag). Returns an EINVALID *Error otherwise.
func ParseDay(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || len(s) != 10 {
		return time.Time{}, Errorf(EINVALID, "day %q is not YYYY-MM-DD", s)
	}
	return t, nil
}
