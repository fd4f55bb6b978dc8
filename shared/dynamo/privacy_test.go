package dynamo_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/storetest"
)

func TestPrivacyContract(t *testing.T) {
	storetest.RunPrivacy(t, func(t *testing.T) storetest.PrivacyDB { return open(t) })
}

// TestEraseLeavesNoPersonalData reads every item of the table after an
// erasure: none may hold the customer's id in a key, email, names or phone.
func TestEraseLeavesNoPersonalData(t *testing.T) {
	ctx := context.Background()
	client, table := newTable(t)
	counter := dynamo.NewCounter(client)
	db := dynamo.New(counter, table)
	c := storetest.Customer("c1", "s1", "a1")
	steps := []error{
		db.PutCustomer(ctx, c),
		db.PutPurchase(ctx, storetest.Purchase("p1", "c1", storetest.At(time.Hour))),
		db.PutPurchase(ctx, storetest.Purchase("p2", "c1", storetest.At(2*time.Hour))),
		db.PutRepair(ctx, storetest.Repair("r1", "s1", "c1", storetest.At(time.Hour))),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("setup step %d: %v", i, err)
		}
	}
	counter.Reset()
	if err := db.EraseCustomer(ctx, "c1", storetest.At(3*time.Hour)); err != nil {
		t.Fatalf("erase: %v", err)
	}
	t.Logf("erasure requests: %v", counter.Counts())

	out, err := client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table)})
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	if len(out.Items) == 0 {
		t.Fatal("scan: no items, want the suppression and erasure records")
	}
	for _, item := range out.Items {
		var plain map[string]any
		if err := attributevalue.UnmarshalMap(item, &plain); err != nil {
			t.Fatalf("decode item: %v", err)
		}
		dump := fmt.Sprint(plain)
		for _, v := range []string{c.Email, c.FirstName, c.LastName, c.Phone, "CUST#c1"} {
			if strings.Contains(dump, v) {
				t.Errorf("item %v still holds %q", item["PK"], v)
			}
		}
	}
}
