package touch

import (
	"testing"

	"github.com/loupehq/loupe/shared/loupe"
)

// personalSoonByYear is the direct statement of the rule soonDays tabulates.
func (p *Planner) personalSoonByYear(c loupe.Customer, day Day) bool {
	for _, occ := range []struct {
		name string
		date loupe.Date
	}{{Birthday, c.Birthday}, {Anniversary, c.Anniversary}} {
		if occ.date.IsZero() {
			continue
		}
		lead := p.Calendar.lead(occ.name).Days
		for _, y := range []int{day.Year, day.Year + 1} {
			planned := Celebrated(y, occ.date.Month, occ.date.Day).AddDays(-lead)
			if n := planned.Sub(day); n > 0 && n < p.cap() {
				return true
			}
		}
	}
	return false
}

func TestSoonTableMatchesRule(t *testing.T) {
	for _, cap := range []int{0, 3, 14} {
		p := &Planner{Cap: cap}
		for day := (Day{2027, 1, 1}); day.Before(Day{2029, 1, 1}); day = day.AddDays(1) {
			sp := &storePlan{day: day, soon: p.soonDays(day)}
			for d := (Day{2028, 1, 1}); d.Year == 2028; d = d.AddDays(1) {
				date := loupe.Date{Month: d.Month, Day: d.Day}
				for _, c := range []loupe.Customer{{Birthday: date}, {Anniversary: date}} {
					if got, want := sp.personalSoon(c), p.personalSoonByYear(c, day); got != want {
						t.Fatalf("cap %d day %s date %v: personalSoon = %v, want %v", cap, day, date, got, want)
					}
				}
			}
		}
	}
}
