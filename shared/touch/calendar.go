// Package touch plans Loupe's touchpoints: the five yearly occasions (birthday,
// anniversary, Valentine's Day, Mother's Day, Christmas) and store events, each
// with a send window in the store's time zone.
package touch

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Occasions Loupe mails for every client. Store events are "event:<campaign_id>".
const (
	Birthday    = "birthday"
	Anniversary = "anniversary"
	Valentines  = "valentines"
	MothersDay  = "mothers_day"
	Christmas   = "christmas"
)

// EventPrefix starts the touchpoint name of a store event or Save-the-Date blast.
const EventPrefix = "event:"

// Day is a civil (time-zone-free) calendar day.
type Day struct {
	Year  int
	Month time.Month
	Day   int
}

// DayOf returns the civil day of t in t's location.
func DayOf(t time.Time) Day { return Day{t.Year(), t.Month(), t.Day()} }

// ParseDay parses "YYYY-MM-DD". Returns an error naming the input otherwise.
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Day{}, fmt.Errorf("parse day %q: want YYYY-MM-DD", s)
	}
	return DayOf(t), nil
}

// String returns "YYYY-MM-DD".
func (d Day) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// Time returns midnight of d in loc (UTC when loc is nil).
func (d Day) Time(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// AddDays returns d moved n days (n may be negative).
func (d Day) AddDays(n int) Day { return DayOf(d.Time(time.UTC).AddDate(0, 0, n)) }

// Sub returns the number of days from e to d.
func (d Day) Sub(e Day) int {
	return int(d.Time(time.UTC).Sub(e.Time(time.UTC)).Hours() / 24)
}

// Before reports whether d is before e.
func (d Day) Before(e Day) bool { return d.Sub(e) < 0 }

// MonthDay returns "MM-DD", the key of the birthday and anniversary indexes.
func (d Day) MonthDay() string { return fmt.Sprintf("%02d-%02d", int(d.Month), d.Day) }

// IsLeap reports whether year is a Gregorian leap year.
func IsLeap(year int) bool { return year%4 == 0 && (year%100 != 0 || year%400 == 0) }

// Celebrated returns the day in year on which a yearly date month/day is
// celebrated: February 29 falls on February 28 in years that are not leap years.
func Celebrated(year int, month time.Month, day int) Day {
	if month == time.February && day == 29 && !IsLeap(year) {
		return Day{year, time.February, 28}
	}
	return Day{year, month, day}
}

// Easter returns Easter Sunday of year (Gregorian computus, the anonymous
// algorithm).
func Easter(year int) Day {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return Day{year, time.Month(month), day}
}

// nthWeekday returns the n-th (1-based) weekday wd of month in year.
func nthWeekday(year int, month time.Month, wd time.Weekday, n int) Day {
	first := Day{year, month, 1}
	offset := (int(wd) - int(first.Time(time.UTC).Weekday()) + 7) % 7
	return first.AddDays(offset + 7*(n-1))
}

// Mother's Day rules by country (ISO 3166 alpha-2). Countries not listed use
// MothersDayFallback.
var mothersDayRules = map[string]string{
	"US": "second_sunday_may", "CA": "second_sunday_may", "AU": "second_sunday_may",
	"NZ": "second_sunday_may", "IT": "second_sunday_may", "DE": "second_sunday_may",
	"JP": "second_sunday_may", "CH": "second_sunday_may", "BE": "second_sunday_may",
	"NL": "second_sunday_may", "AT": "second_sunday_may", "DK": "second_sunday_may",
	"FI": "second_sunday_may", "SG": "second_sunday_may", "HK": "second_sunday_may",
	"GB": "mothering_sunday", "IE": "mothering_sunday",
	"MX": "may_10", "GT": "may_10", "SV": "may_10", "IN": "second_sunday_may",
	"FR": "last_sunday_may_or_june", "SE": "last_sunday_may",
	"ES": "first_sunday_may", "PT": "first_sunday_may", "ZA": "second_sunday_may",
}

// MothersDayFallback is the rule for countries missing from the table: the
// second Sunday of May, the most widespread date.
const MothersDayFallback = "second_sunday_may"

// MothersDayRule returns the rule name used for country.
func MothersDayRule(country string) string {
	if r, ok := mothersDayRules[strings.ToUpper(country)]; ok {
		return r
	}
	return MothersDayFallback
}

// MothersDayDate returns Mother's Day of year in country: the second Sunday of May
// (US, CA, AU and most others), Mothering Sunday three weeks before Easter (GB,
// IE), May 10 (MX), the last Sunday of May, moved to the first Sunday of June
// when it is Pentecost (FR), and so on as the rule table says.
func MothersDayDate(country string, year int) Day {
	switch MothersDayRule(country) {
	case "mothering_sunday":
		return Easter(year).AddDays(-21)
	case "may_10":
		return Day{year, time.May, 10}
	case "first_sunday_may":
		return nthWeekday(year, time.May, time.Sunday, 1)
	case "last_sunday_may":
		return nthWeekday(year, time.June, time.Sunday, 1).AddDays(-7)
	case "last_sunday_may_or_june":
		d := nthWeekday(year, time.June, time.Sunday, 1).AddDays(-7)
		if d == Easter(year).AddDays(49) { // Pentecost
			d = d.AddDays(7)
		}
		return d
	default:
		return nthWeekday(year, time.May, time.Sunday, 2)
	}
}

// Window is when an occasion's mail may go: from Start (the planned send day,
// Lead days before the occasion) to End (the last day a deferred mail may still
// go), both inclusive.
type Window struct {
	Occasion string
	Year     int // the occasion's year: the ledger key with the client and occasion
	Date     Day // the occasion itself
	Start    Day
	End      Day
	// Channels is a campaign's channel list (nil: the chain's list of the
	// occasion, contact.Lists.For).
	Channels []string
}

// Contains reports whether d is inside the window.
func (w Window) Contains(d Day) bool { return !d.Before(w.Start) && !w.End.Before(d) }

// Lead is how many days before an occasion its mail is planned, and how many
// days after the planned day a deferred mail may still go (Slack). A mail is
// never deferred past the occasion itself.
type Lead struct {
	Days  int
	Slack int
}

// DefaultLeads are the documented defaults (docs/touchpoints.md).
var DefaultLeads = map[string]Lead{
	Birthday:    {Days: 7, Slack: 0},
	Anniversary: {Days: 10, Slack: 0},
	Valentines:  {Days: 14, Slack: 10},
	MothersDay:  {Days: 14, Slack: 10},
	Christmas:   {Days: 28, Slack: 21},
}

// Calendar computes occasion windows with configured lead times.
type Calendar struct {
	Leads map[string]Lead // missing occasions use DefaultLeads
}

func (c Calendar) lead(occasion string) Lead {
	if l, ok := c.Leads[occasion]; ok {
		return l
	}
	return DefaultLeads[occasion]
}

func (c Calendar) window(occasion string, date Day) Window {
	l := c.lead(occasion)
	start := date.AddDays(-l.Days)
	end := start.AddDays(l.Slack)
	if !end.Before(date) {
		end = date.AddDays(-1)
	}
	if end.Before(start) {
		end = start
	}
	return Window{Occasion: occasion, Year: date.Year, Date: date, Start: start, End: end}
}

// HolidayDate returns the date of a chain-wide holiday occasion in year for a
// store in country. ok is false for occasions that are not holidays.
func HolidayDate(occasion, country string, year int) (Day, bool) {
	switch occasion {
	case Valentines:
		return Day{year, time.February, 14}, true
	case Christmas:
		return Day{year, time.December, 25}, true
	case MothersDay:
		return MothersDayDate(country, year), true
	}
	return Day{}, false
}

// Holidays returns the windows of the holiday occasions (Valentine's Day,
// Mother's Day, Christmas) that contain day for a store in country, ordered by
// occasion date.
func (c Calendar) Holidays(day Day, country string) []Window {
	var out []Window
	for _, occ := range []string{Valentines, MothersDay, Christmas} {
		for _, y := range []int{day.Year, day.Year + 1} {
			date, _ := HolidayDate(occ, country, y)
			if w := c.window(occ, date); w.Contains(day) {
				out = append(out, w)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out
}

// PersonalDue returns, for a personal occasion (Birthday or Anniversary) planned
// on day, the occasion date and the month-day index keys to read: the client
// whose date is Date.MonthDay(), plus "02-29" when Date is February 28 of a year
// that is not a leap year (those clients celebrate on the 28th).
func (c Calendar) PersonalDue(occasion string, day Day) (Window, []string) {
	date := day.AddDays(c.lead(occasion).Days)
	w := c.window(occasion, date)
	keys := []string{date.MonthDay()}
	if date.Month == time.February && date.Day == 28 && !IsLeap(date.Year) {
		keys = append(keys, "02-29")
	}
	return w, keys
}
