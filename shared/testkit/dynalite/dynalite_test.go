package dynalite_test

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/loupehq/loupe/shared/testkit/dynalite"
)

func TestMain(m *testing.M) { os.Exit(dynalite.Main(m)) }

func TestSharedAnswersThroughStandardEndpointEnv(t *testing.T) {
	endpoint := dynalite.Shared(t)
	if again := dynalite.Shared(t); again != endpoint {
		t.Errorf("second Shared: got %q, want %q (one process per package)", again, endpoint)
	}
	client := dynalite.Client(t, endpoint)
	if got := os.Getenv(dynalite.EndpointEnv); got != endpoint {
		t.Errorf("%s: got %q, want %q", dynalite.EndpointEnv, got, endpoint)
	}
	ctx := context.Background()
	name := dynalite.TableName(t)
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("PK"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("PK"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatalf("create table: %v", err)
	}
	out, err := client.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	found := false
	for _, n := range out.TableNames {
		found = found || n == name
	}
	if !found {
		t.Errorf("list tables: got %q, want it to hold %q", out.TableNames, name)
	}
}

func TestTableNameIsUniqueAndValid(t *testing.T) {
	a, b := dynalite.TableName(t), dynalite.TableName(t)
	if a == b {
		t.Errorf("TableName twice: got %q both times, want different names", a)
	}
	for _, n := range []string{a, b} {
		if len(n) < 3 || len(n) > 255 {
			t.Errorf("TableName %q: length %d out of 3..255", n, len(n))
		}
	}
}

func TestStartDedicated(t *testing.T) {
	endpoint := dynalite.Start(t)
	client := dynalite.Client(t, endpoint)
	if _, err := client.ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("list tables on dedicated dynalite: %v", err)
	}
}
