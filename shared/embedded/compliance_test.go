package embedded

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/compliancetest"
	"github.com/loupehq/loupe/shared/testkit/storetest"
	bolt "go.etcd.io/bbolt"
)

func TestComplianceContract(t *testing.T) {
	compliancetest.Run(t, func(t *testing.T) compliance.Store {
		db, _ := openTemp(t)
		return db.Compliance()
	})
}

func TestInspectionContract(t *testing.T) {
	compliancetest.RunInspections(t, func(t *testing.T) compliance.InspectionStore {
		db, _ := openTemp(t)
		return db.Compliance()
	})
}

// benchChain puts stores s000.. with assocs associates each (one bulk load).
func benchChain(b *testing.B, db *DB, stores, assocs int) {
	b.Helper()
	ctx := context.Background()
	err := db.BulkLoad(func() error {
		for s := range stores {
			sid := fmt.Sprintf("s%03d", s)
			st := storetest.Store(sid)
			if err := loupe.PutStore(ctx, db, st); err != nil {
				return err
			}
			for a := range assocs {
				if err := loupe.PutAssociate(ctx, db, storetest.Associate(fmt.Sprintf("%s-a%02d", sid, a), sid)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRecordTakeIn measures the stream handler's code path per take-in
// (compliance.Service.HandleChange: store and associates lookup, email check,
// aggregate write, profile fill) on the embedded store, one fsynced commit per
// write. Three take-ins in four carry a good email; 100 take-ins a store-day.
func BenchmarkRecordTakeIn(b *testing.B) {
	db, _ := openTemp(b)
	benchChain(b, db, 1, 30)
	ctx := context.Background()
	err := db.BulkLoad(func() error {
		for i := range 1000 {
			c := storetest.Customer(fmt.Sprintf("c%d", i), "s000", "s000-a00")
			c.Email = ""
			if err := loupe.PutCustomer(ctx, db, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	svc := &compliance.Service{Store: db.Compliance(), Stores: db, Associates: db, Customers: db, Now: func() time.Time { return storetest.T0 }}
	i := 0
	for b.Loop() {
		// 100 take-ins a store-day, each by a known customer.
		r := storetest.Repair(fmt.Sprintf("r%07d", i), "s000", fmt.Sprintf("c%d", i%1000), storetest.T0.AddDate(0, 0, i/100))
		r.AssociateID = fmt.Sprintf("s000-a%02d", i%30)
		if i%4 == 0 {
			r.CustomerEmail = ""
		} else {
			r.CustomerEmail = fmt.Sprintf("c%d@gmail.com", i)
		}
		if err := svc.HandleChange(ctx, loupe.Change{Entity: loupe.EntityRepair, Op: loupe.OpInsert, NewRepair: &r}); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "takeins/s")
}

// BenchmarkComplianceReport reads GET /compliance's report for the chain:
// 300 stores × 30 associates × 14 days, at 1 and 10 take-ins per
// associate-day (126 000 and 1 260 000 take-ins). The aggregates are loaded
// with the layout Record writes, in one transaction per day. The report reads
// 4 200 aggregates either way.
func BenchmarkComplianceReport(b *testing.B) {
	const stores, assocs, days = 300, 30, 14
	for _, perDay := range []int{1, 10} {
		b.Run(fmt.Sprintf("takeins_per_associate_day=%d", perDay), func(b *testing.B) {
			db, _ := openTemp(b)
			benchChain(b, db, stores, assocs)
			start := time.Date(2026, 11, 7, 15, 0, 0, 0, time.UTC)
			err := db.BulkLoad(func() error {
				for d := range days {
					day := start.AddDate(0, 0, d).Format(time.DateOnly)
					err := db.update(func(tx *bolt.Tx) error {
						for s := range stores {
							sid := fmt.Sprintf("s%03d", s)
							agg := complianceDay{StoreID: sid, Day: day, Counts: map[string][2]int{}, Missing: map[string]complianceMissing{}}
							ids := complianceIDs{Taken: map[string][]string{}, Emailed: map[string][]string{}}
							for a := range assocs {
								aid := fmt.Sprintf("%s-a%02d", sid, a)
								for k := range perDay {
									rid := fmt.Sprintf("%s-%s-%d", aid, day, k)
									ids.Taken[aid] = append(ids.Taken[aid], rid)
									if (a+d+k)%4 != 0 {
										ids.Emailed[aid] = append(ids.Emailed[aid], rid)
									} else if len(agg.Missing) < compliance.MaxMissingPerDay {
										agg.Missing[rid] = complianceMissing{AssociateID: aid, CustomerID: "c" + rid,
											TakenInAt: start.AddDate(0, 0, d).Add(time.Duration(a*perDay+k) * time.Minute), Reason: "empty"}
									}
								}
								agg.Counts[aid] = [2]int{len(ids.Taken[aid]), len(ids.Emailed[aid])}
							}
							k := string(complianceKey(day, sid))
							if err := putJSON(tx.Bucket(bucketComplianceIDs), k, ids); err != nil {
								return err
							}
							if err := putDay(tx.Bucket(bucketCompliance), tx.Bucket(bucketComplianceMissing), []byte(k), agg); err != nil {
								return err
							}
						}
						return nil
					})
					if err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			svc := &compliance.Service{Store: db.Compliance(), Stores: db, Associates: db,
				Now: func() time.Time { return start.AddDate(0, 0, days-1) }}
			for b.Loop() {
				rep, err := svc.Report(ctx, "", "", "")
				if err != nil {
					b.Fatal(err)
				}
				if rep.Totals.TakeIns != stores*assocs*days*perDay {
					b.Fatalf("take-ins = %d, want %d", rep.Totals.TakeIns, stores*assocs*days*perDay)
				}
			}
		})
	}
}

// TestComplianceReadsLegacyValues: a file written before counts and missing
// lists were split keeps its figures, and the next Record moves the list out.
func TestComplianceReadsLegacyValues(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 3, 15, 0, 0, 0, time.UTC)
	legacy := complianceDay{StoreID: "s1", Day: "2026-11-03", Counts: map[string][2]int{"a1": {2, 0}},
		Missing: map[string]complianceMissing{"r1": {AssociateID: "a1", CustomerID: "c1", TakenInAt: at, Reason: "empty"},
			"r2": {AssociateID: "a1", CustomerID: "c2", TakenInAt: at, Reason: "empty"}}}
	err := db.update(func(tx *bolt.Tx) error {
		k := complianceKey("2026-11-03", "s1")
		if err := putJSON(tx.Bucket(bucketComplianceIDs), string(k), complianceIDs{Taken: map[string][]string{"a1": {"r1", "r2"}}}); err != nil {
			return err
		}
		return tx.Bucket(bucketCompliance).Put(k, encodeDay(legacy))
	})
	if err != nil {
		t.Fatal(err)
	}
	cs := db.Compliance()
	summary := func(stage string, want string) {
		t.Helper()
		days, err := cs.Days(ctx, "2026-11-03", "2026-11-03", "")
		if err != nil || len(days) != 1 {
			t.Fatalf("%s: Days = %v, %v", stage, days, err)
		}
		var ids []string
		for _, m := range days[0].Missing {
			ids = append(ids, m.RepairID+"/"+m.CustomerID)
		}
		slices.Sort(ids)
		if got := fmt.Sprint(days[0].Associates["a1"], ids); got != want {
			t.Fatalf("%s: got %s, want %s", stage, got, want)
		}
	}
	summary("legacy", "{2 0} [r1/c1 r2/c2]")
	if err := cs.Scrub(ctx, "s1", "2026-11-03", "r1"); err != nil {
		t.Fatal(err)
	}
	summary("scrubbed", "{2 0} [r1/ r2/c2]")
	if err := cs.Record(ctx, compliance.TakeIn{RepairID: "r3", StoreID: "s1", AssociateID: "a1", CustomerID: "c3", Day: "2026-11-03", TakenInAt: at}); err != nil {
		t.Fatal(err)
	}
	summary("recorded", "{3 0} [r1/ r2/c2 r3/c3]")
	err = db.view(func(tx *bolt.Tx) error {
		dd := dayDecoder{intern: map[string]string{}}
		d, err := dd.day(tx.Bucket(bucketCompliance).Get(complianceKey("2026-11-03", "s1")))
		if err != nil {
			return err
		}
		if len(d.Missing) != 0 {
			t.Errorf("counts value still holds %d missing entries", len(d.Missing))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
