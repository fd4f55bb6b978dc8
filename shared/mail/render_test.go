package mail_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
)

var now = time.Date(2026, 11, 20, 15, 4, 5, 0, time.UTC)

func sample() mail.Message {
	return mail.Message{
		From:    "Maison Éclat <hello@eclat.example>",
		To:      "ada@client.example",
		ReplyTo: "boutique@eclat.example",
		Subject: "Joyeux anniversaire, Adèle — un cadeau vous attend à la boutique de la rue de Rivoli",
		Text:    "Bonjour Adèle,\nbon anniversaire!\n" + strings.Repeat("long line ", 20) + "\n-- \nUnsubscribe: https://loupe.example/u/tok",
		HTML:    `<p style="color:#333">Bonjour Adèle,</p><p>bon anniversaire!</p>`,
		Headers: mail.ClientHeaders("c42", "birthday", "2026-11-20", "https://loupe.example/u/tok"),
		Key:     "tp/c42/birthday/2026",
	}
}

// parsed is a rendered message read back with net/mail and mime/multipart.
type parsed struct {
	header      netmail.Header
	text, html  string
	attachments map[string][]byte // file name -> content
	attachTypes map[string]string
}

func parse(t *testing.T, raw []byte) parsed {
	t.Helper()
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
		t.Fatalf("rendered message has a bare LF")
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("ReadMessage: %v", err)
	}
	p := parsed{header: msg.Header, attachments: map[string][]byte{}, attachTypes: map[string]string{}}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type: %v", err)
	}
	var walk func(mt string, params map[string]string, body io.Reader)
	walk = func(mt string, params map[string]string, body io.Reader) {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("next part of %s: %v", mt, err)
			}
			pmt, pparams, err := mime.ParseMediaType(part.Header.Get("Content-Type"))
			if err != nil {
				t.Fatalf("part Content-Type: %v", err)
			}
			switch {
			case strings.HasPrefix(pmt, "multipart/"):
				walk(pmt, pparams, part)
			case part.FileName() != "":
				if got, want := part.Header.Get("Content-Transfer-Encoding"), "base64"; got != want {
					t.Fatalf("attachment encoding = %q, want %q", got, want)
				}
				enc, _ := io.ReadAll(part)
				for _, line := range strings.Split(strings.TrimRight(string(enc), "\r\n"), "\r\n") {
					if len(line) > 76 {
						t.Fatalf("base64 line of %d characters, want at most 76", len(line))
					}
				}
				data, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(bytes.ReplaceAll(enc, []byte("\r\n"), nil))))
				if err != nil {
					t.Fatalf("attachment base64: %v", err)
				}
				p.attachments[part.FileName()] = data
				p.attachTypes[part.FileName()] = pmt
			default:
				if got, want := part.Header.Get("Content-Transfer-Encoding"), "quoted-printable"; got != want {
					t.Fatalf("%s encoding = %q, want %q", pmt, got, want)
				}
				if got, want := pparams["charset"], "utf-8"; got != want {
					t.Fatalf("%s charset = %q, want %q", pmt, got, want)
				}
				b, err := io.ReadAll(quotedprintable.NewReader(part))
				if err != nil {
					t.Fatalf("%s quoted-printable: %v", pmt, err)
				}
				switch pmt {
				case "text/plain":
					p.text = strings.ReplaceAll(string(b), "\r\n", "\n")
				case "text/html":
					p.html = string(b)
				default:
					t.Fatalf("unexpected part %s", pmt)
				}
			}
		}
	}
	walk(mt, params, msg.Body)
	return p
}

func TestRenderRoundTrip(t *testing.T) {
	m := sample()
	raw, err := mail.Render(m, now, "mail.loupe.example")
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, raw)
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(p.header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := subject, m.Subject; got != want {
		t.Errorf("Subject = %q, want %q", got, want)
	}
	if !strings.HasPrefix(p.header.Get("Subject"), "=?utf-8?q?") {
		t.Errorf("Subject %q is not RFC 2047 encoded", p.header.Get("Subject"))
	}
	from, err := p.header.AddressList("From")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := from[0].Name, "Maison Éclat"; got != want {
		t.Errorf("From name = %q, want %q", got, want)
	}
	if got, want := from[0].Address, "hello@eclat.example"; got != want {
		t.Errorf("From address = %q, want %q", got, want)
	}
	for name, want := range map[string]string{
		"To":                    "<ada@client.example>",
		"Reply-To":              "<boutique@eclat.example>",
		"Date":                  "Fri, 20 Nov 2026 15:04:05 +0000",
		"Message-ID":            mail.MessageID(m.Key, "mail.loupe.example"),
		"MIME-Version":          "1.0",
		"X-Loupe-Touchpoint":    "birthday",
		"X-Loupe-Customer-Id":   "c42",
		"X-Loupe-Send-Date":     "2026-11-20",
		"List-Unsubscribe":      "<https://loupe.example/u/tok>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
	} {
		if got := p.header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if mt, _, _ := mime.ParseMediaType(p.header.Get("Content-Type")); mt != "multipart/alternative" {
		t.Errorf("Content-Type = %q, want multipart/alternative", mt)
	}
	if got, want := p.text, m.Text; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	if got, want := p.html, m.HTML; got != want {
		t.Errorf("html = %q, want %q", got, want)
	}
	for i, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line %d has %d characters, over 998", i, len(line))
		}
	}
}

func TestRenderAttachments(t *testing.T) {
	m := sample()
	csv := []byte("customer_id,name\r\n" + strings.Repeat("c1,Ada\r\n", 50))
	bin := make([]byte, 1000)
	for i := range bin {
		bin[i] = byte(i)
	}
	m.Attachments = []mail.Attachment{
		{Filename: "réaffectations.csv", ContentType: "text/csv; charset=utf-8", Data: csv},
		{Filename: "data.bin", Data: bin},
	}
	raw, err := mail.Render(m, now, "")
	if err != nil {
		t.Fatal(err)
	}
	p := parse(t, raw)
	if mt, _, _ := mime.ParseMediaType(p.header.Get("Content-Type")); mt != "multipart/mixed" {
		t.Errorf("Content-Type = %q, want multipart/mixed", mt)
	}
	if got, want := p.header.Get("Message-ID"), mail.MessageID(m.Key, "eclat.example"); got != want {
		t.Errorf("Message-ID = %q, want %q (From domain)", got, want)
	}
	if p.text != m.Text || p.html != m.HTML {
		t.Errorf("text/html parts not read back intact")
	}
	if got := p.attachments["réaffectations.csv"]; !bytes.Equal(got, csv) {
		t.Errorf("csv attachment = %q, want %q", got, csv)
	}
	if got, want := p.attachTypes["réaffectations.csv"], "text/csv"; got != want {
		t.Errorf("csv type = %q, want %q", got, want)
	}
	if got := p.attachments["data.bin"]; !bytes.Equal(got, bin) {
		t.Errorf("binary attachment differs (%d bytes, want %d)", len(got), len(bin))
	}
	if got, want := p.attachTypes["data.bin"], "application/octet-stream"; got != want {
		t.Errorf("bin type = %q, want %q", got, want)
	}
}

func TestRenderDeterministic(t *testing.T) {
	a, err := mail.Render(sample(), now, "x.example")
	if err != nil {
		t.Fatal(err)
	}
	b, err := mail.Render(sample(), now, "x.example")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("two renders of the same message at the same time differ")
	}
	other := sample()
	other.Key = "tp/c42/birthday/2027"
	c, _ := mail.Render(other, now, "x.example")
	pa, pc := parse(t, a), parse(t, c)
	if pa.header.Get("Message-ID") == pc.header.Get("Message-ID") {
		t.Errorf("different keys share a Message-ID")
	}
}

func TestRenderRejects(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(m *mail.Message)
		field string
	}{
		{"subject CRLF injection", func(m *mail.Message) { m.Subject = "Hi\r\nBcc: victim@evil.example" }, "subject"},
		{"subject LF", func(m *mail.Message) { m.Subject = "Hi\nthere" }, "subject"},
		{"subject empty", func(m *mail.Message) { m.Subject = " " }, "subject"},
		{"subject too long", func(m *mail.Message) { m.Subject = strings.Repeat("a", 901) }, "subject"},
		{"header value CR", func(m *mail.Message) { m.Headers[0].Value = "birthday\rBcc: x@evil.example" }, "headers[0]"},
		{"header value NUL", func(m *mail.Message) { m.Headers[1].Value = "c\x0042" }, "headers[1]"},
		{"header name colon", func(m *mail.Message) { m.Headers[0].Name = "X-A: b" }, "headers[0]"},
		{"header name LF", func(m *mail.Message) { m.Headers[0].Name = "X-A\nBcc" }, "headers[0]"},
		{"reserved header", func(m *mail.Message) { m.Headers = append(m.Headers, mail.Header{"bcc", "x@evil.example"}) }, "headers[5]"},
		{"reserved content type", func(m *mail.Message) { m.Headers = []mail.Header{{"Content-Type", "text/plain"}} }, "headers[0]"},
		{"from missing", func(m *mail.Message) { m.From = "" }, "from"},
		{"from malformed", func(m *mail.Message) { m.From = "not an address" }, "from"},
		{"to two addresses", func(m *mail.Message) { m.To = "a@x.example, b@x.example" }, "to"},
		{"to CRLF", func(m *mail.Message) { m.To = "a@x.example\r\nBcc: b@x.example" }, "to"},
		{"reply-to malformed", func(m *mail.Message) { m.ReplyTo = "@x" }, "reply_to"},
		{"text missing", func(m *mail.Message) { m.Text = "" }, "text"},
		{"html missing", func(m *mail.Message) { m.HTML = "" }, "html"},
		{"key missing", func(m *mail.Message) { m.Key = "" }, "key"},
		{"attachment name", func(m *mail.Message) { m.Attachments = []mail.Attachment{{Filename: "a\r\nb"}} }, "attachments[0]"},
		{"attachment type", func(m *mail.Message) {
			m.Attachments = []mail.Attachment{{Filename: "a.csv", ContentType: "text/csv; charset"}}
		}, "attachments[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sample()
			tt.edit(&m)
			raw, err := mail.Render(m, now, "")
			var le *loupe.Error
			if !errors.As(err, &le) {
				t.Fatalf("Render err = %v, want *loupe.Error (raw %d bytes)", err, len(raw))
			}
			if got, want := le.Code, loupe.EINVALID; got != want {
				t.Errorf("code = %q, want %q", got, want)
			}
			if got, want := le.Field, tt.field; got != want {
				t.Errorf("field = %q, want %q", got, want)
			}
			if strings.Contains(le.Message, "@") {
				t.Errorf("message %q quotes an address", le.Message)
			}
		})
	}
}

func TestClientHeaders(t *testing.T) {
	tests := []struct {
		name                        string
		customer, tp, day, unsubURL string
		want                        []mail.Header
	}{
		{"client", "c1", "christmas", "2026-12-20", "https://l.example/u/t",
			[]mail.Header{
				{"X-Loupe-Touchpoint", "christmas"}, {"X-Loupe-Customer-Id", "c1"}, {"X-Loupe-Send-Date", "2026-12-20"},
				{"List-Unsubscribe", "<https://l.example/u/t>"}, {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"},
			}},
		{"manager", "", mail.TouchpointReassignmentReview, "2026-12-20", "",
			[]mail.Header{{"X-Loupe-Touchpoint", "reassignment_review"}, {"X-Loupe-Send-Date", "2026-12-20"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mail.ClientHeaders(tt.customer, tt.tp, tt.day, tt.unsubURL)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("header %d = %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestFakeIdempotent(t *testing.T) {
	var f mail.Fake
	ctx := context.Background()
	id1, err := f.Send(ctx, sample())
	if err != nil {
		t.Fatal(err)
	}
	id2, err := f.Send(ctx, sample())
	if err != nil {
		t.Fatal(err)
	}
	if id1 != id2 {
		t.Errorf("ids = %q, %q; want the same id for the same key", id1, id2)
	}
	if got, want := len(f.Sent()), 1; got != want {
		t.Errorf("recorded %d, want %d", got, want)
	}
	bad := sample()
	bad.Subject = "x\r\nBcc: y@z.example"
	if _, err := f.Send(ctx, bad); loupe.ErrorCode(err) != loupe.EINVALID {
		t.Errorf("Send(injection) err = %v, want EINVALID", err)
	}
}

func FuzzRenderHeaders(f *testing.F) {
	f.Add("Hello", "birthday", "Ada")
	f.Add("Hi\r\nBcc: x@y.example", "b\nx", "Ad\"a <")
	f.Add("Ünïcödé ✨ subject", "event:spring", "Zoë")
	f.Fuzz(func(t *testing.T, subject, touchpoint, name string) {
		m := sample()
		m.Subject = subject
		m.Headers[0].Value = touchpoint
		m.From = (&netmail.Address{Name: name, Address: "hello@eclat.example"}).String()
		raw, err := mail.Render(m, now, "")
		if err != nil {
			if loupe.ErrorCode(err) != loupe.EINVALID {
				t.Fatalf("err = %v, want EINVALID", err)
			}
			return
		}
		msg, err := netmail.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("rendered message does not parse: %v", err)
		}
		// No header beyond the ones Render writes and m.Headers: nothing injected.
		allowed := map[string]bool{"Date": true, "Message-Id": true, "From": true, "To": true, "Reply-To": true,
			"Subject": true, "Mime-Version": true, "Content-Type": true}
		for _, h := range m.Headers {
			allowed[h.Name] = true
		}
		for k := range msg.Header {
			if !allowed[k] {
				t.Fatalf("unexpected header %q in rendered message", k)
			}
		}
		dec := new(mime.WordDecoder)
		got, err := dec.DecodeHeader(msg.Header.Get("Subject"))
		if err != nil {
			t.Fatalf("decode subject: %v", err)
		}
		if strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(subject), " ") {
			t.Fatalf("subject = %q, want %q", got, subject)
		}
	})
}
