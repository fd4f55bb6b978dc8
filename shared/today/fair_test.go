package today_test

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/embedded"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/today"
)

// The simulated quarter of TestTodayFairQuarter: one store in New York, the
// associate under test (fairA) with a book of fairBook clients, a second
// associate (fairB) with fairOther, and a third (fairFrom) whose fairMoved
// clients move into fairA's book on day fairMoveDay. The quarter runs over
// 28 February of a year without a 29th and over the switch to daylight
// saving time (2027-03-14).
const (
	fairSeed    = 17
	fairDays    = 91
	fairPerDay  = 10
	fairCap     = 7
	fairBook    = 300
	fairOther   = 100
	fairMoved   = 40
	fairMoveDay = 45 // the lists of this day are the first after the move
	fairA       = "nyc-a1"
	fairB       = "nyc-a2"
	fairFrom    = "nyc-a3"
	fairStore   = "nyc"
	fairFeb29   = "c150" // born on a 29 February
	// fairSilent is a moved client who never answers: every outcome
	// logged for it is no_answer, so it stays new to the book past
	// NewClientDays.
	fairSilent = "r00"
)

// fairStart is the quarter's first day (a date: the store's zone gives
// the times).
var fairStart = time.Date(2027, time.January, 1, 0, 0, 0, 0, time.UTC)

// fairReasons are the contract's task reasons (CONTRACT section 3); an
// invitation is event_invite:<campaign_id>.
var fairReasons = []string{today.ReasonNewClient, today.ReasonBirthday, today.ReasonAnniversary, today.ReasonThankYou,
	today.ReasonRepairReady, today.ReasonReconnect}

func fairReason(r string) bool {
	id, ok := strings.CutPrefix(r, today.ReasonEventInvite+":")
	return slices.Contains(fairReasons, r) || ok && id != ""
}

// fair is the state of the simulation: the real embedded store, the
// service over it as the wiring builds it, the store's clock, and what
// the test knows happened.
type fair struct {
	t   *testing.T
	ctx context.Context
	db  *embedded.DB
	svc *today.Service
	loc *time.Location
	now time.Time
	rng *rand.Rand
	ids []string // every customer, in id order
	// book is the associate whose book each client is in; gone why a
	// client may not be listed any more (do_not_contact, voice denied,
	// erased).
	book map[string]string
	gone map[string]string
	// count, occ and fresh are each client's appearances on its
	// associate's lists: all, birthday or anniversary, new_client.
	count, occ, fresh map[string]int
	moved             map[string]bool
	// reached is when a contact outcome was first logged for each moved
	// client; firstNew the day each was first listed new_client.
	reached  map[string]time.Time
	firstNew map[string]int
	feb29    []string // the days the client born on 29 February was listed for it
}

// TestTodayFairQuarter runs a quarter of daily lists on the embedded
// store: every day each list is read (twice: the same tasks), checked
// against the records as they were before it was made, and ~70% of its
// tasks get an outcome; in the evenings clients get marketing mail (the
// fatigue cap), lose their voice consent or are erased. Mid-quarter 40
// clients move into the book. Then: every reachable client of each book
// was listed, and none more than twice the median but for its birthday,
// anniversary or new_client tasks.
func TestTodayFairQuarter(t *testing.T) {
	f := newFair(t)
	f.seed()
	for d := range fairDays {
		date := fairStart.AddDate(0, 0, d)
		day := date.Format(time.DateOnly)
		if d == fairMoveDay {
			f.move(date)
		}
		// The morning: both lists are made (neither touches the other's
		// clients), then worked.
		f.at(date, 9, 30)
		pre := f.snapshot()
		lists := map[string]today.View{}
		for _, a := range []string{fairA, fairB} {
			v := f.read(a)
			lists[a] = v
			f.checkList(a, day, v, pre)
			if again := f.read(a); !slices.Equal(fairTasks(again), fairTasks(v)) {
				t.Fatalf("%s %s: the second read differs: got %v, want %v", a, day, fairTasks(again), fairTasks(v))
			}
			for _, tk := range v.Tasks {
				f.count[tk.CustomerID]++
				switch tk.Reason {
				case today.ReasonBirthday, today.ReasonAnniversary:
					f.occ[tk.CustomerID]++
					if tk.CustomerID == fairFeb29 && tk.Reason == today.ReasonBirthday {
						f.feb29 = append(f.feb29, day)
					}
				case today.ReasonNewClient:
					f.fresh[tk.CustomerID]++
					if _, ok := f.firstNew[tk.CustomerID]; !ok {
						f.firstNew[tk.CustomerID] = d
					}
				}
			}
			if a == fairA && d == fairMoveDay {
				f.checkFirstAfterMove(v, pre)
			}
		}
		f.at(date, 10, 0)
		logged := map[string]string{}
		for _, a := range []string{fairA, fairB} {
			f.work(a, lists[a], logged)
		}
		f.at(date, 17, 0)
		for _, a := range []string{fairA, fairB} {
			for _, tk := range f.read(a).Tasks {
				want, ok := logged[tk.TaskID]
				if ok && (tk.Outcome == nil || *tk.Outcome != want) || !ok && tk.Outcome != nil {
					t.Fatalf("%s %s: task of %s shows outcome %v in the evening, want %q", a, day, tk.CustomerID, tk.Outcome, want)
				}
			}
		}
		f.at(date, 19, 0)
		f.events()
	}
	f.checkMoved()
	f.checkFeb29()
	f.checkFair(fairA)
	f.checkFair(fairB)
}

func newFair(t *testing.T) *fair {
	db, err := embedded.Open(filepath.Join(t.TempDir(), "loupe.db"))
	if err != nil {
		t.Fatalf("open embedded: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	f := &fair{t: t, ctx: context.Background(), db: db, loc: loc, rng: rand.New(rand.NewPCG(fairSeed, 2027)),
		book: map[string]string{}, gone: map[string]string{}, count: map[string]int{}, occ: map[string]int{},
		fresh: map[string]int{}, moved: map[string]bool{}, reached: map[string]time.Time{}, firstNew: map[string]int{}}
	// A test may build the service; outside tests only the wiring does.
	f.svc = &today.Service{Records: db, Book: db, Store: db, PerDay: fairPerDay, Cap: fairCap,
		Now: func() time.Time { return f.now }, Log: slog.New(slog.DiscardHandler)}
	return f
}

func (f *fair) ok(what string, err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatalf("%s: %v", what, err)
	}
}

// at sets the clock to hh:mm store-local on date's day.
func (f *fair) at(date time.Time, hh, mm int) {
	f.now = time.Date(date.Year(), date.Month(), date.Day(), hh, mm, 0, 0, f.loc)
}

// seed writes the store, the three associates and their books: dates of
// birth and anniversaries over the year (some clients without), one born
// on a 29 February, earlier listings and contacts over the past year,
// some inside the cap when the quarter starts.
func (f *fair) seed() {
	at := fairStart.Add(-24 * time.Hour)
	f.ok("put store", loupe.PutStore(f.ctx, f.db, loupe.Store{StoreID: fairStore, Name: "Fifth Avenue",
		Timezone: "America/New_York", Country: "US", PostalAddress: "1 Fifth Ave, New York", FromEmail: "nyc@loupe.example.com"}))
	for _, a := range []string{fairA, fairB, fairFrom} {
		f.ok("put "+a, loupe.PutAssociate(f.ctx, f.db, loupe.Associate{AssociateID: a, StoreID: fairStore,
			Name: "Associate " + a, Status: loupe.StatusActive, UpdatedAt: at}))
	}
	dayOfYear := func() time.Time { return fairStart.AddDate(0, 0, f.rng.IntN(365)) }
	put := func(id, associate string, i int) {
		c := loupe.Customer{CustomerID: id, HomeStoreID: fairStore, FirstName: "First" + id, LastName: "Last" + id,
			Email: id + "@client.example.com", Phone: fmt.Sprintf("+1212555%04d", i), AssociateID: associate,
			EmailSource: loupe.EmailSourcePOS, EmailCapturedAt: at, EmailStatus: loupe.EmailOK, UpdatedAt: at}
		if associate == fairFrom {
			c.ListedAt = at.Add(-time.Duration(1+f.rng.IntN(90*24)) * time.Hour) // listed by their associate
		} else {
			if f.rng.Float64() < 0.8 {
				d := dayOfYear()
				c.Birthday = loupe.Date{Year: 1950 + f.rng.IntN(50), Month: d.Month(), Day: d.Day()}
			}
			if f.rng.Float64() < 0.35 {
				d := dayOfYear()
				c.Anniversary = loupe.Date{Month: d.Month(), Day: d.Day()}
			}
			if f.rng.Float64() < 0.6 {
				c.ListedAt = at.Add(-time.Duration(1+f.rng.IntN(200*24)) * time.Hour)
			}
			if f.rng.Float64() < 0.4 {
				c.LastPersonalContactAt = at.Add(-time.Duration(1+f.rng.IntN(400*24)) * time.Hour)
				c.LastContactAt = c.LastPersonalContactAt
			}
			if f.rng.Float64() < 0.15 { // a recent message: some start inside the cap
				c.LastContactAt = at.Add(-time.Duration(1+f.rng.IntN(20*24)) * time.Hour)
			}
		}
		if id == fairFeb29 {
			c.Birthday = loupe.Date{Year: 1988, Month: time.February, Day: 29}
		}
		// Loupe's own fields (listings, contacts) as a year of use left
		// them: written whole, as no POS write could.
		f.ok("put "+id, f.db.UpdateCustomer(f.ctx, id, func(*loupe.Customer, time.Time) (loupe.Customer, bool, error) {
			return c, true, nil
		}))
		f.ids = append(f.ids, id)
		f.book[id] = associate
	}
	for i := range fairBook {
		put(fmt.Sprintf("c%03d", i), fairA, i)
	}
	for i := range fairOther {
		put(fmt.Sprintf("d%03d", i), fairB, 1000+i)
	}
	for i := range fairMoved {
		put(fmt.Sprintf("r%02d", i), fairFrom, 2000+i)
	}
	slices.Sort(f.ids)
}

// move moves the fairMoved clients into fairA's book the evening before
// date (a reassignment).
func (f *fair) move(date time.Time) {
	f.at(date.AddDate(0, 0, -1), 18, 0)
	for i := range fairMoved {
		id := fmt.Sprintf("r%02d", i)
		f.ok("move "+id, loupe.MoveCustomerTo(f.ctx, f.db, id, fairFrom, fairA, f.now))
		f.book[id] = fairA
		f.moved[id] = true
	}
}

// snapshot reads every customer as it is before a list is made.
func (f *fair) snapshot() map[string]loupe.Customer {
	cs, err := f.db.GetCustomers(f.ctx, f.ids)
	f.ok("snapshot", err)
	out := make(map[string]loupe.Customer, len(cs))
	for _, c := range cs {
		out[c.CustomerID] = c
	}
	return out
}

func (f *fair) read(associate string) today.View {
	f.t.Helper()
	v, err := f.svc.Today(f.ctx, associate, "")
	f.ok(fmt.Sprintf("today of %s at %s", associate, f.now), err)
	return v
}

// work logs outcomes on a random ~70% of v's tasks, some minutes apart,
// into logged (by task id): mostly reached, some messages left, calls not
// answered, texts and visits, rarely do_not_contact or a wrong number.
func (f *fair) work(associate string, v today.View, logged map[string]string) {
	for _, tk := range v.Tasks {
		if f.rng.Float64() >= 0.7 {
			continue
		}
		f.now = f.now.Add(7 * time.Minute)
		var o string
		switch p := f.rng.Float64(); {
		case tk.CustomerID == fairSilent:
			o = loupe.OutcomeNoAnswer
		case p < 0.55:
			o = loupe.OutcomeReached
		case p < 0.70:
			o = loupe.OutcomeLeftMessage
		case p < 0.84:
			o = loupe.OutcomeNoAnswer
		case p < 0.91:
			o = loupe.OutcomeTexted
		case p < 0.97:
			o = loupe.OutcomeVisited
		case p < 0.985:
			o = loupe.OutcomeDoNotContact
		default:
			o = loupe.OutcomeWrongNumber
		}
		got, err := f.svc.LogOutcome(f.ctx, tk.TaskID, o, "", associate)
		f.ok(fmt.Sprintf("%s: log %s on %s", associate, o, tk.CustomerID), err)
		if got.Outcome == nil || *got.Outcome != o {
			f.t.Fatalf("%s: logged %s on %s, the task shows %v", associate, o, tk.CustomerID, got.Outcome)
		}
		logged[tk.TaskID] = o
		switch {
		case o == loupe.OutcomeDoNotContact:
			f.gone[tk.CustomerID] = "do_not_contact"
		case loupe.IsContactOutcome(o) && f.moved[tk.CustomerID]:
			if _, ok := f.reached[tk.CustomerID]; !ok {
				f.reached[tk.CustomerID] = f.now
			}
		}
	}
}

// events are the evening's other changes, on clients of the first two
// books (not the moved ones, nor the client born on 29 February): often a
// message by email (a contact: the fatigue cap), sometimes a voice consent
// denied, rarely an erasure.
func (f *fair) events() {
	pick := func() string {
		for {
			id := f.ids[f.rng.IntN(len(f.ids))]
			if !f.moved[id] && f.book[id] != fairFrom && id != fairFeb29 && f.gone[id] != "erased" {
				return id
			}
		}
	}
	if f.rng.Float64() < 0.6 {
		id := pick()
		f.ok("email "+id, loupe.RecordContact(f.ctx, f.db, loupe.Contact{CustomerID: id, At: f.now, Channel: "email",
			Touchpoint: "holiday", By: loupe.ContactByLoupe, Status: "sent", Ref: "mail:" + id + ":" + f.now.Format(time.DateOnly)}))
	}
	if f.rng.Float64() < 0.05 {
		id := pick()
		f.ok("deny voice of "+id, f.db.UpdateCustomer(f.ctx, id, func(c *loupe.Customer, _ time.Time) (loupe.Customer, bool, error) {
			out, changed := loupe.ApplyConsent(*c, "voice", loupe.Consent{Status: loupe.ConsentDenied, At: f.now, Source: "pos"})
			return out, changed, nil
		}))
		f.gone[id] = "voice denied"
	}
	if f.rng.Float64() < 0.03 {
		id := pick()
		f.ok("erase "+id, f.db.EraseCustomer(f.ctx, id, f.now))
		f.gone[id] = "erased"
	}
}

// isNew reports whether c counts as new_client to associate now.
func (f *fair) isNew(associate string, c loupe.Customer) bool {
	return c.IsNewTo(associate) && f.now.Sub(c.NewSince) < today.NewClientDays*24*time.Hour
}

// listable reports whether c may go on associate's list now for reason,
// as far as the test knows: in the book, reachable personally and, for a
// marketing task (today.Marketing), outside the cap.
func (f *fair) listable(associate, reason string, c loupe.Customer) bool {
	return c.AssociateID == associate && f.book[c.CustomerID] == associate && f.gone[c.CustomerID] == "" &&
		c.DoNotContactAt.IsZero() && c.ConsentOf("voice").Status != loupe.ConsentDenied &&
		(!today.Marketing(reason) || !fairInCap(c, f.now))
}

// fairInCap reports whether c's last contact holds the cap closed on the
// store-local day of now: it opens on the store-local day of the contact
// plus fairCap days, as the planner counts (a contact on Monday evening,
// the next list the Monday after).
func fairInCap(c loupe.Customer, now time.Time) bool {
	if c.LastContactAt.IsZero() {
		return false
	}
	loc := now.Location()
	last := c.LastContactAt.In(loc)
	open := time.Date(last.Year(), last.Month(), last.Day()+fairCap, 0, 0, 0, 0, loc)
	return now.Before(open)
}

// checkList checks one day's list of associate against the records as
// they were before it was made (pre): its length, no client twice, the
// day's task ids, the contract's reasons, every client in the book,
// reachable personally and (for a marketing task) outside the cap;
// occasions in the coming week; new clients first, least recently listed
// first, at least half of the list when there are that many, and none
// left off for a reconnect.
func (f *fair) checkList(associate, day string, v today.View, pre map[string]loupe.Customer) {
	t := f.t
	if v.Date != day || v.AssociateID != associate || v.StoreID != fairStore {
		t.Fatalf("%s %s: list of %s %s in %s", associate, day, v.AssociateID, v.Date, v.StoreID)
	}
	if len(v.Tasks) != fairPerDay { // each book has clients to spare
		t.Errorf("%s %s: %d tasks, want %d", associate, day, len(v.Tasks), fairPerDay)
	}
	seen := map[string]bool{}
	nNew, reconnects, other := 0, 0, false
	var lastNew loupe.Customer
	for i, tk := range v.Tasks {
		id := tk.CustomerID
		where := fmt.Sprintf("%s %s task %d (%s, %s)", associate, day, i, id, tk.Reason)
		if seen[id] {
			t.Errorf("%s: client listed twice", where)
		}
		seen[id] = true
		if want := today.TaskID(day, associate, id); tk.TaskID != want {
			t.Errorf("%s: task id %q, want %q", where, tk.TaskID, want)
		}
		if !fairReason(tk.Reason) {
			t.Errorf("%s: reason is not one of the contract's", where)
		}
		if f.book[id] != associate {
			t.Errorf("%s: the client is in the book of %q", where, f.book[id])
		}
		if why := f.gone[id]; why != "" {
			t.Errorf("%s: listed after %s", where, why)
		}
		c, ok := pre[id]
		if !ok {
			t.Errorf("%s: not a stored client", where)
			continue
		}
		if c.AssociateID != associate {
			t.Errorf("%s: stored in the book of %q", where, c.AssociateID)
		}
		if !c.DoNotContactAt.IsZero() || c.ConsentOf("voice").Status == loupe.ConsentDenied {
			t.Errorf("%s: may not be contacted personally (do_not_contact %v, voice %q)", where, c.DoNotContactAt, c.ConsentOf("voice").Status)
		}
		if today.Marketing(tk.Reason) && fairInCap(c, f.now) {
			t.Errorf("%s: last contact %s is inside the %d-day cap at %s", where, c.LastContactAt, fairCap, f.now)
		}
		switch tk.Reason {
		case today.ReasonBirthday, today.ReasonAnniversary:
			date := c.Birthday
			if tk.Reason == today.ReasonAnniversary {
				date = c.Anniversary
			}
			if tk.Date == nil || !fairInWeek(day, *tk.Date, date) {
				t.Errorf("%s: %s %s shown for %v, not in the 7 days from %s", where, tk.Reason, date.MonthDay(), tk.Date, day)
			}
		case today.ReasonNewClient:
			if !f.isNew(associate, c) {
				t.Errorf("%s: new_client but not new to the book (new to %q since %s)", where, c.NewTo, c.NewSince)
			}
			if at, ok := f.reached[id]; ok && at.Before(f.now) {
				t.Errorf("%s: new_client after a contact logged at %s", where, at)
			}
			if other {
				t.Errorf("%s: new_client after tasks of another reason", where)
			}
			if nNew > 0 && fairTurnBefore(c, lastNew) {
				t.Errorf("%s: listed at %s, after %s listed at %s", where, c.ListedAt, lastNew.CustomerID, lastNew.ListedAt)
			}
			nNew, lastNew = nNew+1, c
			continue
		case today.ReasonReconnect:
			reconnects++
		}
		other = true
	}
	// The new clients listed are the least recently listed of those that
	// may be, at least half of the list when there are that many, and
	// none waits while a reconnect is listed.
	waiting := 0
	for id, c := range pre {
		if seen[id] || !f.isNew(associate, c) || !f.listable(associate, today.ReasonNewClient, c) {
			continue
		}
		waiting++
		if nNew == 0 || fairTurnBefore(c, lastNew) {
			t.Errorf("%s %s: new client %s (listed %s) left off for %s (listed %s)", associate, day, id, c.ListedAt,
				lastNew.CustomerID, lastNew.ListedAt)
		}
	}
	if waiting > 0 && (nNew < (fairPerDay+1)/2 || reconnects > 0) {
		t.Errorf("%s %s: %d new_client tasks and %d reconnect while %d more new clients wait", associate, day, nNew, reconnects, waiting)
	}
}

// fairTurnBefore reports whether a comes before b among new clients:
// listed earlier, or at the same time with a smaller id.
func fairTurnBefore(a, b loupe.Customer) bool {
	if !a.ListedAt.Equal(b.ListedAt) {
		return a.ListedAt.Before(b.ListedAt)
	}
	return a.CustomerID < b.CustomerID
}

// checkFirstAfterMove: the first list after the move starts with the
// moved clients, new_client, the least recently listed first.
func (f *fair) checkFirstAfterMove(v today.View, pre map[string]loupe.Customer) {
	var moved []loupe.Customer
	for id := range f.moved {
		moved = append(moved, pre[id])
	}
	slices.SortFunc(moved, func(a, b loupe.Customer) int {
		if fairTurnBefore(a, b) {
			return -1
		}
		return 1
	})
	var got, want []string
	for i, tk := range v.Tasks {
		if tk.Reason != today.ReasonNewClient {
			break
		}
		got = append(got, tk.CustomerID)
		want = append(want, moved[i].CustomerID)
	}
	if len(got) < (fairPerDay+1)/2 || !slices.Equal(got, want) {
		f.t.Errorf("first list after the move starts with new clients %v, want at least %d, the least recently listed %v",
			got, (fairPerDay+1)/2, want)
	}
}

// checkMoved: every moved client was listed new_client within the days
// the new clients' share of the list takes to go through them (at least
// half a list a day), and a client reached is new_client no more.
func (f *fair) checkMoved() {
	t := f.t
	within := fairCeilDiv(fairMoved, (fairPerDay+1)/2)
	last := 0
	for id := range f.moved {
		d, ok := f.firstNew[id]
		switch {
		case !ok && f.gone[id] == "":
			t.Errorf("moved client %s never listed new_client", id)
		case ok && d-fairMoveDay >= within:
			t.Errorf("moved client %s first listed new_client %d days after the move, want within %d", id, d-fairMoveDay+1, within)
		}
		last = max(last, d-fairMoveDay+1)
	}
	t.Logf("the %d moved clients were all listed new_client within %d days (the bound: %d at half a list a day; %d at a whole list)",
		fairMoved, last, within, fairCeilDiv(fairMoved, fairPerDay))
	if len(f.reached) == 0 {
		t.Errorf("no moved client was reached: the end of new_client went untested")
	}
	cs, err := f.db.GetCustomers(f.ctx, slices.Sorted(maps.Keys(f.reached)))
	f.ok("moved clients", err)
	for _, c := range cs {
		if c.IsNewTo(fairA) {
			t.Errorf("moved client %s reached at %s is still new to the book", c.CustomerID, f.reached[c.CustomerID])
		}
	}
}

// checkFeb29: the client born on 29 February is listed for its birthday
// in the week before 28 February, and only then.
func (f *fair) checkFeb29() {
	if len(f.feb29) == 0 {
		f.t.Errorf("%s (born on 29 February) never listed for its birthday", fairFeb29)
	}
	for _, d := range f.feb29 {
		if d < "2027-02-22" || d > "2027-02-28" {
			f.t.Errorf("%s listed for its 29 February birthday on %s", fairFeb29, d)
		}
	}
}

// checkFair checks the quarter of associate's book: every client still in
// it and reachable was listed, and none more than twice the median but
// for its birthday, anniversary and new_client tasks (the occasions that
// call for it).
func (f *fair) checkFair(associate string) {
	t := f.t
	var counts []int
	var ids []string
	out := 0
	for _, id := range f.ids {
		switch {
		case f.book[id] != associate:
		case f.gone[id] != "":
			out++
		default:
			ids = append(ids, id)
			counts = append(counts, f.count[id])
		}
	}
	sorted := slices.Sorted(slices.Values(counts))
	median := sorted[len(sorted)/2]
	maxTurns := 0
	for i, id := range ids {
		n, turns := counts[i], counts[i]-f.occ[id]-f.fresh[id]
		maxTurns = max(maxTurns, turns)
		if n == 0 {
			t.Errorf("%s: client %s (reachable, in the book) never listed in %d days", associate, id, fairDays)
		}
		if turns > 2*median {
			t.Errorf("%s: client %s listed %d times (%d for occasions, %d new_client), more than twice the median %d",
				associate, id, n, f.occ[id], f.fresh[id], median)
		}
	}
	t.Logf("%s: %d reachable clients of the book (%d out of reach) over %d days: appearances min %d, median %d, max %d; "+
		"max %d without birthdays, anniversaries and new_client", associate, len(ids), out, fairDays,
		sorted[0], median, sorted[len(sorted)-1], maxTurns)
}

// fairInWeek reports whether shown (YYYY-MM-DD) is in the 7 days from day
// and falls on date's month-day (a 29 February on 28 February in a year
// without one).
func fairInWeek(day, shown string, date loupe.Date) bool {
	d, err1 := time.Parse(time.DateOnly, day)
	s, err2 := time.Parse(time.DateOnly, shown)
	if err1 != nil || err2 != nil || s.Before(d) || !s.Before(d.AddDate(0, 0, today.OccasionDays)) {
		return false
	}
	md := s.Format("01-02")
	return md == date.MonthDay() || date.MonthDay() == "02-29" && md == "02-28" && s.AddDate(0, 0, 1).Month() == time.March
}

// fairTasks is a list's task ids and reasons, in order.
func fairTasks(v today.View) []string {
	var out []string
	for _, tk := range v.Tasks {
		out = append(out, tk.TaskID+"/"+tk.Reason)
	}
	return out
}

func fairCeilDiv(a, b int) int { return (a + b - 1) / b }
