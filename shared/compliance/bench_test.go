package compliance_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/loupe"
)

// BenchmarkReport reads the chain report for 300 stores × 30 associates × 14
// days from MemStore, with 1 and 10 take-ins per associate-day: the read cost
// follows the number of store-days, not the number of take-ins.
func BenchmarkReport(b *testing.B) {
	for _, perDay := range []int{1, 10} {
		b.Run(fmt.Sprintf("takeins_per_associate_day=%d", perDay), func(b *testing.B) {
			ctx := context.Background()
			dir := &directory{}
			mem := &compliance.MemStore{}
			start := time.Date(2026, 11, 1, 15, 0, 0, 0, time.UTC)
			for s := range 300 {
				sid := fmt.Sprintf("s%03d", s)
				dir.stores = append(dir.stores, loupe.Store{StoreID: sid, Name: "Store " + sid, Timezone: "America/New_York", Country: "US"})
				for a := range 30 {
					aid := fmt.Sprintf("%s-a%02d", sid, a)
					dir.associates = append(dir.associates, loupe.Associate{AssociateID: aid, StoreID: sid, Name: "Associate " + aid, Status: "active"})
					for d := range 14 {
						at := start.AddDate(0, 0, d)
						for k := range perDay {
							rid := fmt.Sprintf("%s-%d-%d", aid, d, k)
							err := mem.Record(ctx, compliance.TakeIn{RepairID: rid, StoreID: sid, AssociateID: aid, CustomerID: "c" + rid,
								Day: at.Format(time.DateOnly), TakenInAt: at, Captured: (a+d+k)%4 != 0, Reason: "empty"})
							if err != nil {
								b.Fatal(err)
							}
						}
					}
				}
			}
			svc := &compliance.Service{Store: mem, Stores: dir, Associates: dir, Now: func() time.Time { return start.AddDate(0, 0, 13) }}
			b.ResetTimer()
			for b.Loop() {
				rep, err := svc.Report(ctx, "", "", "")
				if err != nil {
					b.Fatal(err)
				}
				if rep.Totals.TakeIns != 300*30*14*perDay {
					b.Fatalf("take-ins = %d", rep.Totals.TakeIns)
				}
			}
		})
	}
}
