package dynamo_test

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/dynalite"
	"github.com/loupehq/loupe/shared/testkit/storetest"
)

func TestMain(m *testing.M) { os.Exit(dynalite.Main(m)) }

// newTable returns a client of the package's dynalite and a fresh, empty table.
func newTable(tb testing.TB) (*dynamodb.Client, string) {
	tb.Helper()
	client := dynalite.Client(tb, dynalite.Shared(tb))
	name := dynalite.TableName(tb)
	if err := dynamo.CreateTable(context.Background(), client, name); err != nil {
		tb.Fatalf("create table: %v", err)
	}
	return client, name
}

// open returns a DB on a fresh table.
func open(tb testing.TB) *dynamo.DB {
	tb.Helper()
	client, name := newTable(tb)
	return dynamo.New(client, name)
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) loupe.DB { return open(t) })
}
