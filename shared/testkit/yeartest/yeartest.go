// Package yeartest is the property test of the one contact policy (issue 15,
// CONTRACT section 4 "Rules a client can count on"): a chain of three stores
// in two countries, with clients of mixed emails, phones, postal addresses,
// purchases and consents, lives through 2026 on a real store. Its events go
// through the POS service (the webhook's own path), associates log personal
// contacts, clients text STOP, deny email and change phones, and the
// scheduled job runs every day (twice at once on some days) with texts,
// direct mail and Today tasks going to recording channels. Afterwards every
// message is checked against an independent model of the clients: no message
// without consent, none outside the allowed hours, the cap across channels,
// no touchpoint twice, and nothing lost that could have gone. Run by the
// embedded and dynamo packages' tests.
package yeartest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/contact"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/phone"
	"github.com/loupehq/loupe/shared/pos"
	"github.com/loupehq/loupe/shared/touch"
)

// Env is what a store's test builds its services with (wire.Build): the
// chain's LOUPE_CHANNELS value, the recording channels and mail sender, the
// simulated clock and a quiet logger. It also sets the unsubscribe secret,
// a base URL, phone.Normalize, phone.Places and RecoverAfter -1.
type Env struct {
	Channels string
	Senders  map[string]touch.Channel
	Mail     mail.Sender
	Now      loupe.Clock
	Logger   *slog.Logger
}

// Target is one store under test with the services built over it.
type Target struct {
	Records loupe.ContactWriter
	Ledger  interface {
		touch.Ledger
		touch.Campaigns
	}
	Apply   func(ctx context.Context, body []byte) (pos.Result, error)
	Planner *touch.Planner
	Hourly  touch.Hourly
}

// store is one store of the simulated chain.
type store struct {
	id, country, zone string
	phones            []string // area codes of its clients' phones
	regions           []string // regions of its clients' addresses
}

var stores = []store{
	{"nyc", "US", "America/New_York", []string{"+1212555", "+1415555"}, []string{"NY", "CA"}},
	{"mia", "US", "America/New_York", []string{"+1305555"}, []string{"FL"}},
	{"lon", "GB", "Europe/London", []string{"+44740012"}, []string{""}},
}

// model is the test's own view of one client, changed as its events are
// applied: what the rules are checked against.
type model struct {
	id, store, country       string
	email, optOut, emailDeny bool
	phone, smsStatus, smsFor string // sms consent and the phone it was given for
	address, region          string
	mailDeny                 bool
	purchases                int
	cents                    int64
	birthday, anniversary    loupe.Date
	personal                 []time.Time // logged personal contacts
	changed                  bool        // its reachability changed during the year
}

func (m model) smsOK() bool {
	if m.phone == "" {
		return false
	}
	status := m.smsStatus
	if m.smsFor != m.phone {
		status = loupe.ConsentUnknown
	}
	return status == loupe.ConsentGranted || status != loupe.ConsentDenied && m.country == "GB" && m.purchases > 0
}

// reachable is the model's answer to "may channel carry marketing to m?".
func (m model) reachable(channel string) bool {
	switch channel {
	case contact.Email:
		return m.email && !m.optOut && !m.emailDeny
	case contact.SMS:
		return m.smsOK()
	case contact.Mail:
		return m.address != "" && !m.mailDeny
	case contact.Personal:
		return true
	}
	return false
}

// sent is one message (or Today task) as a channel received it.
type sent struct {
	key     touch.Key
	channel string
	planned touch.Day
	at      time.Time
	client  model // the model at the time of the send
}

// sim is one simulated year.
type sim struct {
	t      *testing.T
	ctx    context.Context
	svc    Target
	mu     sync.Mutex
	now    time.Time
	models map[string]*model
	sends  []sent
	evt    int
	tries  map[string]int                 // channel sends tried, by key
	seen   map[touch.Day]map[string]model // the models when each day was planned
}

func (s *sim) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

func (s *sim) record(k touch.Key, channel string, planned touch.Day) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sends = append(s.sends, sent{key: k, channel: channel, planned: planned, at: s.now, client: *s.models[k.CustomerID]})
}

// Send records an email (the mail.Sender of the run).
func (s *sim) Send(ctx context.Context, m mail.Message) (string, error) {
	var k touch.Key
	parts := strings.Split(m.Key, "/") // tp/<customer>/<occasion>/<year>
	if len(parts) != 4 || parts[0] != "tp" {
		return "mail-" + m.Key, nil // a staff mail (the inspection morning mail)
	}
	k.CustomerID, k.Occasion = parts[1], parts[2]
	fmt.Sscan(parts[3], &k.Year)
	planned, err := touch.ParseDay(m.Header(mail.HeaderSendDate))
	if err != nil {
		return "", err
	}
	s.record(k, contact.Email, planned)
	return "email-" + m.Key, nil
}

// channel records what one channel other than email receives.
type channel struct {
	s    *sim
	name string
}

// errFlaky is the temporary error a channel gives on the first try of one
// touchpoint in five: the entry stays claimed and a later run sends it, at
// whatever hour that is.
var errFlaky = errors.New("yeartest: temporarily unavailable")

func (c channel) Send(ctx context.Context, t touch.Touch) (string, error) {
	k := t.Key.String()
	c.s.mu.Lock()
	c.s.tries[k]++
	try := c.s.tries[k]
	c.s.mu.Unlock()
	h := fnv.New32a()
	h.Write([]byte(k))
	late := strings.HasPrefix(t.CustomerID, "late") && c.s.clock().Before(t.Planned.AddDays(1).Time(time.UTC))
	if late || try == 1 && h.Sum32()%5 == 0 {
		// The late clients' texts fail all day they are planned: the
		// first try that works is at 00:30 UTC, 20:30 in New York in
		// summer.
		return "", fmt.Errorf("%s: %w", c.name, errFlaky)
	}
	c.s.record(t.Key, c.name, t.Planned)
	return c.name + "-" + k, nil
}

// apply sends one POS event through the webhook's path.
func (s *sim) apply(typ string, data map[string]any) {
	s.t.Helper()
	s.evt++
	body, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("evt_%05d", s.evt), "type": typ,
		"occurred_at": s.clock().Format(time.RFC3339), "data": data})
	if _, err := s.svc.Apply(s.ctx, body); err != nil {
		s.t.Fatalf("%s %v: %v", typ, data["customer_id"], err)
	}
}

func (s *sim) consent(m *model, ch, status string) {
	data := map[string]any{"customer_id": m.id, "channel": ch, "status": status,
		"at": s.clock().Format(time.RFC3339), "source": "paper"}
	if status == loupe.ConsentGranted {
		data["evidence"] = "I agree to receive texts from the store"
	}
	s.apply("consent.changed", data)
}

func (s *sim) upsert(m *model) {
	data := map[string]any{"customer_id": m.id, "home_store_id": m.store, "first_name": "F" + m.id, "last_name": "L",
		"associate_id": "a-" + m.store, "email_opt_out": m.optOut}
	if m.email {
		data["email"] = m.id + "@client.example.com"
	}
	if m.phone != "" {
		data["phone"] = m.phone
	}
	if !m.birthday.IsZero() {
		data["birthday"] = m.birthday.String()
	}
	if !m.anniversary.IsZero() {
		data["anniversary"] = m.anniversary.String()
	}
	if m.address != "" {
		data["postal_address"] = map[string]any{"line1": m.address, "city": "Town", "region": m.region, "country": m.country}
	}
	s.apply("customer.upserted", data)
}

// planHour is the UTC hour of each day's planning run.
const planHour = 12

// Run simulates 2026 on the store build returns and checks the rules.
func Run(t *testing.T, build func(t *testing.T, env Env) Target) {
	ctx := context.Background()
	s := &sim{t: t, ctx: ctx, models: map[string]*model{}, now: time.Date(2025, 12, 31, 10, 0, 0, 0, time.UTC),
		tries: map[string]int{}, seen: map[touch.Day]map[string]model{}}
	s.svc = build(t, Env{
		Channels: "birthday=email,sms;anniversary=sms,email;christmas=mail,email",
		Senders: map[string]touch.Channel{
			contact.SMS: channel{s, contact.SMS}, contact.Mail: channel{s, contact.Mail}, contact.Personal: channel{s, contact.Personal},
		},
		Mail: s, Now: s.clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	st := s.svc
	rng := rand.New(rand.NewPCG(15, 2026))
	events, late := s.seed(rng)
	for _, cp := range []touch.Campaign{
		{CampaignID: "spring", Name: "Spring Trunk Show", EventDate: day("2026-04-18"), SendDate: day("2026-04-01"),
			StoreIDs: []string{"nyc", "lon"}, Subject: "Save the date", BodyHTML: "<p>Join us</p>", Channels: []string{contact.SMS, contact.Email}},
		{CampaignID: "autumn", Name: "Autumn Gala", EventDate: day("2026-10-10"), SendDate: day("2026-09-24"),
			StoreIDs: []string{"mia"}, Subject: "Save the date", BodyHTML: "<p>Join us</p>", Channels: []string{contact.Personal, contact.Email}},
	} {
		if err := st.Ledger.PutCampaign(ctx, cp); err != nil {
			t.Fatal(err)
		}
	}

	p := s.svc.Planner
	hourly := s.svc.Hourly
	// hour runs the hourly job of loupe serve (Requeue into a DeliverQueue:
	// what sends the texts that waited and the entries that failed).
	hour := func(d touch.Day, h int, min int) {
		s.set(d, h)
		s.mu.Lock()
		s.now = s.now.Add(time.Duration(min) * time.Minute)
		s.mu.Unlock()
		_, err := hourly.Run(ctx, touch.Run{At: s.clock()}, &touch.DeliverQueue{Planner: p, Sender: s})
		if err != nil && !errors.Is(err, errFlaky) {
			t.Fatalf("%s %02d:%02d: hourly run: %v", d, h, min, err)
		}
	}
	for d := day("2026-01-01"); d.Year == 2026; d = d.AddDays(1) {
		// 19:30 to 21:30 the evening before in New York: Florida's hours end
		// at 20:00, the others' at 21:00.
		hour(d, 0, 30)
		hour(d, 1, 30)
		s.set(d, 10)
		for _, ev := range events[d] {
			ev()
		}
		snap := map[string]model{}
		for id, m := range s.models {
			snap[id] = *m
		}
		s.seen[d] = snap
		s.set(d, planHour) // 07:00 in New York in winter: texts to the US wait for 08:00
		runs := 1
		if d.Day%9 == 0 {
			runs = 2 // two schedules firing at once
		}
		var wg sync.WaitGroup
		errs := make([]error, runs)
		for i := range runs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = p.RunToday(ctx, s)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil && !errors.Is(err, errFlaky) {
				t.Fatalf("%s: run: %v", d, err)
			}
		}
		s.set(d, 14) // after planning, before the texts waiting for the hours go
		for _, ev := range late[d] {
			ev()
		}
		for _, h := range []int{15, 18, 22} { // 22:00: outside London's hours
			hour(d, h, 0)
		}
	}
	// The last evening's retries.
	hour(day("2027-01-01"), 0, 30)
	hour(day("2027-01-01"), 1, 30)
	hour(day("2027-01-01"), 15, 0)
	s.check(st)
}

func (s *sim) set(d touch.Day, hour int) {
	s.mu.Lock()
	s.now = d.Time(time.UTC).Add(time.Duration(hour) * time.Hour)
	s.mu.Unlock()
}

// seed loads the chain through the POS service and returns the events of
// the year by day: those before the day's planning, and those after it
// (while texts wait for the allowed hours).
func (s *sim) seed(rng *rand.Rand) (early, late map[touch.Day][]func()) {
	for _, st := range stores {
		s.apply("store.upserted", map[string]any{"store_id": st.id, "name": "Loupe " + st.id, "timezone": st.zone,
			"country": st.country, "postal_address": "1 High Street", "from_email": st.id + "@loupe.example.com"})
		s.apply("associate.upserted", map[string]any{"associate_id": "a-" + st.id, "store_id": st.id, "name": "Ada " + st.id})
	}
	randDate := func() loupe.Date {
		d := day("2024-01-01").AddDays(rng.IntN(366))
		return loupe.Date{Month: d.Month, Day: d.Day}
	}
	events, late := map[touch.Day][]func(){}, map[touch.Day][]func(){}
	on := func(m *model, fn func()) {
		d := day("2026-01-15").AddDays(rng.IntN(330))
		m.changed = true
		if rng.IntN(2) == 0 {
			events[d] = append(events[d], fn)
		} else {
			late[d] = append(late[d], fn)
		}
	}
	for i := range 90 {
		st := stores[i%len(stores)]
		m := &model{id: fmt.Sprintf("c%02d", i), store: st.id, country: st.country, smsStatus: loupe.ConsentUnknown}
		s.models[m.id] = m
		m.email = rng.IntN(4) != 0
		m.optOut = m.email && rng.IntN(15) == 0
		if rng.IntN(5) < 3 {
			m.phone = fmt.Sprintf("%s%04d", st.phones[rng.IntN(len(st.phones))], 100+i)
		}
		if rng.IntN(2) == 0 {
			m.address, m.region = fmt.Sprintf("%d Elm Street", i+1), st.regions[rng.IntN(len(st.regions))]
		}
		if rng.IntN(10) != 0 {
			m.birthday = randDate()
		}
		if rng.IntN(2) == 0 {
			m.anniversary = randDate()
		}
		s.upsert(m)
		if m.phone != "" {
			switch rng.IntN(6) {
			case 0, 1, 2:
				s.consent(m, contact.SMS, loupe.ConsentGranted)
				m.smsStatus, m.smsFor = loupe.ConsentGranted, m.phone
			case 3:
				s.consent(m, contact.SMS, loupe.ConsentDenied)
				m.smsStatus, m.smsFor = loupe.ConsentDenied, m.phone
			}
		}
		if m.address != "" && rng.IntN(8) == 0 {
			s.consent(m, contact.Mail, loupe.ConsentDenied)
			m.mailDeny = true
		}
		for n := range rng.IntN(4) {
			cents := int64(5_000 + rng.IntN(150_000))
			s.apply("purchase.created", map[string]any{"purchase_id": fmt.Sprintf("p-%s-%d", m.id, n), "store_id": st.id,
				"associate_id": "a-" + st.id, "customer_id": m.id, "total_cents": cents,
				"purchased_at": s.clock().Add(-time.Duration(n+1) * 24 * time.Hour).Format(time.RFC3339)})
			m.purchases++
			m.cents += cents
		}
		// The year's events.
		switch r := rng.IntN(10); {
		case r == 0 && m.phone != "":
			on(m, func() {
				s.consent(m, contact.SMS, loupe.ConsentDenied)
				m.smsStatus, m.smsFor = loupe.ConsentDenied, m.phone
			}) // STOP
		case r == 1 && m.email:
			on(m, func() { s.consent(m, contact.Email, loupe.ConsentDenied); m.emailDeny = true })
		case r == 2 && m.phone != "":
			on(m, func() { m.phone = fmt.Sprintf("%s%04d", st.phones[0], 5000+i); s.upsert(m) }) // a new phone: no consent yet
		case r == 3 && m.email && m.optOut:
			on(m, func() { m.optOut = false; s.upsert(m) })
		}
		for range rng.IntN(3) {
			d := day("2026-01-05").AddDays(rng.IntN(350))
			late[d] = append(late[d], func() {
				at := s.clock()
				err := loupe.RecordContact(s.ctx, s.svc.Records, loupe.Contact{CustomerID: m.id, At: at, Channel: loupe.ChannelPersonal,
					Touchpoint: "call", By: "a-" + m.store, Status: "reached", Ref: "call:" + m.id + ":" + at.Format(time.RFC3339)})
				if err != nil {
					s.t.Fatal(err)
				}
				m.personal = append(m.personal, at)
			})
		}
	}
	// A client in California texts STOP while her birthday text waits for
	// 08:00 Pacific: it must not go.
	stop := &model{id: "stop1", store: "nyc", country: "US", phone: "+14155550777", birthday: loupe.Date{Month: time.March, Day: 15},
		changed: true}
	s.models[stop.id] = stop
	s.upsert(stop)
	s.consent(stop, contact.SMS, loupe.ConsentGranted)
	stop.smsStatus, stop.smsFor = loupe.ConsentGranted, stop.phone
	late[day("2026-03-08")] = append(late[day("2026-03-08")], func() {
		s.consent(stop, contact.SMS, loupe.ConsentDenied)
		stop.smsStatus = loupe.ConsentDenied
	})
	// Two texts whose sends fail until the evening: 20:30 in New York is
	// too late for a Florida number (08:00-20:00), not for a New York one.
	for _, l := range []struct {
		id, store, phone string
		birthday         int
	}{{"late1", "mia", "+13055550888", 20}, {"late2", "nyc", "+12125550888", 27}} {
		m := &model{id: l.id, store: l.store, country: "US", phone: l.phone, birthday: loupe.Date{Month: time.July, Day: l.birthday}}
		s.models[m.id] = m
		s.upsert(m)
		s.consent(m, contact.SMS, loupe.ConsentGranted)
		m.smsStatus, m.smsFor = loupe.ConsentGranted, m.phone
	}
	return events, late
}

func day(s string) touch.Day {
	d, err := touch.ParseDay(s)
	if err != nil {
		panic(err)
	}
	return d
}

func storeOf(id string) store {
	for _, st := range stores {
		if st.id == id {
			return st
		}
	}
	panic(id)
}

// lists are the channel lists of the simulated chain: LOUPE_CHANNELS and the
// campaigns' own.
var lists = map[string][]string{touch.Birthday: {contact.Email, contact.SMS}, touch.Anniversary: {contact.SMS, contact.Email},
	touch.Valentines: {contact.Email}, touch.MothersDay: {contact.Email},
	"event:spring": {contact.SMS, contact.Email}, "event:autumn": {contact.Personal, contact.Email}}

// channelsOf returns the channels a touchpoint of occasion may go on for m,
// in order: Christmas by mail only above the purchase threshold.
func channelsOf(m model, occasion string) []string {
	if occasion == touch.Christmas {
		if m.cents > contact.DefaultMailOverCents {
			return []string{contact.Mail, contact.Email}
		}
		return []string{contact.Email}
	}
	return lists[occasion]
}

// expectedChannel is the first channel of occasion's list m may be reached
// on ("" none).
func expectedChannel(m model, occasion string) string {
	for _, ch := range channelsOf(m, occasion) {
		if m.reachable(ch) {
			return ch
		}
	}
	return ""
}

// check holds the year's messages to the rules.
func (s *sim) check(st Target) {
	t, ctx := s.t, s.ctx
	byKey := map[touch.Key]sent{}
	byClient := map[string][]sent{}
	count := map[string]int{}
	for _, m := range s.sends {
		count[m.channel]++
		// Never the same touchpoint twice, on whatever channel.
		if was, ok := byKey[m.key]; ok {
			t.Errorf("%s went twice: by %s at %s and by %s at %s", m.key, was.channel, was.at, m.channel, m.at)
		}
		byKey[m.key] = m
		byClient[m.key.CustomerID] = append(byClient[m.key.CustomerID], m)
		// On the first channel of its list the client could be reached on
		// when it was planned.
		if planned, ok := s.seen[m.planned]; ok {
			if want := expectedChannel(planned[m.key.CustomerID], m.key.Occasion); want != m.channel {
				t.Errorf("%s went by %s, want %s: the first reachable channel of its list on %s", m.key, m.channel, want, m.planned)
			}
		}
		// No message without consent.
		if !m.client.reachable(m.channel) {
			t.Errorf("%s went by %s at %s without consent: %+v", m.key, m.channel, m.at, m.client)
		}
		// No text outside 08:00-21:00 (Florida: 20:00) in every zone of the
		// phone, the address and the store.
		if m.channel == contact.SMS {
			to := 21
			if m.client.region == "FL" && m.client.address != "" || strings.HasPrefix(m.client.phone, "+1305") {
				to = 20 // a Florida address or a Florida area code
			}
			zones := append(phone.Zones(m.client.phone), storeOf(m.client.store).zone)
			if m.client.address != "" {
				zones = append(zones, phone.Places{}.AddressZones(m.client.country, m.client.region)...)
			}
			for _, z := range zones {
				loc, _ := time.LoadLocation(z)
				if h := m.at.In(loc).Hour(); h < 8 || h >= to {
					t.Errorf("%s texted at %s, %02d:00 in %s", m.key, m.at, h, z)
				}
			}
		}
	}
	personalOcc := func(occ string) bool { return occ == touch.Birthday || occ == touch.Anniversary }
	overrides := 0
	for id, ms := range byClient {
		slices.SortStableFunc(ms, func(a, b sent) int { return a.planned.Sub(b.planned) })
		loc, _ := time.LoadLocation(storeOf(s.models[id].store).zone)
		for i, b := range ms {
			// The cap across channels: a deferrable message never within 7
			// days after another message or a logged personal contact.
			if i > 0 {
				a := ms[i-1]
				if gap := b.planned.Sub(a.planned); gap < touch.DefaultCap {
					if personalOcc(b.key.Occasion) {
						overrides++
					} else {
						t.Errorf("%s: %s by %s on %s only %d days after %s by %s", id, b.key.Occasion, b.channel, b.planned, gap, a.key.Occasion, a.channel)
					}
				}
			}
			if personalOcc(b.key.Occasion) {
				continue
			}
			for _, at := range s.models[id].personal {
				if at.After(b.planned.Time(time.UTC).Add(planHour * time.Hour)) {
					continue // logged after the message was planned
				}
				if gap := b.planned.Sub(touch.DayOf(at.In(loc))); gap >= 0 && gap < touch.DefaultCap {
					t.Errorf("%s: %s by %s on %s only %d days after a personal contact on %s", id, b.key.Occasion, b.channel, b.planned, gap, at)
				}
			}
		}
	}

	// Nothing lost: every touchpoint of the year is in the ledger, sent or
	// skipped with its reason; one whose client was reachable all year on a
	// channel of its list went, or was skipped by the cap.
	expected, fatigue, reasons := 0, 0, map[string]int{}
	for _, m := range s.models {
		occs := []string{touch.Valentines, touch.MothersDay, touch.Christmas}
		planned := func(d loupe.Date, lead int) bool {
			return !touch.Celebrated(2026, d.Month, d.Day).AddDays(-lead).Before(day("2026-01-01"))
		}
		if !m.birthday.IsZero() && planned(m.birthday, 7) {
			occs = append(occs, touch.Birthday)
		}
		if !m.anniversary.IsZero() && planned(m.anniversary, 10) {
			occs = append(occs, touch.Anniversary)
		}
		if m.store == "mia" {
			occs = append(occs, "event:autumn")
		} else {
			occs = append(occs, "event:spring")
		}
		for _, occ := range occs {
			expected++
			k := touch.Key{CustomerID: m.id, Occasion: occ, Year: 2026}
			e, err := st.Ledger.Get(ctx, k)
			if err != nil {
				t.Errorf("%s: not in the ledger: %v", k, err)
				continue
			}
			_, went := byKey[k]
			switch {
			case e.State == touch.StateSent && went:
			case e.State == touch.StateSkipped && e.Reason != "" && !went:
				reasons[e.Reason]++
			default:
				t.Errorf("%s: ledger %+v, sent %v", k, e, went)
				continue
			}
			if m.changed || e.State == touch.StateSent {
				continue
			}
			chans := channelsOf(*m, occ)
			could := slices.ContainsFunc(chans, m.reachable)
			switch {
			case could && e.Reason == touch.SkipFatigue:
				fatigue++
			case could:
				t.Errorf("%s: reachable all year by %v but skipped %s", k, chans, e.Reason)
			case e.Reason == touch.SkipFatigue:
				t.Errorf("%s: skipped for the cap, though reachable on none of %v", k, chans)
			}
		}
	}
	pending, err := st.Ledger.Pending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range pending {
		if e.Planned.Before(day("2026-12-31")) {
			t.Errorf("%s is still waiting at the end of the year: %+v", e.Key, e)
		}
	}
	t.Logf("simulated year: %d messages %v, %d expected touchpoints, skipped %v, %d for the cap, %d personal overrides of the cap",
		len(s.sends), count, expected, reasons, fatigue, overrides)
	for _, ch := range []string{contact.Email, contact.SMS, contact.Mail, contact.Personal} {
		if count[ch] == 0 {
			t.Errorf("no message went by %s: the simulation does not exercise it", ch)
		}
	}
	// The evening texts: New York's at 20:30, Florida's the next morning.
	for id, want := range map[string]string{"late1": "2026-07-14T12:00:00Z", "late2": "2026-07-21T00:30:00Z"} {
		m, ok := byKey[touch.Key{CustomerID: id, Occasion: touch.Birthday, Year: 2026}]
		if !ok || m.at.Format(time.RFC3339) != want {
			t.Errorf("%s's birthday text went at %v (%v), want %s", id, m.at, ok, want)
		}
	}
	if fatigue*10 > expected {
		t.Errorf("%d of %d touchpoints skipped for the cap, want under 10%%", fatigue, expected)
	}
	// Coverage counts every channel.
	cov, err := s.svc.Planner.Coverage(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range cov {
		want := 0
		for _, m := range s.models {
			if m.store == sc.StoreID && !m.reachable(contact.Email) && !m.reachable(contact.SMS) && !m.reachable(contact.Mail) {
				want++
			}
		}
		if sc.Unreachable != want {
			t.Errorf("coverage %s: unreachable %d, the model says %d", sc.StoreID, sc.Unreachable, want)
		}
		t.Logf("coverage %s: by channel %+v, unreachable %d", sc.StoreID, sc.ByChannel, sc.Unreachable)
	}
}
