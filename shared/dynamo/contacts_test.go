package dynamo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/storetest"
)

// BenchmarkRecordContact records one sent mail in a client's contact
// history on dynalite and reports the DynamoDB requests it costs, counted:
// the peer is the floor of one write of the entry and one of the profile.
func BenchmarkRecordContact(b *testing.B) {
	client, table := newTable(b)
	counter := dynamo.NewCounter(client)
	db := dynamo.New(counter, table)
	ctx := context.Background()
	if err := loupe.PutCustomer(ctx, db, storetest.Customer("c1", "s1", "a1")); err != nil {
		b.Fatal(err)
	}
	counter.Reset()
	n := 0
	for b.Loop() {
		n++
		err := loupe.RecordContact(ctx, db, loupe.Contact{CustomerID: "c1", At: storetest.At(time.Duration(n) * time.Minute),
			Channel: "email", Touchpoint: "birthday", By: loupe.ContactByLoupe, Status: "sent", Ref: fmt.Sprint("t", n)})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(counter.Total())/float64(n), "requests/op")
	b.ReportMetric(float64(counter.Total())/float64(n)/2, "x-floor")
}
