// Package todaytest is the contract suite of today.Store (the daily
// outreach lists, their outcomes and the due items) and today.Book (an
// associate's book in turn order and by occasion, and the batch read of
// customers): every adapter (embedded, dynamo on dynalite) runs the same
// cases through Run. It also checks what the Today list needs of the
// customer records: the fields Loupe owns for it (new_since, new_to,
// listed_at, do_not_contact_at, wrong_phone) survive the store and a later
// POS write, and a contact's note survives the history.
package todaytest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/storetest"
	"github.com/loupehq/loupe/shared/today"
)

// Records is what the cases seed customers through (loupe.PutCustomer,
// loupe.MoveCustomerTo, loupe.RecordContact, UpdateCustomer) and erase
// them with (loupe.Erase).
type Records interface {
	loupe.DB
	loupe.Privacy
}

// T0 is the base instant of the cases: 2026-12-07 14:03:02.123456789 UTC
// (sub-second on purpose, so adapters must keep nanoseconds).
var T0 = time.Date(2026, time.December, 7, 14, 3, 2, 123456789, time.UTC)

// Day is the store-local day of T0, the day most lists of the cases are
// made for.
const Day = "2026-12-07"

// Racers is how many goroutines the racing cases start.
const Racers = 8

// zone is a store's zone: times handed in with it must come back as the
// same instants.
var zone = time.FixedZone("EST", -5*3600)

var ctx = context.Background()

// env is one store under test: open returns the three views of it.
type env struct {
	store today.Store
	book  today.Book
	db    Records
}

type testCase struct {
	name string
	run  func(t *testing.T, e env)
}

// Run runs the today.Store and today.Book contract against the adapter
// open returns: open is called once per case and returns the adapter's
// today.Store, today.Book and records over one empty store (usually the
// same value three times), registering its own cleanup with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) (today.Store, today.Book, Records)) {
	t.Helper()
	groups := []struct {
		name  string
		cases []testCase
	}{
		{"Lists", listCases},
		{"Outcomes", outcomeCases},
		{"Due", dueCases},
		{"Book", bookCases},
		{"Customers", customerCases},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.cases {
				t.Run(tc.name, func(t *testing.T) {
					s, b, db := open(t)
					tc.run(t, env{store: s, book: b, db: db})
				})
			}
		})
	}
}

// must fails the test at once on err.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantNotFound fails the test unless err wraps loupe.ErrNotFound.
func wantNotFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, loupe.ErrNotFound) {
		t.Fatalf("%s: got error %v, want one wrapping loupe.ErrNotFound", what, err)
	}
}

// race runs fn(0) to fn(Racers-1) at once and waits for them all.
func race(fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range Racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

// ---- lists -----------------------------------------------------------------

// task returns customer's task on associate's list of day, for reason.
func task(day, associate, customer, reason, ref string) today.Task {
	return today.Task{TaskID: today.TaskID(day, associate, customer), CustomerID: customer, Reason: reason, Ref: ref}
}

// list returns associate's list of day holding a task for each of
// customers (the first new_client, the second a birthday, the others
// reconnect), made at T0 in the store's zone.
func list(associate, day string, customers ...string) today.List {
	l := today.List{AssociateID: associate, StoreID: "s1", Day: day, CreatedAt: T0.In(zone)}
	for i, c := range customers {
		switch i {
		case 0:
			l.Tasks = append(l.Tasks, task(day, associate, c, today.ReasonNewClient, ""))
		case 1:
			l.Tasks = append(l.Tasks, task(day, associate, c, today.ReasonBirthday, "2026-12-09"))
		default:
			l.Tasks = append(l.Tasks, task(day, associate, c, today.ReasonReconnect, ""))
		}
	}
	return l
}

// normList drops zones and monotonic readings, and treats no tasks and an
// empty slice alike.
func normList(l today.List) today.List {
	l.CreatedAt = l.CreatedAt.UTC()
	if len(l.Tasks) == 0 {
		l.Tasks = nil
	} else {
		l.Tasks = slices.Clone(l.Tasks)
		for i := range l.Tasks {
			l.Tasks[i] = normTask(l.Tasks[i])
		}
	}
	return l
}

func normTask(k today.Task) today.Task {
	k.OutcomeAt = k.OutcomeAt.UTC()
	return k
}

// sameList fails t when got and want differ (times compared as instants).
func sameList(t *testing.T, what string, got, want today.List) {
	t.Helper()
	if g, w := normList(got), normList(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

func sameTask(t *testing.T, what string, got, want today.Task) {
	t.Helper()
	if g, w := normTask(got), normTask(want); g != w {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

func create(t *testing.T, s today.Store, l today.List) {
	t.Helper()
	ok, err := s.CreateList(ctx, l)
	must(t, "create list of "+l.AssociateID+" on "+l.Day, err)
	if !ok {
		t.Fatalf("create list of %s on %s: got false, want true (no list before)", l.AssociateID, l.Day)
	}
}

func getList(t *testing.T, s today.Store, associate, day string) today.List {
	t.Helper()
	l, err := s.GetList(ctx, associate, day)
	must(t, "get list of "+associate+" on "+day, err)
	return l
}

func listDays(ls []today.List) []string {
	out := []string{}
	for _, l := range ls {
		out = append(out, l.AssociateID+"/"+l.Day)
	}
	return out
}

var listCases = []testCase{
	{"GetListNotFound", func(t *testing.T, e env) {
		_, err := e.store.GetList(ctx, "a1", Day)
		wantNotFound(t, "list of an empty store", err)
		create(t, e.store, list("a1", "2026-12-06", "c1"))
		create(t, e.store, list("a2", Day, "c2"))
		_, err = e.store.GetList(ctx, "a1", Day)
		wantNotFound(t, "list of a1 on a day only a2 has one and a1 the day before", err)
	}},
	{"CreateListOnce", func(t *testing.T, e env) {
		first := list("a1", Day, "c1", "c2", "c3")
		create(t, e.store, first)
		sameList(t, "stored list", getList(t, e.store, "a1", Day), first)

		second := list("a1", Day, "c9")
		second.CreatedAt = T0.Add(time.Minute)
		second.StoreID = "s2"
		ok, err := e.store.CreateList(ctx, second)
		must(t, "second create", err)
		if ok {
			t.Errorf("second create of the day's list: got true, want false")
		}
		sameList(t, "list after the second create", getList(t, e.store, "a1", Day), first)

		// A day with nothing to do is a list too: made once.
		empty := list("a2", Day)
		create(t, e.store, empty)
		ok, err = e.store.CreateList(ctx, list("a2", Day, "c4"))
		if err != nil || ok {
			t.Errorf("create over an empty list: got %v, %v; want false, nil", ok, err)
		}
		sameList(t, "empty list", getList(t, e.store, "a2", Day), empty)
		sameList(t, "a1's list after a2's", getList(t, e.store, "a1", Day), first)
	}},
	{"CreateListRace", func(t *testing.T, e env) {
		lists := make([]today.List, Racers)
		for i := range lists {
			lists[i] = list("a1", Day, fmt.Sprintf("c%d", i), "c-shared")
			lists[i].CreatedAt = T0.Add(time.Duration(i) * time.Millisecond)
		}
		won := make([]bool, Racers)
		errs := make([]error, Racers)
		race(func(i int) { won[i], errs[i] = e.store.CreateList(ctx, lists[i]) })
		winner := -1
		for i := range Racers {
			must(t, fmt.Sprintf("racing create %d", i), errs[i])
			if won[i] {
				if winner >= 0 {
					t.Fatalf("racing creates: both %d and %d report true, want exactly one", winner, i)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatalf("racing creates: none reports true, want exactly one")
		}
		sameList(t, "the winner's list", getList(t, e.store, "a1", Day), lists[winner])
	}},
	{"GetListsInOrder", func(t *testing.T, e env) {
		lists := map[string]today.List{}
		for i, day := range []string{"2026-12-03", "2026-12-01", "2026-12-02", "2026-11-30"} {
			l := list("a1", day, fmt.Sprintf("c%d", i))
			l.CreatedAt = T0.AddDate(0, 0, -i)
			create(t, e.store, l)
			lists[day] = l
		}
		create(t, e.store, list("a2", "2026-12-04", "c9"))
		create(t, e.store, list("a2", "2026-12-02", "c9"))

		days := []string{"2026-12-02", "2026-12-04", "2026-12-03", "2026-11-29", "2026-12-01"}
		got, err := e.store.GetLists(ctx, "a1", days)
		must(t, "get lists", err)
		want := []string{"a1/2026-12-02", "a1/2026-12-03", "a1/2026-12-01"}
		if g := listDays(got); !slices.Equal(g, want) {
			t.Fatalf("lists of %v: got %v, want %v (those that exist, in the order asked, a1's only)", days, g, want)
		}
		for _, l := range got {
			sameList(t, "list of "+l.Day, l, lists[l.Day])
		}
		got, err = e.store.GetLists(ctx, "a1", nil)
		if err != nil || len(got) != 0 {
			t.Errorf("lists of no days: got %v, %v; want none", listDays(got), err)
		}
		got, err = e.store.GetLists(ctx, "a3", days)
		if err != nil || len(got) != 0 {
			t.Errorf("lists of an associate with none: got %v, %v; want none", listDays(got), err)
		}
		// A week: seven days, most without a list.
		week := []string{"2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-05", "2026-12-06"}
		got, err = e.store.GetLists(ctx, "a1", week)
		must(t, "get a week", err)
		if g, w := listDays(got), []string{"a1/2026-11-30", "a1/2026-12-01", "a1/2026-12-02", "a1/2026-12-03"}; !slices.Equal(g, w) {
			t.Errorf("lists of the week: got %v, want %v", g, w)
		}
	}},
	{"MarkList", func(t *testing.T, e env) {
		l := list("a1", Day, "c1", "c2")
		create(t, e.store, l)
		other := list("a1", "2026-12-08", "c1")
		create(t, e.store, other)
		must(t, "mark", e.store.MarkList(ctx, "a1", Day))
		want := l
		want.Marked = true
		sameList(t, "marked list", getList(t, e.store, "a1", Day), want)
		must(t, "mark again", e.store.MarkList(ctx, "a1", Day))
		sameList(t, "list marked twice", getList(t, e.store, "a1", Day), want)
		sameList(t, "the next day's list", getList(t, e.store, "a1", "2026-12-08"), other)

		must(t, "mark a missing list", e.store.MarkList(ctx, "a1", "2026-12-09"))
		_, err := e.store.GetList(ctx, "a1", "2026-12-09")
		wantNotFound(t, "list after marking a missing one", err)
		must(t, "mark a missing associate's list", e.store.MarkList(ctx, "a9", Day))
		_, err = e.store.GetList(ctx, "a9", Day)
		wantNotFound(t, "a9's list after marking it", err)

		// Marking keeps an outcome logged before, and an outcome logged
		// after keeps the mark.
		at := T0.Add(time.Hour)
		_, _, err = e.store.SetOutcome(ctx, "a1", "2026-12-08", other.Tasks[0].TaskID, loupe.OutcomeReached, "a1", at)
		must(t, "outcome", err)
		must(t, "mark with an outcome", e.store.MarkList(ctx, "a1", "2026-12-08"))
		_, _, err = e.store.SetOutcome(ctx, "a1", Day, l.Tasks[1].TaskID, loupe.OutcomeTexted, "a1", at)
		must(t, "outcome on a marked list", err)
		got := getList(t, e.store, "a1", "2026-12-08")
		if !got.Marked || got.Tasks[0].Outcome != loupe.OutcomeReached {
			t.Errorf("list with an outcome, then marked: got marked %v, outcome %q; want true, reached", got.Marked, got.Tasks[0].Outcome)
		}
		got = getList(t, e.store, "a1", Day)
		if !got.Marked || got.Tasks[1].Outcome != loupe.OutcomeTexted || got.Tasks[0].Outcome != "" {
			t.Errorf("marked list, then an outcome: got marked %v, outcomes %q, %q; want true, \"\", texted",
				got.Marked, got.Tasks[0].Outcome, got.Tasks[1].Outcome)
		}
	}},
}

// ---- outcomes --------------------------------------------------------------

var outcomeCases = []testCase{
	{"MarkApplied", func(t *testing.T, e env) {
		l := list("a1", Day, "c1", "c2")
		create(t, e.store, l)
		at := T0.Add(time.Hour)
		_, _, err := e.store.SetOutcome(ctx, "a1", Day, l.Tasks[0].TaskID, loupe.OutcomeReached, "a1", at)
		must(t, "outcome", err)
		must(t, "mark applied", e.store.MarkApplied(ctx, "a1", Day, l.Tasks[0].TaskID))
		must(t, "mark applied again", e.store.MarkApplied(ctx, "a1", Day, l.Tasks[0].TaskID))
		got := getList(t, e.store, "a1", Day)
		if !got.Tasks[0].Applied || got.Tasks[0].Outcome != loupe.OutcomeReached || got.Tasks[1].Applied {
			t.Errorf("after MarkApplied of task 0: %+v", got.Tasks)
		}
		// Nothing for a task, list or associate that is not there.
		must(t, "mark a task not on the list", e.store.MarkApplied(ctx, "a1", Day, "nope"))
		must(t, "mark on a missing list", e.store.MarkApplied(ctx, "a1", "2026-12-09", l.Tasks[0].TaskID))
		_, err = e.store.GetList(ctx, "a1", "2026-12-09")
		wantNotFound(t, "list after marking on a missing one", err)
		if n := len(getList(t, e.store, "a1", Day).Tasks); n != 2 {
			t.Errorf("marking a task not on the list changed the list: %d tasks", n)
		}
	}},
	{"FirstStands", func(t *testing.T, e env) {
		l := list("a1", Day, "c1", "c2", "c3")
		create(t, e.store, l)
		at := T0.Add(90 * time.Minute).In(zone)
		got, set, err := e.store.SetOutcome(ctx, "a1", Day, l.Tasks[1].TaskID, loupe.OutcomeReached, "a1", at)
		must(t, "first outcome", err)
		want := l.Tasks[1]
		want.Outcome, want.OutcomeAt, want.OutcomeBy = loupe.OutcomeReached, at, "a1"
		if !set {
			t.Errorf("first outcome: got false, want true")
		}
		sameTask(t, "task after the first outcome", got, want)

		got, set, err = e.store.SetOutcome(ctx, "a1", Day, l.Tasks[1].TaskID, loupe.OutcomeDoNotContact, "admin", at.Add(time.Minute))
		must(t, "second outcome", err)
		if set {
			t.Errorf("second outcome: got true, want false (the first stands)")
		}
		sameTask(t, "task after the second outcome", got, want)

		stored := getList(t, e.store, "a1", Day)
		wantList := l
		wantList.Tasks = slices.Clone(l.Tasks)
		wantList.Tasks[1] = want
		sameList(t, "list after the outcomes", stored, wantList)

		// The other tasks take their own.
		got, set, err = e.store.SetOutcome(ctx, "a1", Day, l.Tasks[0].TaskID, loupe.OutcomeNoAnswer, "admin", at.Add(2*time.Minute))
		must(t, "outcome of another task", err)
		want0 := l.Tasks[0]
		want0.Outcome, want0.OutcomeAt, want0.OutcomeBy = loupe.OutcomeNoAnswer, at.Add(2*time.Minute), "admin"
		if !set {
			t.Errorf("outcome of another task: got false, want true")
		}
		sameTask(t, "another task", got, want0)
		wantList.Tasks[0] = want0
		sameList(t, "list after two tasks' outcomes", getList(t, e.store, "a1", Day), wantList)
	}},
	{"NotFound", func(t *testing.T, e env) {
		at := T0.Add(time.Hour)
		_, _, err := e.store.SetOutcome(ctx, "a1", Day, today.TaskID(Day, "a1", "c1"), loupe.OutcomeReached, "a1", at)
		wantNotFound(t, "outcome on a list never made", err)
		l := list("a1", Day, "c1")
		create(t, e.store, l)
		_, _, err = e.store.SetOutcome(ctx, "a1", Day, today.TaskID(Day, "a1", "c2"), loupe.OutcomeReached, "a1", at)
		wantNotFound(t, "outcome of a client not on the list", err)
		_, _, err = e.store.SetOutcome(ctx, "a1", Day, "no-such-task", loupe.OutcomeReached, "a1", at)
		wantNotFound(t, "outcome of a task id that is none", err)
		_, _, err = e.store.SetOutcome(ctx, "a1", "2026-12-08", l.Tasks[0].TaskID, loupe.OutcomeReached, "a1", at)
		wantNotFound(t, "outcome on another day's list", err)
		_, _, err = e.store.SetOutcome(ctx, "a2", Day, l.Tasks[0].TaskID, loupe.OutcomeReached, "a1", at)
		wantNotFound(t, "outcome on another associate's list", err)
		sameList(t, "list after the misses", getList(t, e.store, "a1", Day), l)
		if _, err := e.store.GetList(ctx, "a1", "2026-12-08"); !errors.Is(err, loupe.ErrNotFound) {
			t.Errorf("list of the missed day: got %v, want ErrNotFound (an outcome makes no list)", err)
		}
	}},
	{"RaceOneWins", func(t *testing.T, e env) {
		l := list("a1", Day, "c1", "c2")
		create(t, e.store, l)
		id := l.Tasks[0].TaskID
		tasks := make([]today.Task, Racers)
		set := make([]bool, Racers)
		errs := make([]error, Racers)
		race(func(i int) {
			tasks[i], set[i], errs[i] = e.store.SetOutcome(ctx, "a1", Day, id, loupe.Outcomes[i%len(loupe.Outcomes)],
				fmt.Sprintf("a%d", i), T0.Add(time.Duration(i)*time.Second))
		})
		winner := -1
		for i := range Racers {
			must(t, fmt.Sprintf("racing outcome %d", i), errs[i])
			if set[i] {
				if winner >= 0 {
					t.Fatalf("racing outcomes: both %d and %d report true, want exactly one", winner, i)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatalf("racing outcomes: none reports true, want exactly one")
		}
		want := l.Tasks[0]
		want.Outcome, want.OutcomeAt, want.OutcomeBy = loupe.Outcomes[winner%len(loupe.Outcomes)], T0.Add(time.Duration(winner)*time.Second), fmt.Sprintf("a%d", winner)
		for i := range Racers {
			sameTask(t, fmt.Sprintf("task returned to racer %d", i), tasks[i], want)
		}
		stored := getList(t, e.store, "a1", Day)
		sameTask(t, "stored task", stored.Tasks[0], want)
		sameTask(t, "the other task", stored.Tasks[1], l.Tasks[1])
	}},
	{"RaceOnTasksLosesNone", func(t *testing.T, e env) {
		// Outcomes of every task of one list and the list's mark, all at
		// once: each is kept (no write of one task loses another's).
		customers := make([]string, Racers)
		for i := range customers {
			customers[i] = fmt.Sprintf("c%d", i)
		}
		l := list("a1", Day, customers...)
		create(t, e.store, l)
		set := make([]bool, Racers)
		errs := make([]error, Racers)
		var markErr error
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); markErr = e.store.MarkList(ctx, "a1", Day) }()
		race(func(i int) {
			_, set[i], errs[i] = e.store.SetOutcome(ctx, "a1", Day, l.Tasks[i].TaskID, loupe.OutcomeTexted, "a1", T0.Add(time.Duration(i)*time.Second))
		})
		wg.Wait()
		must(t, "racing mark", markErr)
		stored := getList(t, e.store, "a1", Day)
		if !stored.Marked {
			t.Errorf("list marked while outcomes were logged: got unmarked")
		}
		for i := range Racers {
			must(t, fmt.Sprintf("outcome of task %d", i), errs[i])
			if !set[i] || stored.Tasks[i].Outcome != loupe.OutcomeTexted || !stored.Tasks[i].OutcomeAt.Equal(T0.Add(time.Duration(i)*time.Second)) {
				t.Errorf("task %d after racing outcomes on every task: set %v, stored %+v; want texted at T0+%ds", i, set[i], stored.Tasks[i], i)
			}
		}
	}},
}

// ---- due items -------------------------------------------------------------

// due returns a due item of associate for customer, ref, from..until.
func due(associate, customer, ref, from, until string) today.Due {
	return today.Due{AssociateID: associate, CustomerID: customer, Reason: today.ReasonThankYou, Ref: ref, From: from, Until: until}
}

func put(t *testing.T, s today.Store, d today.Due) {
	t.Helper()
	must(t, "put due "+d.Ref, s.PutDue(ctx, d))
}

func dueOn(t *testing.T, s today.Store, associate, day string) []today.Due {
	t.Helper()
	ds, err := s.DueOn(ctx, associate, day)
	must(t, "due of "+associate+" on "+day, err)
	return ds
}

func dueRefs(ds []today.Due) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, d.Ref)
	}
	return out
}

var dueCases = []testCase{
	{"PutDueOnce", func(t *testing.T, e env) {
		d := due("a1", "c1", "tp/c1/thank_you/p1", "2026-12-07", "2026-12-09")
		d.Planned = true
		put(t, e.store, d)
		other := today.Due{AssociateID: "a1", CustomerID: "c2", Reason: today.ReasonEventInvite + ":trunk-show",
			Ref: "tp/c1/thank_you/p1", From: "2026-12-01", Until: "2026-12-31"}
		put(t, e.store, other) // same associate and Ref: changes nothing
		put(t, e.store, d)     // the same again: changes nothing
		for _, day := range []string{"2026-12-07", "2026-12-08", "2026-12-09"} {
			got := dueOn(t, e.store, "a1", day)
			if len(got) != 1 || got[0] != d {
				t.Errorf("due on %s after putting Ref twice: got %+v, want only the first %+v", day, got, d)
			}
		}
		for _, day := range []string{"2026-12-01", "2026-12-06", "2026-12-10", "2026-12-31"} {
			if got := dueOn(t, e.store, "a1", day); len(got) != 0 {
				t.Errorf("due on %s (only in the second put's window): got %+v, want none", day, got)
			}
		}
		// Another associate's item with the same Ref is its own.
		d2 := due("a2", "c1", "tp/c1/thank_you/p1", "2026-12-10", "2026-12-10")
		put(t, e.store, d2)
		if got := dueOn(t, e.store, "a2", "2026-12-10"); len(got) != 1 || got[0] != d2 {
			t.Errorf("a2's item with a1's Ref: got %+v, want %+v", got, d2)
		}
		if got := dueOn(t, e.store, "a1", "2026-12-08"); len(got) != 1 || got[0] != d {
			t.Errorf("a1's item after a2's: got %+v, want %+v", got, d)
		}
	}},
	{"PutDueRace", func(t *testing.T, e env) {
		ds := make([]today.Due, Racers)
		for i := range ds {
			ds[i] = due("a1", fmt.Sprintf("c%d", i), "tp/c0/repair_ready/r1", "2026-12-07", fmt.Sprintf("2026-12-%02d", 10+i))
		}
		errs := make([]error, Racers)
		race(func(i int) { errs[i] = e.store.PutDue(ctx, ds[i]) })
		for i := range Racers {
			must(t, fmt.Sprintf("racing put %d", i), errs[i])
		}
		got := dueOn(t, e.store, "a1", "2026-12-07")
		if len(got) != 1 || !slices.Contains(ds, got[0]) {
			t.Fatalf("due after %d racing puts of one Ref: got %+v, want one of them", Racers, got)
		}
		// The one stored, with its own window.
		stored := got[0]
		if on := dueOn(t, e.store, "a1", stored.Until); len(on) != 1 || on[0] != stored {
			t.Errorf("due on %s, the stored item's last day: got %+v, want %+v", stored.Until, on, stored)
		}
		last, err := time.Parse(time.DateOnly, stored.Until)
		must(t, "parse until", err)
		after := last.AddDate(0, 0, 1).Format(time.DateOnly)
		if on := dueOn(t, e.store, "a1", after); len(on) != 0 {
			t.Errorf("due on %s, after the stored item's window: got %+v, want none", after, on)
		}
	}},
	{"DueOnWindow", func(t *testing.T, e env) {
		items := []today.Due{
			due("a1", "c5", "ref-e", "2026-11-20", "2026-12-04"), // ended before
			due("a1", "c3", "ref-c", "2026-12-05", "2026-12-31"),
			due("a1", "c1", "ref-z", "2026-12-01", "2026-12-10"),
			due("a1", "c4", "ref-d", "2026-12-06", "2026-12-06"), // begins after
			due("a1", "c2", "ref-b", "2026-12-05", "2026-12-05"),
			due("a1", "c6", "ref-a", "2026-12-05", "2026-12-07"),
			due("a2", "c7", "ref-0", "2026-12-05", "2026-12-05"), // another book
			due("a1", "c8", "ref-y", "2026-12-30", "2027-01-02"), // across the year
		}
		items[2].Planned = true
		items[2].Reason = today.ReasonEventInvite + ":holiday-preview"
		for _, d := range items {
			put(t, e.store, d)
		}
		byRef := map[string]today.Due{}
		for _, d := range items {
			if d.AssociateID == "a1" {
				byRef[d.Ref] = d
			}
		}
		for _, q := range []struct {
			day  string
			want []string
		}{
			{"2026-11-19", nil},
			{"2026-11-20", []string{"ref-e"}},
			{"2026-12-04", []string{"ref-e", "ref-z"}},
			{"2026-12-05", []string{"ref-z", "ref-a", "ref-b", "ref-c"}},
			{"2026-12-06", []string{"ref-z", "ref-a", "ref-c", "ref-d"}},
			{"2026-12-07", []string{"ref-z", "ref-a", "ref-c"}},
			{"2026-12-10", []string{"ref-z", "ref-c"}},
			{"2026-12-11", []string{"ref-c"}},
			{"2026-12-31", []string{"ref-c", "ref-y"}},
			{"2027-01-01", []string{"ref-y"}},
			{"2027-01-02", []string{"ref-y"}},
			{"2027-01-03", nil},
		} {
			got := dueOn(t, e.store, "a1", q.day)
			if g := dueRefs(got); !slices.Equal(g, append([]string{}, q.want...)) {
				t.Errorf("due of a1 on %s: got %v, want %v (From..Until inclusive, by From then Ref)", q.day, g, q.want)
				continue
			}
			for _, d := range got {
				if d != byRef[d.Ref] {
					t.Errorf("due %s on %s: got %+v, want %+v", d.Ref, q.day, d, byRef[d.Ref])
				}
			}
		}
		if g := dueRefs(dueOn(t, e.store, "a2", "2026-12-05")); !slices.Equal(g, []string{"ref-0"}) {
			t.Errorf("due of a2: got %v, want [ref-0]", g)
		}
		if g := dueOn(t, e.store, "a3", "2026-12-05"); len(g) != 0 {
			t.Errorf("due of an associate with none: got %+v", g)
		}
	}},
}

// ---- the book --------------------------------------------------------------

// seed stores customer id of associate (storetest.Customer) with mod
// applied to its POS fields, written by loupe.PutCustomer at T0.
func seed(t *testing.T, db Records, id, associate string, mod func(c *loupe.Customer)) {
	t.Helper()
	c := storetest.Customer(id, "s1", associate)
	c.UpdatedAt = T0.Add(-365 * 24 * time.Hour)
	if mod != nil {
		mod(&c)
	}
	must(t, "put customer "+id, loupe.PutCustomer(ctx, db, c))
}

// update changes Loupe's fields of stored customer id by fn, as the Today
// service does (UpdateCustomer).
func update(t *testing.T, db Records, id string, fn func(c *loupe.Customer)) {
	t.Helper()
	err := db.UpdateCustomer(ctx, id, func(stored *loupe.Customer, _ time.Time) (loupe.Customer, bool, error) {
		if stored == nil {
			return loupe.Customer{}, false, loupe.ErrNotFound
		}
		c := *stored
		fn(&c)
		return c, true, nil
	})
	must(t, "update customer "+id, err)
}

// listed sets customer id's ListedAt.
func listed(t *testing.T, db Records, id string, at time.Time) {
	t.Helper()
	update(t, db, id, func(c *loupe.Customer) { c.ListedAt = at })
}

// called sets customer id's LastPersonalContactAt (and LastContactAt).
func called(t *testing.T, db Records, id string, at time.Time) {
	t.Helper()
	update(t, db, id, func(c *loupe.Customer) { c.LastPersonalContactAt, c.LastContactAt = at, at })
}

func move(t *testing.T, db Records, id, from, to string, at time.Time) {
	t.Helper()
	must(t, "move "+id+" to "+to, loupe.MoveCustomerTo(ctx, db, id, from, to, at))
}

func ids(cs []loupe.Customer) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.CustomerID)
	}
	return out
}

// turnOrder reads associate's whole book with pages of size, checking each
// page, and returns the ids in the order read.
func turnOrder(t *testing.T, b today.Book, associate string, size int) []string {
	t.Helper()
	var out []string
	cursor := ""
	for page := 0; ; page++ {
		if page > 1000 {
			t.Fatalf("book of %s in pages of %d: no end after %d pages", associate, size, page)
		}
		cs, next, err := b.BookByTurn(ctx, associate, cursor, size)
		must(t, fmt.Sprintf("book of %s, page %d of size %d", associate, page, size), err)
		if len(cs) > size {
			t.Fatalf("book of %s, page %d: got %d clients, want at most %d", associate, page, len(cs), size)
		}
		if len(cs) == 0 && page > 0 {
			t.Fatalf("book of %s, page %d of size %d: empty page after cursor %q (the cursor must be \"\" when the book has no more)",
				associate, page, size, cursor)
		}
		for _, c := range cs {
			if c.AssociateID != associate {
				t.Errorf("book of %s: client %s belongs to %q", associate, c.CustomerID, c.AssociateID)
			}
		}
		out = append(out, ids(cs)...)
		if next == "" {
			return out
		}
		cursor = next
	}
}

// wantTurns fails t unless associate's book in turn order is want, read
// whole and in pages of 1, 2 and 3.
func wantTurns(t *testing.T, b today.Book, associate string, want []string, why string) {
	t.Helper()
	all, next, err := b.BookByTurn(ctx, associate, "", len(want)+10)
	must(t, "book of "+associate, err)
	if g := ids(all); !slices.Equal(g, append([]string{}, want...)) || next != "" {
		t.Fatalf("book of %s (%s): got %v, cursor %q; want %v, cursor \"\"", associate, why, g, next, want)
	}
	for size := 1; size <= 3; size++ {
		if g := turnOrder(t, b, associate, size); !slices.Equal(g, want) {
			t.Errorf("book of %s (%s) in pages of %d: got %v, want %v (each client once, in turn order)", associate, why, size, g, want)
		}
	}
}

// byTurnKey returns the ids of the stored customers ids sorted by
// TurnKey, then id: the order BookByTurn promises, from the records.
func byTurnKey(t *testing.T, db Records, ids []string) []string {
	t.Helper()
	type kc struct{ k, id string }
	var ks []kc
	for _, id := range ids {
		c, err := db.GetCustomer(ctx, id)
		must(t, "get "+id, err)
		ks = append(ks, kc{c.TurnKey(), id})
	}
	slices.SortFunc(ks, func(a, b kc) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.id
	}
	return out
}

// monthDay returns the ids of associate's clients whose field falls on md.
func monthDay(t *testing.T, b today.Book, associate, field, md string) []string {
	t.Helper()
	cs, err := b.BookByMonthDay(ctx, associate, field, md)
	must(t, fmt.Sprintf("%s of %s on %s", field, associate, md), err)
	for _, c := range cs {
		if c.AssociateID != associate {
			t.Errorf("%s of %s on %s: client %s belongs to %q", field, associate, md, c.CustomerID, c.AssociateID)
		}
	}
	return ids(cs)
}

func wantMonthDay(t *testing.T, b today.Book, associate, field, md string, want ...string) {
	t.Helper()
	if g := monthDay(t, b, associate, field, md); !slices.Equal(g, append([]string{}, want...)) {
		t.Errorf("%s of %s on %s: got %v, want %v", field, associate, md, g, want)
	}
}

const day = 24 * time.Hour

var bookCases = []testCase{
	{"ByTurnOrder", func(t *testing.T, e env) {
		db := e.db
		// Written out of id order, so neither the order of writes nor
		// the ids give the order of turns.
		for _, id := range []string{"c09", "c03", "c12", "c01", "c07", "c05", "c11", "c02", "c08", "c04", "c06"} {
			owner := "a1"
			if id == "c07" || id == "c08" || id == "c09" || id == "c11" || id == "c12" {
				owner = "a9" // moved to a1 below
			}
			seed(t, db, id, owner, nil)
		}
		seed(t, db, "c10", "a2", nil)
		seed(t, db, "c00", "a2", nil)
		called(t, db, "c00", T0.Add(-50*day)) // another book: never a1's

		called(t, db, "c02", T0.Add(-30*day))
		listed(t, db, "c03", T0.Add(-10*day).In(zone))
		called(t, db, "c03", T0.Add(-40*day))
		listed(t, db, "c04", T0.Add(-20*day))
		called(t, db, "c05", T0.Add(-5*day))
		listed(t, db, "c05", T0.Add(-20*day))
		move(t, db, "c07", "a9", "a1", T0.Add(-3*day))
		move(t, db, "c08", "a9", "a1", T0.Add(-2*day))
		listed(t, db, "c08", T0.Add(-1*day)) // listed, still new
		move(t, db, "c09", "a9", "a1", T0.Add(-4*day))
		must(t, "call c09", loupe.RecordContact(ctx, db, loupe.Contact{CustomerID: "c09", At: T0.Add(-time.Hour),
			Channel: loupe.ChannelPersonal, Outcome: loupe.OutcomeReached, By: "a1", Status: "logged", Ref: "call-c09"}))
		must(t, "move c11", loupe.MoveKnownCustomerTo(ctx, db, "c11", "a9", "a1", T0.Add(-6*day)))
		move(t, db, "c12", "a9", "a1", T0.Add(-5*day))
		listed(t, db, "c12", T0.Add(-2*day))

		want := []string{
			"c07", "c12", "c08", // new to the book: never listed, then least recently listed
			"c01", "c06", "c11", // never listed or called (same key: by id)
			"c02", "c04", "c03", "c05", "c09", // by the later of the last call and the last listing
		}
		if g := byTurnKey(t, db, want); !slices.Equal(g, want) {
			t.Fatalf("the records' TurnKey order is %v, the case expects %v: the case is wrong", g, want)
		}
		wantTurns(t, e.book, "a1", want, "seeded")
		wantTurns(t, e.book, "a2", []string{"c10", "c00"}, "a2's")
		cs, next, err := e.book.BookByTurn(ctx, "a3", "", 10)
		if err != nil || len(cs) != 0 || next != "" {
			t.Errorf("book of an associate with none: got %v, %q, %v; want none", ids(cs), next, err)
		}

		// The clients come whole.
		cs, _, err = e.book.BookByTurn(ctx, "a1", "", 3)
		must(t, "first page", err)
		for _, c := range cs {
			stored, err := db.GetCustomer(ctx, c.CustomerID)
			must(t, "get "+c.CustomerID, err)
			sameCustomer(t, "client "+c.CustomerID+" of the book", c, stored)
		}
	}},
	{"ByTurnFollowsWrites", func(t *testing.T, e env) {
		db := e.db
		for _, id := range []string{"c1", "c2", "c3"} {
			seed(t, db, id, "a1", nil)
		}
		seed(t, db, "c4", "a2", nil)
		listed(t, db, "c4", T0.Add(-day))
		wantTurns(t, e.book, "a1", []string{"c1", "c2", "c3"}, "never listed")

		listed(t, db, "c1", T0)
		wantTurns(t, e.book, "a1", []string{"c2", "c3", "c1"}, "c1 listed")
		called(t, db, "c3", T0.Add(time.Hour))
		wantTurns(t, e.book, "a1", []string{"c2", "c1", "c3"}, "c3 called after c1's listing")
		listed(t, db, "c1", T0.Add(2*time.Hour))
		wantTurns(t, e.book, "a1", []string{"c2", "c3", "c1"}, "c1 listed again")

		// A Loupe move: out of a1's book, first in a2's (new there).
		move(t, db, "c2", "a1", "a2", T0.Add(3*time.Hour))
		wantTurns(t, e.book, "a1", []string{"c3", "c1"}, "c2 moved away")
		wantTurns(t, e.book, "a2", []string{"c2", "c4"}, "c2 moved in")
		// Listed while new: still first; a call nobody answered is no
		// contact, so still new.
		listed(t, db, "c2", T0.Add(4*time.Hour))
		must(t, "no answer", loupe.RecordContact(ctx, db, loupe.Contact{CustomerID: "c2", At: T0.Add(5 * time.Hour),
			Channel: loupe.ChannelPersonal, Outcome: loupe.OutcomeNoAnswer, By: "a2", Status: "logged", Ref: "t1"}))
		wantTurns(t, e.book, "a2", []string{"c2", "c4"}, "c2 listed, not reached")
		// Reached: no longer new, to the back of the queue.
		must(t, "reached", loupe.RecordContact(ctx, db, loupe.Contact{CustomerID: "c2", At: T0.Add(6 * time.Hour),
			Channel: loupe.ChannelPersonal, Outcome: loupe.OutcomeReached, By: "a2", Status: "logged", Ref: "t2"}))
		wantTurns(t, e.book, "a2", []string{"c4", "c2"}, "c2 reached")

		// A POS write that gives the client another associate moves it too.
		c3 := storetest.Customer("c3", "s1", "a2")
		c3.UpdatedAt = T0.Add(7 * time.Hour)
		must(t, "POS moves c3", loupe.PutCustomer(ctx, db, c3))
		wantTurns(t, e.book, "a1", []string{"c1"}, "c3 moved by the POS")
		wantTurns(t, e.book, "a2", []string{"c4", "c3", "c2"}, "c3 in by the POS (not new: c3 was called)")

		// A POS write of other fields leaves the turn alone.
		c1 := storetest.Customer("c1", "s1", "a1")
		c1.FirstName, c1.UpdatedAt = "Renamed", T0.Add(8*time.Hour)
		must(t, "POS renames c1", loupe.PutCustomer(ctx, db, c1))
		wantTurns(t, e.book, "a1", []string{"c1"}, "c1 renamed")
		cs, _, err := e.book.BookByTurn(ctx, "a1", "", 1)
		must(t, "book", err)
		if len(cs) != 1 || cs[0].FirstName != "Renamed" || !cs[0].ListedAt.Equal(T0.Add(2*time.Hour)) {
			t.Errorf("c1 after the POS write: got %+v, want the new name and listed_at kept", cs)
		}
	}},
	{"ByTurnCursorAcrossWrites", func(t *testing.T, e env) {
		// A client that moves while the book is read in pages is read at
		// most once, and the pages go on from where they were.
		db := e.db
		for _, id := range []string{"c1", "c2", "c3", "c4"} {
			seed(t, db, id, "a1", nil)
		}
		cs, cursor, err := e.book.BookByTurn(ctx, "a1", "", 2)
		must(t, "first page", err)
		if g := ids(cs); !slices.Equal(g, []string{"c1", "c2"}) || cursor == "" {
			t.Fatalf("first page: got %v, cursor %q; want [c1 c2] and a cursor", g, cursor)
		}
		listed(t, db, "c1", T0) // to the back: after c4
		cs, cursor, err = e.book.BookByTurn(ctx, "a1", cursor, 2)
		must(t, "second page", err)
		if g := ids(cs); !slices.Equal(g, []string{"c3", "c4"}) || cursor == "" {
			t.Fatalf("second page: got %v, cursor %q; want [c3 c4] and a cursor (c1 is after them now)", g, cursor)
		}
		cs, cursor, err = e.book.BookByTurn(ctx, "a1", cursor, 2)
		must(t, "third page", err)
		if g := ids(cs); !slices.Equal(g, []string{"c1"}) || cursor != "" {
			t.Fatalf("third page: got %v, cursor %q; want [c1] and no cursor", g, cursor)
		}
	}},
	{"ByMonthDay", func(t *testing.T, e env) {
		db := e.db
		dec7 := loupe.Date{Year: 1980, Month: time.December, Day: 7}
		seed(t, db, "c9", "a1", func(c *loupe.Customer) { c.Birthday = dec7 })
		seed(t, db, "c10", "a1", func(c *loupe.Customer) { c.Birthday = loupe.Date{Month: time.December, Day: 7} })
		seed(t, db, "c1", "a1", func(c *loupe.Customer) {
			c.Birthday, c.Anniversary = loupe.Date{Year: 1975, Month: time.December, Day: 8}, loupe.Date{Year: 2001, Month: time.December, Day: 7}
		})
		seed(t, db, "c2", "a2", func(c *loupe.Customer) { c.Birthday, c.Anniversary = dec7, dec7 })
		seed(t, db, "c3", "a1", func(c *loupe.Customer) { c.Birthday, c.Anniversary = loupe.Date{}, loupe.Date{} })
		seed(t, db, "c4", "a1", func(c *loupe.Customer) { c.Birthday = loupe.Date{Year: 1984, Month: time.February, Day: 29} })

		wantMonthDay(t, e.book, "a1", "birthday", "12-07", "c10", "c9")
		wantMonthDay(t, e.book, "a1", "anniversary", "12-07", "c1")
		wantMonthDay(t, e.book, "a1", "birthday", "12-08", "c1")
		wantMonthDay(t, e.book, "a1", "anniversary", "12-08")
		wantMonthDay(t, e.book, "a1", "birthday", "02-29", "c4")
		wantMonthDay(t, e.book, "a1", "birthday", "12-09")
		wantMonthDay(t, e.book, "a2", "birthday", "12-07", "c2")
		wantMonthDay(t, e.book, "a2", "anniversary", "12-07", "c2")
		wantMonthDay(t, e.book, "a3", "birthday", "12-07")
		cs, err := e.book.BookByMonthDay(ctx, "a1", "birthday", "12-07")
		must(t, "birthdays", err)
		for _, c := range cs {
			stored, err := db.GetCustomer(ctx, c.CustomerID)
			must(t, "get "+c.CustomerID, err)
			sameCustomer(t, "client "+c.CustomerID+" by birthday", c, stored)
		}

		// A POS write moves the date; a Loupe move the book.
		c10 := storetest.Customer("c10", "s1", "a1")
		c10.Birthday, c10.UpdatedAt = loupe.Date{Month: time.December, Day: 9}, T0
		must(t, "POS moves c10's birthday", loupe.PutCustomer(ctx, db, c10))
		wantMonthDay(t, e.book, "a1", "birthday", "12-07", "c9")
		wantMonthDay(t, e.book, "a1", "birthday", "12-09", "c10")
		move(t, db, "c9", "a1", "a2", T0)
		wantMonthDay(t, e.book, "a1", "birthday", "12-07")
		wantMonthDay(t, e.book, "a2", "birthday", "12-07", "c2", "c9")
		move(t, db, "c1", "a1", "a2", T0)
		wantMonthDay(t, e.book, "a1", "anniversary", "12-07")
		wantMonthDay(t, e.book, "a2", "anniversary", "12-07", "c1", "c2")
		wantMonthDay(t, e.book, "a2", "birthday", "12-08", "c1")
		// A POS write that clears the date takes the client off the day.
		c2 := storetest.Customer("c2", "s1", "a2")
		c2.Birthday, c2.Anniversary, c2.UpdatedAt = dec7, loupe.Date{}, T0
		must(t, "POS clears c2's anniversary", loupe.PutCustomer(ctx, db, c2))
		wantMonthDay(t, e.book, "a2", "anniversary", "12-07", "c1")
		wantMonthDay(t, e.book, "a2", "birthday", "12-07", "c2", "c9")
	}},
	{"ErasedLeaveTheBook", func(t *testing.T, e env) {
		db := e.db
		dec7 := loupe.Date{Year: 1980, Month: time.December, Day: 7}
		for _, id := range []string{"c1", "c2", "c3"} {
			seed(t, db, id, "a1", func(c *loupe.Customer) { c.Birthday, c.Anniversary = dec7, dec7 })
		}
		must(t, "erase c2", loupe.Erase(ctx, db, "c2", T0))
		wantTurns(t, e.book, "a1", []string{"c1", "c3"}, "c2 erased")
		wantMonthDay(t, e.book, "a1", "birthday", "12-07", "c1", "c3")
		wantMonthDay(t, e.book, "a1", "anniversary", "12-07", "c1", "c3")
	}},
}

// ---- customers -------------------------------------------------------------

// normCustomer drops what the stores may keep differently: zones,
// monotonic readings, stamps, and nil against empty.
func normCustomer(c loupe.Customer) loupe.Customer {
	if len(c.Preferences) == 0 {
		c.Preferences = nil
	}
	if len(c.Consents) == 0 {
		c.Consents = nil
	}
	for _, p := range []*time.Time{&c.EmailCapturedAt, &c.UpdatedAt, &c.LastContactAt, &c.LastPersonalContactAt,
		&c.NewSince, &c.ListedAt, &c.DoNotContactAt, &c.EmailStatusAt} {
		*p = p.UTC()
	}
	c.Stamps = nil
	return c
}

func sameCustomer(t *testing.T, what string, got, want loupe.Customer) {
	t.Helper()
	if g, w := normCustomer(got), normCustomer(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

var customerCases = []testCase{
	{"GetCustomers", func(t *testing.T, e env) {
		db := e.db
		for _, id := range []string{"c1", "c2", "c3", "c4"} {
			seed(t, db, id, "a1", nil)
		}
		listed(t, db, "c3", T0)
		must(t, "erase c2", loupe.Erase(ctx, db, "c2", T0))
		got, err := e.book.GetCustomers(ctx, []string{"c3", "nobody", "c1", "c2", "c4"})
		must(t, "get customers", err)
		if g := ids(got); !slices.Equal(g, []string{"c3", "c1", "c4"}) {
			t.Fatalf("customers: got %v, want [c3 c1 c4] (the order asked; unknown and erased left out)", g)
		}
		for _, c := range got {
			stored, err := db.GetCustomer(ctx, c.CustomerID)
			must(t, "get "+c.CustomerID, err)
			sameCustomer(t, "customer "+c.CustomerID, c, stored)
		}
		for _, in := range [][]string{nil, {}, {"c2"}, {"nobody", "c2"}} {
			got, err := e.book.GetCustomers(ctx, in)
			if err != nil || len(got) != 0 {
				t.Errorf("customers of %q: got %v, %v; want none", in, ids(got), err)
			}
		}
	}},
	{"GetCustomersMany", func(t *testing.T, e env) {
		// More ids than one DynamoDB batch (100) takes, in an order of
		// their own, unknown ones among them.
		const n = 105
		var want, ask []string
		for i := n - 1; i >= 0; i-- {
			id := fmt.Sprintf("c%03d", i)
			seed(t, e.db, id, "a1", nil)
			want = append(want, id)
			ask = append(ask, id)
			if i%10 == 0 {
				ask = append(ask, fmt.Sprintf("x%03d", i))
			}
		}
		got, err := e.book.GetCustomers(ctx, ask)
		must(t, "get customers", err)
		if g := ids(got); !slices.Equal(g, want) {
			t.Errorf("%d customers asked with %d unknown: got %d (%v), want %d in the order asked", n, len(ask)-n, len(g), g, n)
		}
	}},
	{"TodayFieldsRoundTrip", func(t *testing.T, e env) {
		db := e.db
		seed(t, db, "c1", "a1", nil)
		movedAt := T0.Add(-2 * day).In(zone)
		move(t, db, "c1", "a1", "a2", movedAt)
		listedAt := T0.Add(-time.Hour).In(zone)
		dncAt := T0.Add(-30 * time.Minute).In(zone)
		update(t, db, "c1", func(c *loupe.Customer) {
			c.ListedAt, c.DoNotContactAt, c.WrongPhone = listedAt, dncAt, c.Phone
		})
		check := func(what string, c loupe.Customer, phone string) {
			t.Helper()
			if !c.NewSince.Equal(movedAt) || c.NewTo != "a2" || !c.ListedAt.Equal(listedAt) || !c.DoNotContactAt.Equal(dncAt) ||
				c.WrongPhone != "+12125550147" || c.Phone != phone || c.AssociateID != "a2" {
				t.Errorf("%s: got new_since %v, new_to %q, listed_at %v, do_not_contact_at %v, wrong_phone %q, phone %q, associate %q;"+
					" want %v, a2, %v, %v, +12125550147, %s, a2",
					what, c.NewSince, c.NewTo, c.ListedAt, c.DoNotContactAt, c.WrongPhone, c.Phone, c.AssociateID, movedAt, listedAt, dncAt, phone)
			}
		}
		c, err := db.GetCustomer(ctx, "c1")
		must(t, "get", err)
		check("stored", c, "+12125550147")
		if c.UsablePhone() != "" || !c.IsNewTo("a2") {
			t.Errorf("stored: usable phone %q, new to a2 %v; want \"\" and true", c.UsablePhone(), c.IsNewTo("a2"))
		}

		// A later POS write (the client's own associate, another phone)
		// keeps Loupe's fields.
		pos := storetest.Customer("c1", "s1", "a2")
		pos.FirstName, pos.Phone, pos.UpdatedAt = "Renamed", "+12125550148", T0
		must(t, "POS write", loupe.PutCustomer(ctx, db, pos))
		c, err = db.GetCustomer(ctx, "c1")
		must(t, "get after the POS write", err)
		check("after a POS write", c, "+12125550148")
		if c.FirstName != "Renamed" || c.UsablePhone() != "+12125550148" {
			t.Errorf("after a POS write: name %q, usable phone %q; want Renamed, +12125550148", c.FirstName, c.UsablePhone())
		}
		cs, _, err := e.book.BookByTurn(ctx, "a2", "", 10)
		must(t, "book", err)
		if len(cs) != 1 {
			t.Fatalf("book of a2: got %v, want [c1]", ids(cs))
		}
		check("in the book", cs[0], "+12125550148")
		cs, err = e.book.GetCustomers(ctx, []string{"c1"})
		must(t, "get customers", err)
		if len(cs) != 1 {
			t.Fatalf("customers: got %v, want [c1]", ids(cs))
		}
		check("by GetCustomers", cs[0], "+12125550148")
		cs, err = e.book.BookByMonthDay(ctx, "a2", "birthday", "05-17")
		must(t, "birthdays", err)
		if len(cs) != 1 {
			t.Fatalf("birthdays of a2: got %v, want [c1]", ids(cs))
		}
		check("by birthday", cs[0], "+12125550148")
	}},
	{"ContactNote", func(t *testing.T, e env) {
		db := e.db
		seed(t, db, "c1", "a1", nil)
		note := "Asked about the pearl studs — call back in March, after 5 pm"
		ref := today.TaskID(Day, "a1", "c1")
		must(t, "record", loupe.RecordContact(ctx, db, loupe.Contact{CustomerID: "c1", At: T0.In(zone), Channel: loupe.ChannelPersonal,
			Outcome: loupe.OutcomeReached, By: "a1", Status: "logged", Note: note, Ref: ref}))
		must(t, "put", db.PutContact(ctx, loupe.Contact{CustomerID: "c1", At: T0.Add(-day), Channel: "email",
			Touchpoint: "birthday", By: loupe.ContactByLoupe, Status: "sent", Ref: "tp/c1/birthday/2026"}))
		cs, err := db.ContactsByCustomer(ctx, "c1", 0)
		must(t, "contacts", err)
		if len(cs) != 2 {
			t.Fatalf("contacts: got %+v, want 2", cs)
		}
		if cs[0].Note != note || cs[0].Ref != ref || cs[0].Outcome != loupe.OutcomeReached || !cs[0].At.Equal(T0) {
			t.Errorf("logged contact: got %+v, want the note %q kept", cs[0], note)
		}
		if cs[1].Note != "" {
			t.Errorf("message without a note: got note %q", cs[1].Note)
		}
	}},
}
