package touch

import (
	"testing"
	"time"
)

func TestEaster(t *testing.T) {
	for year, want := range map[int]string{2012: "2012-04-08", 2024: "2024-03-31", 2025: "2025-04-20", 2026: "2026-04-05", 2027: "2027-03-28", 2038: "2038-04-25"} {
		if got := Easter(year).String(); got != want {
			t.Errorf("Easter(%d) = %s, want %s", year, got, want)
		}
	}
}

func TestMothersDay(t *testing.T) {
	tests := []struct {
		country string
		year    int
		want    string
	}{
		{"US", 2024, "2024-05-12"},
		{"US", 2025, "2025-05-11"},
		{"US", 2026, "2026-05-10"},
		{"CA", 2026, "2026-05-10"},
		{"AU", 2027, "2027-05-09"},
		{"GB", 2025, "2025-03-30"},
		{"GB", 2026, "2026-03-15"},
		{"IE", 2027, "2027-03-07"},
		{"MX", 2026, "2026-05-10"},
		{"MX", 2027, "2027-05-10"},
		{"FR", 2024, "2024-05-26"},
		{"FR", 2012, "2012-06-03"}, // last Sunday of May was Pentecost
		{"ZZ", 2026, "2026-05-10"}, // fallback: second Sunday of May
		{"us", 2026, "2026-05-10"},
	}
	for _, tt := range tests {
		if got := MothersDayDate(tt.country, tt.year).String(); got != tt.want {
			t.Errorf("MothersDayDate(%s, %d) = %s, want %s", tt.country, tt.year, got, tt.want)
		}
	}
}

func TestCelebrated(t *testing.T) {
	if got, want := Celebrated(2027, time.February, 29).String(), "2027-02-28"; got != want {
		t.Errorf("Feb 29 in 2027 = %s, want %s", got, want)
	}
	if got, want := Celebrated(2028, time.February, 29).String(), "2028-02-29"; got != want {
		t.Errorf("Feb 29 in 2028 = %s, want %s", got, want)
	}
	if !IsLeap(2000) || IsLeap(1900) || !IsLeap(2028) || IsLeap(2027) {
		t.Error("IsLeap wrong for 2000/1900/2028/2027")
	}
}

func TestPersonalDueFeb29(t *testing.T) {
	var c Calendar
	// Birthday lead is 7 days: planning on Feb 21, 2027 targets Feb 28, 2027,
	// which is also the day Feb 29 birthdays are celebrated in 2027.
	w, keys := c.PersonalDue(Birthday, Day{2027, time.February, 21})
	if got, want := w.Date.String(), "2027-02-28"; got != want {
		t.Fatalf("date = %s, want %s", got, want)
	}
	if len(keys) != 2 || keys[0] != "02-28" || keys[1] != "02-29" {
		t.Fatalf("keys = %v, want [02-28 02-29]", keys)
	}
	_, keys = c.PersonalDue(Birthday, Day{2028, time.February, 21})
	if len(keys) != 1 || keys[0] != "02-28" {
		t.Fatalf("leap-year keys = %v, want [02-28]", keys)
	}
}

func TestHolidays(t *testing.T) {
	c := Calendar{}
	tests := []struct {
		day  Day
		want []string
	}{
		{Day{2026, time.January, 31}, []string{"valentines 2026-02-14"}},
		{Day{2026, time.February, 10}, []string{"valentines 2026-02-14"}},
		{Day{2026, time.February, 11}, nil}, // slack ends 10 days after the planned day
		{Day{2026, time.April, 26}, []string{"mothers_day 2026-05-10"}},
		{Day{2026, time.November, 27}, []string{"christmas 2026-12-25"}},
		{Day{2026, time.December, 18}, []string{"christmas 2026-12-25"}},
		{Day{2026, time.December, 19}, nil},
		{Day{2026, time.July, 1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.day.String(), func(t *testing.T) {
			ws := c.Holidays(tt.day, "US")
			var got []string
			for _, w := range ws {
				got = append(got, w.Occasion+" "+w.Date.String())
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Holidays(%s) = %v, want %v", tt.day, got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("Holidays(%s) = %v, want %v", tt.day, got, tt.want)
				}
			}
		})
	}
}

func TestWindowNeverPastOccasion(t *testing.T) {
	c := Calendar{Leads: map[string]Lead{Valentines: {Days: 3, Slack: 30}}}
	ws := c.Holidays(Day{2026, time.February, 11}, "US")
	if len(ws) != 1 {
		t.Fatalf("windows = %v, want one", ws)
	}
	if got, want := ws[0].End.String(), "2026-02-13"; got != want {
		t.Fatalf("end = %s, want %s (the day before the occasion)", got, want)
	}
}
