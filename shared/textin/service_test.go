package textin

import (
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

func TestHistoryStatus(t *testing.T) {
	cases := []struct {
		in, want string
		stops    bool
	}{
		{"TEXT_DELIVERED", loupe.ContactDelivered, false},
		{"DELIVERED", loupe.ContactDelivered, false},
		{"text_successful", loupe.ContactHandedOff, false},
		{"TEXT_QUEUED", loupe.ContactQueued, false},
		{"TEXT_PENDING", loupe.ContactQueued, false},
		{"TEXT_BLOCKED", loupe.ContactBlocked, true},
		{"OPTED_OUT", loupe.ContactOptedOut, true},
		{"TEXT_CARRIER_BLOCKED", loupe.ContactFiltered, false},
		{"TEXT_SPAM", loupe.ContactFiltered, false},
		{"TEXT_TTL_EXPIRED", loupe.ContactExpired, false},
		{"TEXT_INVALID", loupe.ContactInvalid, false},
		{"TEXT_CARRIER_UNREACHABLE", loupe.ContactUnreachable, false},
		{"TEXT_UNKNOWN", loupe.ContactUnknown, false},
		{"VOICE_COMPLETED", "", false},
		{"", "", false},
	}
	for _, tc := range cases {
		got, stops := HistoryStatus(tc.in)
		if got != tc.want || stops != tc.stops {
			t.Errorf("HistoryStatus(%q) = %q, %v; want %q, %v", tc.in, got, stops, tc.want, tc.stops)
		}
		if got != "" {
			if _, ok := loupe.ContactStatusRank(got); !ok {
				t.Errorf("%s maps to %q, which has no rank", tc.in, got)
			}
		}
	}
}

func TestMessageID(t *testing.T) {
	m := Message{From: "+12125550147", To: "+12125550100", Body: "STOP"}
	a, b := MessageID(m), MessageID(m)
	if a != b || len(a) != 33 || a[0] != 'h' {
		t.Errorf("derived ids %q, %q: want one stable h<32 hex>", a, b)
	}
	other := m
	other.Body = "STOP "
	timed := m
	timed.At = time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	if MessageID(other) == a || MessageID(timed) == a {
		t.Errorf("another body or a time gave the same id")
	}
	m.ID = "abc"
	if MessageID(m) != "abc" {
		t.Errorf("a given id is kept")
	}
}

func TestNumberStores(t *testing.T) {
	got := NumberStores(map[string]string{"s2": "+13055550100", "s1": "+13055550100", "s3": "pool-1", "s4": "+12125550100"})
	if len(got) != 2 || got["+13055550100"] != "s1" || got["+12125550100"] != "s4" {
		t.Errorf("NumberStores = %v", got)
	}
}

func TestReplyBody(t *testing.T) {
	st := loupe.Store{Name: "Éclat", Phone: "+12125550100"}
	if got, want := ReplyBody(KindHelpReply, st), "Éclat: For help, call +12125550100. Reply STOP to opt out."; got != want {
		t.Errorf("help: %q, want %q", got, want)
	}
	if got := ReplyBody(KindHelpReply, loupe.Store{Name: "Éclat"}); got != "Éclat: Reply STOP to opt out." {
		t.Errorf("help without a phone: %q", got)
	}
	if got := ReplyBody(KindStopConfirmation, loupe.Store{}); got != "Loupe: You are unsubscribed and will get no more texts from us. Reply START to resubscribe." {
		t.Errorf("confirmation without a store: %q", got)
	}
}
