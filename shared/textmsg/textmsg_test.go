package textmsg_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/textmsg"
	"github.com/loupehq/loupe/shared/touch"
)

func TestMeasure(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		encoding string
		units    int
		segments int
	}{
		{"empty", "", textmsg.GSM7, 0, 0},
		{"one char", "a", textmsg.GSM7, 1, 1},
		{"160 GSM chars", strings.Repeat("a", 160), textmsg.GSM7, 160, 1},
		{"161 GSM chars", strings.Repeat("a", 161), textmsg.GSM7, 161, 2},
		{"306 GSM chars", strings.Repeat("a", 306), textmsg.GSM7, 306, 2},
		{"307 GSM chars", strings.Repeat("a", 307), textmsg.GSM7, 307, 3},
		{"euro counts 2 septets", "€", textmsg.GSM7, 2, 1},
		{"extension table", "{}[]~\\|^€\f", textmsg.GSM7, 20, 1},
		{"80 euros fill one segment", strings.Repeat("€", 80), textmsg.GSM7, 160, 1},
		{"159 chars and a euro", strings.Repeat("a", 159) + "€", textmsg.GSM7, 161, 2},
		// 152 septets then an escape pair: the pair does not fit the first
		// split segment's last septet and moves whole to the second.
		{"escape pair not split", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 152), textmsg.GSM7, 306, 3},
		{"é is GSM basic", strings.Repeat("é", 160), textmsg.GSM7, 160, 1},
		{"GSM accents and Greek", "èéùìòÇØøÅåÆæßÉÄÖÑÜäöñüàΔΦΓΛΩΠΨΣΘΞ£¥¤§¿¡", textmsg.GSM7, 39, 1},
		{"ł forces UCS-2", "ł", textmsg.UCS2, 1, 1},
		{"70 UCS-2 units", "ł" + strings.Repeat("a", 69), textmsg.UCS2, 70, 1},
		{"71 UCS-2 units", "ł" + strings.Repeat("a", 70), textmsg.UCS2, 71, 2},
		{"134 UCS-2 units", "ł" + strings.Repeat("a", 133), textmsg.UCS2, 134, 2},
		{"135 UCS-2 units", "ł" + strings.Repeat("a", 134), textmsg.UCS2, 135, 3},
		{"emoji counts 2", "💎", textmsg.UCS2, 2, 1},
		{"35 emoji fill one segment", strings.Repeat("💎", 35), textmsg.UCS2, 70, 1},
		// 66 units then a surrogate pair: the pair moves whole to the second.
		{"surrogate pair not split", strings.Repeat("ł", 66) + "💎" + strings.Repeat("ł", 66), textmsg.UCS2, 134, 3},
		{"curly apostrophe is not GSM", "It’s", textmsg.UCS2, 4, 1},
		{"ç lower case is not GSM", "ç", textmsg.UCS2, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := textmsg.Measure(tt.body)
			want := textmsg.Count{Encoding: tt.encoding, Units: tt.units, Segments: tt.segments}
			if got != want {
				t.Errorf("Measure = %+v, want %+v", got, want)
			}
			if gsm := textmsg.IsGSM7(tt.body); gsm != (tt.encoding == textmsg.GSM7) {
				t.Errorf("IsGSM7 = %v, want %v", gsm, !gsm)
			}
		})
	}
}

func touchFor(occasion, store, first string) touch.Touch {
	return touch.Touch{
		Entry:    touch.Entry{Key: touch.Key{CustomerID: "c1", Occasion: occasion, Year: 2026}, StoreID: "s1"},
		Customer: loupe.Customer{CustomerID: "c1", FirstName: first, Phone: "+12125550100"},
		Store:    loupe.Store{StoreID: "s1", Name: store},
		Date:     touch.Day{Year: 2026, Month: time.May, Day: 9},
	}
}

func TestCompose(t *testing.T) {
	event := touchFor("event:spring", "Éclat", "Ana")
	event.Campaign = &touch.Campaign{CampaignID: "spring", Name: "Spring trunk show"}
	tests := []struct {
		name        string
		t           touch.Touch
		body        string
		promotional bool
		encoding    string
		segments    int
	}{
		{"birthday", touchFor(touch.Birthday, "Éclat", "Ana"),
			"Éclat: Happy birthday, Ana! Wishing you a wonderful year. Come and celebrate with us.\nReply STOP to opt out",
			true, textmsg.GSM7, 1},
		{"no first name", touchFor(touch.Anniversary, "Éclat", " "),
			"Éclat: Happy anniversary! Wishing you both many happy returns.\nReply STOP to opt out",
			true, textmsg.GSM7, 1},
		{"holiday with its date", touchFor(touch.MothersDay, "Éclat", "Ana"),
			"Éclat: Mother's Day is Saturday, May 9. Come and find something for her.\nReply STOP to opt out",
			true, textmsg.GSM7, 1},
		{"a name outside GSM-7 makes it UCS-2", touchFor(touch.Birthday, "Éclat", "Łucja"),
			"Éclat: Happy birthday, Łucja! Wishing you a wonderful year. Come and celebrate with us.\nReply STOP to opt out",
			true, textmsg.UCS2, 2},
		{"event", event,
			"Éclat: You're invited, Ana: Spring trunk show, Saturday, May 9.\nReply STOP to opt out",
			true, textmsg.GSM7, 1},
		{"repair ready is a service text without the opt-out line", touchFor("repair_ready:r9", "Éclat", "Ana"),
			"Éclat: Your repair is ready to collect, Ana.",
			false, textmsg.GSM7, 1},
		{"repair reminder", touchFor("repair_reminder:r9", "Éclat", ""),
			"Éclat: A reminder: your repair is ready and waiting for you.",
			false, textmsg.GSM7, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := textmsg.Compose(tt.t)
			if err != nil {
				t.Fatalf("Compose: %v", err)
			}
			if m.Body != tt.body {
				t.Errorf("body = %q, want %q", m.Body, tt.body)
			}
			if m.Promotional != tt.promotional {
				t.Errorf("promotional = %v, want %v", m.Promotional, tt.promotional)
			}
			if m.Count.Encoding != tt.encoding || m.Count.Segments != tt.segments {
				t.Errorf("count = %+v, want %s in %d", m.Count, tt.encoding, tt.segments)
			}
			if m.Count != textmsg.Measure(m.Body) {
				t.Errorf("count = %+v, Measure says %+v", m.Count, textmsg.Measure(m.Body))
			}
			if !strings.HasPrefix(m.Body, tt.t.Store.Name+": ") {
				t.Errorf("body %q does not open with the store's name", m.Body)
			}
		})
	}
}

func TestComposeDropsTheNameToFit(t *testing.T) {
	// A UCS-2 store name: with the long first name the body needs 3
	// segments, without it 2.
	store := "Łódź Jewellers Atelier"
	tp := touchFor(touch.Birthday, store, strings.Repeat("Maximiliana", 2))
	m, err := textmsg.Compose(tp)
	if err != nil {
		t.Fatalf("Compose: %v", err)
	}
	if strings.Contains(m.Body, "Maximiliana") || m.Count.Segments > textmsg.MaxSegments {
		t.Errorf("body %q (%+v): want the name dropped to fit %d segments", m.Body, m.Count, textmsg.MaxSegments)
	}
}

func TestComposeRefuses(t *testing.T) {
	long := touchFor("event:gala", "Éclat", "Ana")
	long.Campaign = &touch.Campaign{CampaignID: "gala", Name: strings.Repeat("The grand gala ", 20)}
	tests := []struct {
		name  string
		t     touch.Touch
		field string
	}{
		{"more than 2 segments", long, "template"},
		{"unknown touchpoint", touchFor("thank_you:p1", "Éclat", "Ana"), "occasion"},
		{"event without its campaign", touchFor("event:gala", "Éclat", "Ana"), "campaign"},
		{"store without a name", touchFor(touch.Birthday, " ", "Ana"), "store.name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := textmsg.Compose(tt.t)
			var le *loupe.Error
			if !errors.As(err, &le) || le.Code != loupe.EINVALID || le.Field != tt.field {
				t.Fatalf("Compose error = %v, want EINVALID on %s", err, tt.field)
			}
		})
	}
	_, err := textmsg.Compose(long)
	if !strings.Contains(loupe.ErrorMessage(err), "event") {
		t.Errorf("message %q does not name the template", loupe.ErrorMessage(err))
	}
}

func TestPromotional(t *testing.T) {
	for occasion, want := range map[string]bool{
		"birthday": true, "christmas": true, "event:x": true, "thank_you:p1": true,
		"repair_ready:r1": false, "repair_reminder:r1": false,
	} {
		if got := textmsg.Promotional(occasion); got != want {
			t.Errorf("Promotional(%q) = %v, want %v", occasion, got, want)
		}
	}
}
