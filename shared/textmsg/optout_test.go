package textmsg_test

import (
	"strings"
	"testing"

	"github.com/loupehq/loupe/shared/textmsg"
	"github.com/loupehq/loupe/shared/touch"
)

// TestOptOutLineInTheClientsLanguage: a promotional text ends with the
// opt-out line in the client's language, else the store's, else English;
// every line keeps the keyword STOP and the GSM-7 alphabet.
func TestOptOutLineInTheClientsLanguage(t *testing.T) {
	for _, c := range []struct{ client, store, want string }{
		{"fr-FR", "en-US", "Répondez STOP pour vous désabonner"},
		{"", "de-DE", "Antworten Sie STOP zum Abbestellen"},
		{"es-MX", "", "Responde STOP para darte de baja"},
		{"it_IT", "", "Rispondi STOP per annullare l'iscrizione"},
		{"pt-BR", "fr-FR", textmsg.OptOutLine},
		{"", "", textmsg.OptOutLine},
	} {
		tp := touchFor(touch.Birthday, "Éclat", "Ana")
		tp.Customer.Locale, tp.Store.Locale = c.client, c.store
		m, err := textmsg.Compose(tp)
		if err != nil {
			t.Fatalf("%s/%s: %v", c.client, c.store, err)
		}
		if !strings.HasSuffix(m.Body, "\n"+c.want) {
			t.Errorf("client %q, store %q: body %q, want it to end with %q", c.client, c.store, m.Body, c.want)
		}
		if !strings.Contains(c.want, "STOP") || textmsg.Measure(c.want).Encoding != "GSM-7" {
			t.Errorf("%q: want the keyword STOP in GSM-7 (got %s)", c.want, textmsg.Measure(c.want).Encoding)
		}
	}
}
