package textmsg_test

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/textmsg"
	"github.com/loupehq/loupe/shared/touch"
)

func serviceTouch(occasion, storeName, storePhone string) touch.Touch {
	return touch.Touch{
		Entry:    touch.Entry{Key: touch.RepairKey("c1", occasion, "r7"), StoreID: "s1", Channel: "voice"},
		Customer: loupe.Customer{CustomerID: "c1", FirstName: "Ana", Phone: "+12125550100", PreferredChannel: "voice"},
		Store:    loupe.Store{StoreID: "s1", Name: storeName, Phone: storePhone},
		Date:     touch.Day{Year: 2026, Month: time.May, Day: 9},
	}
}

// spokenText returns the text content of ssml (what Polly reads) and the
// root element's name, failing t when ssml is not well-formed XML.
func spokenText(t *testing.T, ssml string) (root, text string) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(ssml))
	var b strings.Builder
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SSML is not well-formed: %v\n%s", err, ssml)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				if root != "" {
					t.Fatalf("SSML has two root elements: %s", ssml)
				}
				root = tok.Name.Local
			}
			depth++
			if tok.Name.Local == "break" {
				b.WriteString(" ")
			}
		case xml.EndElement:
			depth--
			if tok.Name.Local == "say-as" || tok.Name.Local == "s" {
				b.WriteString(" ")
			}
		case xml.CharData:
			b.Write(tok)
		}
	}
	return root, strings.Join(strings.Fields(b.String()), " ")
}

func TestComposeVoice(t *testing.T) {
	tests := []struct {
		name     string
		t        touch.Touch
		template string
		want     string // the spoken text, spaces collapsed
	}{
		{"repair ready, US number", serviceTouch(textmsg.RepairReady, "Éclat", "+12125550199"), textmsg.RepairReady,
			"Éclat. Your repair is ready to collect. To reach us, call 212 555 0199 . Again, that number is 212 555 0199 . Thank you."},
		{"repair reminder, UK number", serviceTouch(textmsg.RepairReminder, "Éclat London", "+442079460958"), textmsg.RepairReminder,
			"Éclat London. A reminder: your repair is ready and waiting for you. To reach us, call plus 442 079 460 958 . Again, that number is plus 442 079 460 958 . Thank you."},
		{"short number keeps no lone digit", serviceTouch(textmsg.RepairReady, "Éclat", "+3312345"), textmsg.RepairReady,
			"Éclat. Your repair is ready to collect. To reach us, call plus 331 2345 . Again, that number is plus 331 2345 . Thank you."},
		{"markup in the store's name is escaped", serviceTouch(textmsg.RepairReady, `Smith & Sons <Fine> "Jewels"`, "+12125550199"), textmsg.RepairReady,
			`Smith & Sons <Fine> "Jewels". Your repair is ready to collect. To reach us, call 212 555 0199 . Again, that number is 212 555 0199 . Thank you.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := textmsg.ComposeVoice(tt.t)
			if err != nil {
				t.Fatalf("ComposeVoice: %v", err)
			}
			if v.Template != tt.template {
				t.Errorf("Template = %q, want %q", v.Template, tt.template)
			}
			root, got := spokenText(t, v.SSML)
			if root != "speak" {
				t.Errorf("root element = %q, want speak", root)
			}
			if got != tt.want {
				t.Errorf("spoken text =\n%q\nwant\n%q", got, tt.want)
			}
			if !strings.HasPrefix(v.SSML, "<speak>") || !strings.HasSuffix(v.SSML, "</speak>") {
				t.Errorf("SSML is not one <speak> element: %s", v.SSML)
			}
			if strings.Contains(v.SSML, "Ana") {
				t.Errorf("SSML speaks the client's name: %s", v.SSML)
			}
			if !strings.Contains(v.SSML, `<say-as interpret-as="digits">`) {
				t.Errorf("phone number not read as digits: %s", v.SSML)
			}
		})
	}
}

func TestComposeVoiceRefuses(t *testing.T) {
	bday := serviceTouch(textmsg.RepairReady, "Éclat", "+12125550199")
	bday.Key = touch.Key{CustomerID: "c1", Occasion: touch.Birthday, Year: 2026}
	event := serviceTouch(textmsg.RepairReady, "Éclat", "+12125550199")
	event.Key = touch.Key{CustomerID: "c1", Occasion: touch.EventPrefix + "trunk-show", Year: 2026}
	tests := []struct {
		name  string
		t     touch.Touch
		field string
	}{
		{"birthday is marketing", bday, "occasion"},
		{"event is marketing", event, "occasion"},
		{"store without a name", serviceTouch(textmsg.RepairReady, " ", "+12125550199"), "store.name"},
		{"store without a phone", serviceTouch(textmsg.RepairReady, "Éclat", ""), "store.phone"},
		{"store phone not E.164", serviceTouch(textmsg.RepairReady, "Éclat", "212-555-0199"), "store.phone"},
		{"store name too long", serviceTouch(textmsg.RepairReady, strings.Repeat("É", textmsg.MaxSSML), "+12125550199"), "template"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := textmsg.ComposeVoice(tt.t)
			var le *loupe.Error
			if !errors.As(err, &le) || le.Code != loupe.EINVALID || le.Field != tt.field {
				t.Fatalf("ComposeVoice error = %v, want EINVALID on %s", err, tt.field)
			}
		})
	}
}

func TestService(t *testing.T) {
	for occ, want := range map[string]bool{
		"repair_ready:r7": true, "repair_reminder:r7": true, textmsg.RepairReady: true,
		touch.Birthday: false, "thank_you:p1": false, touch.EventPrefix + "x": false,
	} {
		if got := textmsg.Service(occ); got != want {
			t.Errorf("Service(%q) = %v, want %v", occ, got, want)
		}
	}
}

// TestComposeVoiceOnlyForClientsWhoChoseCalls: CONTRACT section 4, a call
// only for a client whose preferred_channel is voice.
func TestComposeVoiceOnlyForClientsWhoChoseCalls(t *testing.T) {
	for _, pref := range []string{"", "sms", "email"} {
		tp := serviceTouch("repair_ready", "Éclat", "+12125550199")
		tp.Customer.PreferredChannel = pref
		if _, err := textmsg.ComposeVoice(tp); loupe.ErrorField(err) != "preferred_channel" {
			t.Errorf("preferred_channel %q: ComposeVoice = %v, want EINVALID on preferred_channel", pref, err)
		}
	}
}
