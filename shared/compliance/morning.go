package compliance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/emailcheck"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
)

// MorningHour is the store-local hour from which an inspection's morning mail
// goes out: a run before it skips the store, the next run after it sends.
const MorningHour = 7

// TouchpointInspection is the X-Loupe-Touchpoint of the morning mail of an
// inspection (an additive extension of CONTRACT section 4, staff mail).
const TouchpointInspection = "compliance_inspection"

// InspectionMailKey returns the idempotency key of storeID's morning mail
// about store-local day ("YYYY-MM-DD"): "inspection/<store_id>/<day>".
func InspectionMailKey(storeID, day string) string { return "inspection/" + storeID + "/" + day }

// RunMorning is the inspection's morning job, run hourly by the schedule
// (loupe serve; the touchpoints Lambda in AWS). For every store whose
// inspection covers yesterday (store-local at now) and whose local time at
// now is MorningHour or later, it sends one mail to the store's manager_email
// listing yesterday's take-ins without an email by associate, with the day's
// capture rate, through sender. It returns the number of mails sent.
//
// It is idempotent: each (store, day) is claimed with a conditional write
// before the send (ClaimMorning) and the mail carries the Key
// InspectionMailKey, so a second run sends nothing, on SES too. A send that
// certainly sent nothing (mail.ErrTemporary) releases the claim for the next
// run. A store without manager_email or sender address, or unknown, is skipped
// with a log line (ids only). Stores are independent: it returns the joined
// errors of the stores that failed, EUNAVAILABLE without an InspectionStore,
// or the storage error of listing the inspections.
func (s *Service) RunMorning(ctx context.Context, now time.Time, sender mail.Sender) (int, error) {
	return s.runMorning(ctx, now, sender, func(loc *time.Location) (string, bool) {
		local := now.In(loc)
		return local.Format(time.DateOnly), local.Hour() >= MorningHour
	})
}

// RunMorningOn runs the morning job as if it were past MorningHour of
// store-local day today ("YYYY-MM-DD") in every store: the mails about the
// day before today. loupe tick uses it to replay simulated days. Same
// idempotency, skips and errors as RunMorning, plus an EINVALID *loupe.Error
// naming "date" for a malformed today.
func (s *Service) RunMorningOn(ctx context.Context, today string, sender mail.Sender) (int, error) {
	if _, err := loupe.ParseDay(today); err != nil {
		return 0, loupe.Invalidf("date", "date must be a day YYYY-MM-DD")
	}
	return s.runMorning(ctx, s.Now(), sender, func(*time.Location) (string, bool) { return today, true })
}

// runMorning is RunMorning with the store-local today and "is it morning yet"
// given by localToday.
func (s *Service) runMorning(ctx context.Context, now time.Time, sender mail.Sender, localToday func(*time.Location) (string, bool)) (int, error) {
	is, err := s.inspections()
	if err != nil {
		return 0, err
	}
	ins, err := is.Inspections(ctx)
	if err != nil {
		return 0, fmt.Errorf("morning inspections: %w", err)
	}
	sent := 0
	var errs []error
	for _, in := range ins {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		st, err := s.Stores.GetStore(ctx, in.StoreID)
		if isNotFound(err) {
			s.log().WarnContext(ctx, "no inspection mail", "store_id", in.StoreID, "why", "store unknown")
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("morning of store %s: %w", in.StoreID, err))
			continue
		}
		today, ok := localToday(location(st.Timezone))
		if !ok {
			continue
		}
		t, _ := time.Parse(time.DateOnly, today)
		day := t.AddDate(0, 0, -1).Format(time.DateOnly)
		if !in.Covers(day) {
			continue
		}
		ok, err = s.morning(ctx, is, st, day, today, now, sender)
		if err != nil {
			errs = append(errs, fmt.Errorf("morning of store %s on %s: %w", in.StoreID, day, err))
			continue
		}
		if ok {
			sent++
		}
	}
	return sent, errors.Join(errs...)
}

// morning sends st's mail about day unless it was claimed already. It
// returns true when it sent.
func (s *Service) morning(ctx context.Context, is InspectionStore, st loupe.Store, day, today string, now time.Time, sender mail.Sender) (bool, error) {
	skip := func(why string) (bool, error) {
		s.log().WarnContext(ctx, "no inspection mail", "store_id", st.StoreID, "day", day, "why", why)
		return false, nil
	}
	if st.ManagerEmail == "" {
		return skip("store has no manager_email")
	}
	from := st.FromEmail
	if from == "" {
		from = s.MailFrom
	}
	if from == "" {
		return skip("store has no from_email")
	}
	// Claim before reading the day: every later hourly run of the same
	// morning then costs one conditional write, not the day's reads.
	claimed, err := is.ClaimMorning(ctx, st.StoreID, day, now)
	if err != nil {
		return false, fmt.Errorf("claim: %w", err)
	}
	if !claimed {
		return false, nil
	}
	// release gives the claim back for the next run, on a context of its own:
	// the run's may be the one that just expired.
	release := func(cause error) (bool, error) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
		defer cancel()
		if rerr := is.ReleaseMorning(rctx, st.StoreID, day); rerr != nil {
			return false, fmt.Errorf("%w (release: %v)", cause, rerr)
		}
		return false, cause
	}
	dm, err := s.dayMissing(ctx, st, day)
	if err != nil {
		return release(err)
	}
	m, err := InspectionMail(dm, st, from, today)
	if err == nil && s.BaseURL != "" {
		AddScreenLink(&m, ScreenURL(s.BaseURL, st.StoreID, day))
	}
	if err != nil {
		return release(err)
	}
	if _, err := sender.Send(ctx, m); err != nil {
		if errors.Is(err, mail.ErrTemporary) || ctx.Err() != nil {
			return release(fmt.Errorf("send: %w", err))
		}
		if loupe.ErrorCode(err) == loupe.EINVALID || errors.Is(err, mail.ErrRejected) {
			return skip("mail refused: " + loupe.ErrorMessage(err))
		}
		return false, fmt.Errorf("send (claim kept, not retried): %w", err)
	}
	s.log().InfoContext(ctx, "inspection mail sent", "store_id", st.StoreID, "day", day,
		"take_ins", dm.TakeIns, "missing", dm.TakeIns-dm.WithEmail)
	return true, nil
}

// ReasonText is what a store manager reads for an emailcheck reason: the
// same words as the dashboard's "Why" column (dashboard.js reasonText).
func ReasonText(reason string) string {
	switch reason {
	case "", emailcheck.ReasonEmpty:
		return "No email written"
	case emailcheck.ReasonMalformed:
		return "Not a valid address"
	case emailcheck.ReasonPlaceholder:
		return "Placeholder (e.g. none@none.com)"
	case emailcheck.ReasonStoreAddress:
		return "The store's own address"
	case emailcheck.ReasonTypo:
		return "Likely typo"
	}
	return reason
}

// releaseTimeout bounds giving a morning claim back after a failure.
const releaseTimeout = 5 * time.Second

// DayMissing is one store's take-ins of one day as the morning mail shows them.
type DayMissing struct {
	StoreID    string
	Date       string // store-local "YYYY-MM-DD"
	TakeIns    int
	WithEmail  int
	Associates []AssociateMissing // associates with at least one take-in without email: most missing first, then name, then id
	Location   *time.Location     // the store's zone, for times of day
}

// AssociateMissing is one associate's take-ins without email on the day.
type AssociateMissing struct {
	AssociateID string
	Name        string
	TakeIns     int
	WithEmail   int
	Listed      []Missing // oldest first; fewer than TakeIns-WithEmail when past MaxMissingPerDay
}

// customers returns the customer ids the mail lists, once each.
func (dm DayMissing) customers() []string {
	var ids []string
	seen := map[string]bool{}
	for _, a := range dm.Associates {
		for _, m := range a.Listed {
			if m.CustomerID != "" && !seen[m.CustomerID] {
				seen[m.CustomerID] = true
				ids = append(ids, m.CustomerID)
			}
		}
	}
	return ids
}

// Missed returns the number of take-ins without email (listed or not).
func (a AssociateMissing) Missed() int { return a.TakeIns - a.WithEmail }

// dayMissing reads st's aggregate of day and groups its missing list by associate.
func (s *Service) dayMissing(ctx context.Context, st loupe.Store, day string) (DayMissing, error) {
	days, err := s.Store.Days(ctx, day, day, st.StoreID)
	if err != nil {
		return DayMissing{}, fmt.Errorf("days: %w", err)
	}
	dm := DayMissing{StoreID: st.StoreID, Date: day, Location: location(st.Timezone)}
	var d Day
	for _, x := range days {
		if x.StoreID == st.StoreID && x.Date == day {
			d = x
		}
	}
	names := map[string]string{}
	if len(d.Associates) > 0 {
		assocs, err := s.Associates.ListAssociates(ctx, st.StoreID)
		if err != nil {
			return DayMissing{}, fmt.Errorf("list associates: %w", err)
		}
		for _, a := range assocs {
			names[a.AssociateID] = a.Name
		}
		if unnamed([]Day{d}, names) {
			all, err := s.Associates.ListAssociates(ctx, "")
			if err != nil {
				return DayMissing{}, fmt.Errorf("list associates: %w", err)
			}
			for _, a := range all {
				names[a.AssociateID] = a.Name
			}
		}
	}
	listed := map[string][]Missing{}
	for _, m := range d.Missing {
		listed[m.AssociateID] = append(listed[m.AssociateID], m)
	}
	for id, c := range d.Associates {
		dm.TakeIns += c.TakeIns
		dm.WithEmail += c.WithEmail
		if c.TakeIns <= c.WithEmail {
			continue
		}
		l := listed[id]
		slices.SortFunc(l, func(x, y Missing) int {
			if c := x.TakenInAt.Compare(y.TakenInAt); c != 0 {
				return c
			}
			return strings.Compare(x.RepairID, y.RepairID)
		})
		dm.Associates = append(dm.Associates, AssociateMissing{AssociateID: id, Name: names[id],
			TakeIns: c.TakeIns, WithEmail: c.WithEmail, Listed: l})
	}
	slices.SortFunc(dm.Associates, func(x, y AssociateMissing) int {
		if x.Missed() != y.Missed() {
			return y.Missed() - x.Missed()
		}
		if c := strings.Compare(x.Name, y.Name); c != 0 {
			return c
		}
		return strings.Compare(x.AssociateID, y.AssociateID)
	})
	return dm, nil
}

// InspectionMail returns the morning mail of dm for store st, to its
// manager_email from from, planned for store-local day sendDate. It is staff
// mail: customer ids and suggested corrections are shown. Returns an EINVALID
// *loupe.Error naming manager_email when the store has none, or from_email
// when from is empty.
func InspectionMail(dm DayMissing, st loupe.Store, from, sendDate string) (mail.Message, error) {
	if st.ManagerEmail == "" {
		return mail.Message{}, loupe.Invalidf("manager_email", "store %s has no manager_email", st.StoreID)
	}
	if from == "" {
		return mail.Message{}, loupe.Invalidf("from_email", "store %s has no from_email", st.StoreID)
	}
	name := st.Name
	if name == "" {
		name = st.StoreID
	}
	missed := dm.TakeIns - dm.WithEmail
	var subject string
	switch {
	case dm.TakeIns == 0:
		subject = fmt.Sprintf("%s: no repair take-ins on %s", name, dm.Date)
	case missed == 0:
		subject = fmt.Sprintf("%s: all %d repair take-ins on %s had an email", name, dm.TakeIns, dm.Date)
	default:
		subject = fmt.Sprintf("%s: %d of %d repair take-ins on %s had no email", name, missed, dm.TakeIns, dm.Date)
	}
	v := mailView{Store: name, DM: dm, Missed: missed, Rate: percent(dm.WithEmail, dm.TakeIns), Subject: subject}
	var html bytes.Buffer
	if err := inspectionHTML.Execute(&html, v); err != nil {
		return mail.Message{}, fmt.Errorf("inspection mail of store %s: %w", st.StoreID, err)
	}
	return mail.Message{
		From:      from,
		To:        st.ManagerEmail,
		Subject:   subject,
		Text:      inspectionText(v),
		HTML:      html.String(),
		Headers:   mail.ClientHeaders("", TouchpointInspection, sendDate, ""),
		Customers: dm.customers(),
		Key:       InspectionMailKey(st.StoreID, dm.Date),
	}, nil
}

// ScreenURL is the staff app's compliance screen of store storeID on day:
// where the inspection mail's link opens (signing the reader in first
// when needed).
func ScreenURL(baseURL, storeID, day string) string {
	q := url.Values{"store_id": {storeID}, "from": {day}, "to": {day}}
	return strings.TrimRight(baseURL, "/") + "/app/compliance?" + q.Encode()
}

// AddScreenLink puts link to the staff app at the end of m's text and HTML.
func AddScreenLink(m *mail.Message, link string) {
	m.Text += "\nOpen it in Loupe: " + link + "\n"
	m.HTML = strings.Replace(m.HTML, "</body>", `<p><a href="`+template.HTMLEscapeString(link)+`">Open it in Loupe</a></p>`+"\n</body>", 1)
}

// mailView is what the mail templates show.
type mailView struct {
	Store   string
	DM      DayMissing
	Missed  int
	Rate    string
	Subject string
}

// percent returns withEmail/takeIns as "80.0 %" ("-" without take-ins).
func percent(withEmail, takeIns int) string {
	if takeIns == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f %%", Rate(withEmail, takeIns)*100)
}

// summary is the mail's opening sentence.
func (v mailView) Summary() string {
	switch {
	case v.DM.TakeIns == 0:
		return fmt.Sprintf("No repair take-ins were recorded on %s.", v.DM.Date)
	case v.Missed == 0:
		return fmt.Sprintf("All %d take-ins had an email on %s. Capture rate: %s.", v.DM.TakeIns, v.DM.Date, v.Rate)
	default:
		return fmt.Sprintf("%d of %d take-ins had no email on %s. Capture rate: %s (%d with email).",
			v.Missed, v.DM.TakeIns, v.DM.Date, v.Rate, v.DM.WithEmail)
	}
}

// row is one listed take-in as the mail shows it.
type row struct {
	Time, RepairID, CustomerID, Reason, Suggestion string
}

// Rows returns a's listed take-ins in the store's time.
func (v mailView) Rows(a AssociateMissing) []row {
	out := make([]row, 0, len(a.Listed))
	for _, m := range a.Listed {
		r := row{Time: m.TakenInAt.In(v.loc()).Format("15:04"), RepairID: m.RepairID, CustomerID: m.CustomerID,
			Reason: m.Reason, Suggestion: m.Suggestion}
		if r.CustomerID == "" {
			r.CustomerID = "(erased)"
		}
		r.Reason = ReasonText(m.Reason)
		out = append(out, r)
	}
	return out
}

func (v mailView) loc() *time.Location {
	if v.DM.Location == nil {
		return time.UTC
	}
	return v.DM.Location
}

// Title returns "Name (id)" for an associate, the id alone without a name.
func (v mailView) Title(a AssociateMissing) string {
	if a.Name == "" {
		return a.AssociateID
	}
	return a.Name + " (" + a.AssociateID + ")"
}

// Unlisted returns how many of a's take-ins without email are not listed.
func (v mailView) Unlisted(a AssociateMissing) int { return a.Missed() - len(a.Listed) }

func inspectionText(v mailView) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n%s\n", v.Store, v.Summary())
	for _, a := range v.DM.Associates {
		fmt.Fprintf(&b, "\n%s: %d of %d without email\n", v.Title(a), a.Missed(), a.TakeIns)
		for _, r := range v.Rows(a) {
			fmt.Fprintf(&b, "  %s  repair %s  customer %s  %s", r.Time, r.RepairID, r.CustomerID, r.Reason)
			if r.Suggestion != "" {
				fmt.Fprintf(&b, " (did they mean %s?)", r.Suggestion)
			}
			b.WriteString("\n")
		}
		if n := v.Unlisted(a); n > 0 {
			fmt.Fprintf(&b, "  ... and %d more not listed\n", n)
		}
	}
	b.WriteString("\nPlease ask for the customer's email at every take-in and add the missing ones in the POS.\n")
	b.WriteString("You receive this mail every morning of the store's inspection window.\n")
	return b.String()
}

var inspectionHTML = template.Must(template.New("inspection").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family:sans-serif">
<h1 style="font-size:1.2em">{{.Store}}</h1>
<p>{{.Summary}}</p>
{{range $a := .DM.Associates}}
<h2 style="font-size:1em">{{$.Title $a}}: {{$a.Missed}} of {{$a.TakeIns}} without email</h2>
<table border="1" cellpadding="4" cellspacing="0" style="border-collapse:collapse">
<tr><th>time</th><th>repair</th><th>customer</th><th>reason</th><th>did they mean</th></tr>
{{range $.Rows $a}}<tr><td>{{.Time}}</td><td>{{.RepairID}}</td><td>{{.CustomerID}}</td><td>{{.Reason}}</td><td>{{.Suggestion}}</td></tr>
{{end}}</table>
{{with $.Unlisted $a}}<p>... and {{.}} more not listed</p>{{end}}
{{end}}
<p>Please ask for the customer's email at every take-in and add the missing ones in the POS.</p>
<p style="color:#666">You receive this mail every morning of the store's inspection window.</p>
</body></html>
`))
