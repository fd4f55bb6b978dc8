package touch

import (
	"embed"
	"fmt"
	"html"
	netmail "net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
)

//go:embed templates/*.html templates/*.txt
var templateFS embed.FS

// templateNames are the occasions with a template; an event uses "event".
var templateNames = []string{Birthday, Anniversary, Valentines, MothersDay, Christmas, "event"}

var (
	htmlTemplates = map[string]*fillTemplate{}
	textTemplates = map[string]*fillTemplate{}
)

func init() {
	for _, name := range templateNames {
		htmlTemplates[name] = mustFill(name+".html", "footer.html", true)
		textTemplates[name] = mustFill(name+".txt", "footer.txt", false)
	}
}

// mustFill parses templates/name with templates/footer; it panics on a
// template the renderer cannot read, which the package's tests catch.
func mustFill(name, footer string, isHTML bool) *fillTemplate {
	src, err := templateFS.ReadFile("templates/" + name)
	if err == nil {
		var f []byte
		if f, err = templateFS.ReadFile("templates/" + footer); err == nil {
			var t *fillTemplate
			if t, err = parseFill(string(src), string(f), isHTML); err == nil {
				return t
			}
		}
	}
	panic(fmt.Sprintf("touch template %s: %v", name, err))
}

// mailData is what every template reads.
type mailData struct {
	FirstName      string
	StoreName      string
	Associate      string // "" when the client has no active associate: signed by the store
	PostalAddress  string
	UnsubscribeURL string
	OccasionDate   string // e.g. "Saturday, May 9"
	CampaignName   string
	BodyHTML       string // campaign body: staff-written HTML, trusted, inserted as is
	BodyText       string
}

var subjects = map[string]string{
	Birthday:    "Happy birthday from %s",
	Anniversary: "Happy anniversary from %s",
	Valentines:  "Valentine's Day at %s",
	MothersDay:  "Mother's Day at %s",
	Christmas:   "Season's greetings from %s",
}

// Compose returns the mail of one touchpoint: From the store's from_email
// (display name the store's name), To the client, the occasion's template in
// HTML (escaped) and text, signed "Warmly, <associate> at <store>" (the store
// alone when associate is nil), the store's postal address, the unsubscribe
// link in the body and as List-Unsubscribe, the X-Loupe-* headers with the
// store-local planned day, and Key "tp/<customer>/<occasion>/<year>".
// campaign is required for an "event:" occasion. Returns an EINVALID
// *loupe.Error for an unknown occasion or a missing campaign, and the
// template error otherwise; it does not validate addresses (mail.Render does).
func Compose(k Key, planned Day, occasionDate Day, store loupe.Store, c loupe.Customer, associate *loupe.Associate, campaign *Campaign, unsubscribeURL string) (mail.Message, error) {
	name := k.Occasion
	data := mailData{
		FirstName:      c.FirstName,
		StoreName:      store.Name,
		PostalAddress:  store.PostalAddress,
		UnsubscribeURL: unsubscribeURL,
		OccasionDate:   occasionDate.Time(time.UTC).Format("Monday, January 2"),
	}
	if data.FirstName == "" {
		data.FirstName = "friend"
	}
	if associate != nil {
		data.Associate = associate.Name
	}
	subject := ""
	if strings.HasPrefix(name, EventPrefix) {
		if campaign == nil || campaign.Occasion() != name {
			return mail.Message{}, loupe.Invalidf("campaign", "touchpoint %s needs its campaign", name)
		}
		name = "event"
		subject = campaign.Subject
		data.CampaignName = campaign.Name
		data.BodyHTML = campaign.BodyHTML
		data.BodyText = htmlToText(campaign.BodyHTML)
	} else if f, ok := subjects[name]; ok {
		subject = fmt.Sprintf(f, store.Name)
	} else {
		return mail.Message{}, loupe.Invalidf("occasion", "unknown occasion %q", name)
	}
	var h, t strings.Builder
	if err := htmlTemplates[name].execute(&h, data); err != nil {
		return mail.Message{}, fmt.Errorf("render %s html: %w", name, err)
	}
	if err := textTemplates[name].execute(&t, data); err != nil {
		return mail.Message{}, fmt.Errorf("render %s text: %w", name, err)
	}
	from := (&netmail.Address{Name: store.Name, Address: store.FromEmail}).String()
	to := (&netmail.Address{Name: strings.TrimSpace(c.FirstName + " " + c.LastName), Address: c.Email}).String()
	return mail.Message{
		From:    from,
		To:      to,
		Subject: subject,
		Text:    t.String(),
		HTML:    h.String(),
		Headers: mail.ClientHeaders(c.CustomerID, k.Occasion, planned.String(), unsubscribeURL),
		Key:     k.MailKey(),
	}, nil
}

var (
	blockTags = regexp.MustCompile(`(?i)<\s*(br|/p|/div|/h[1-6]|/li)\s*/?>`)
	anyTag    = regexp.MustCompile(`<[^>]*>`)
	blankRuns = regexp.MustCompile(`\n{3,}`)
)

// htmlToText is a plain-text rendering of staff-written HTML: line breaks at
// block ends, tags dropped, entities decoded.
func htmlToText(s string) string {
	s = blockTags.ReplaceAllString(s, "\n")
	s = anyTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	return strings.TrimSpace(blankRuns.ReplaceAllString(s, "\n\n"))
}
