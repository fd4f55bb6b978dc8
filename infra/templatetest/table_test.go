package templatetest

import (
	"fmt"
	"reflect"
	"sort"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestTableMatchesKeyDesign checks the table against notes/keys.md: PK/SK,
// five sparse GSIs GSI<n>PK/GSI<n>SK projecting ALL, NEW_AND_OLD_IMAGES
// stream, TTL on expires_at, on-demand, PITR and SSE.
func TestTableMatchesKeyDesign(t *testing.T) {
	tpl := loadTemplate(t)
	tables := tpl.OfType("AWS::DynamoDB::Table")
	if len(tables) != 1 || tables[0] != "Table" {
		t.Fatalf("DynamoDB tables = %v, want exactly one named Table", tables)
	}
	res := tpl.Resources["Table"]
	p := get(res, "Properties")

	scalars := []struct{ what, got, want string }{
		{"BillingMode", str(get(p, "BillingMode")), "PAY_PER_REQUEST"},
		{"StreamSpecification.StreamViewType", str(get(p, "StreamSpecification", "StreamViewType")), "NEW_AND_OLD_IMAGES"},
		{"PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled", str(get(p, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled")), "true"},
		{"SSESpecification.SSEEnabled", str(get(p, "SSESpecification", "SSEEnabled")), "true"},
		{"TimeToLiveSpecification.AttributeName", str(get(p, "TimeToLiveSpecification", "AttributeName")), "expires_at"},
		{"TimeToLiveSpecification.Enabled", str(get(p, "TimeToLiveSpecification", "Enabled")), "true"},
		{"DeletionPolicy", str(get(res, "DeletionPolicy")), "Retain"},
		{"UpdateReplacePolicy", str(get(res, "UpdateReplacePolicy")), "Retain"},
	}
	for _, c := range scalars {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.what, c.got, c.want)
		}
	}
	if get(p, "TableName") != nil {
		t.Errorf("TableName: leave it to CloudFormation so dev and prod stacks can share an account")
	}

	wantAttrs := []string{"GSI1PK S", "GSI1SK S", "GSI2PK S", "GSI2SK S", "GSI3PK S", "GSI3SK S", "GSI4PK S", "GSI4SK S", "GSI5PK S", "GSI5SK S", "PK S", "SK S"}
	var gotAttrs []string
	for _, a := range seqOrOne(get(p, "AttributeDefinitions")) {
		gotAttrs = append(gotAttrs, str(get(a, "AttributeName"))+" "+str(get(a, "AttributeType")))
	}
	sort.Strings(gotAttrs)
	if !reflect.DeepEqual(gotAttrs, wantAttrs) {
		t.Errorf("AttributeDefinitions = %v, want %v", gotAttrs, wantAttrs)
	}

	if got, want := schema(get(p, "KeySchema")), "PK HASH, SK RANGE"; got != want {
		t.Errorf("KeySchema = %s, want %s", got, want)
	}

	gsis := map[string]string{}
	for _, g := range seqOrOne(get(p, "GlobalSecondaryIndexes")) {
		name := str(get(g, "IndexName"))
		gsis[name] = schema(get(g, "KeySchema")) + " / " + str(get(g, "Projection", "ProjectionType"))
		if get(g, "ProvisionedThroughput") != nil {
			t.Errorf("%s: ProvisionedThroughput on an on-demand table", name)
		}
	}
	want := map[string]string{}
	for n := 1; n <= 5; n++ {
		want[fmt.Sprintf("GSI%d", n)] = fmt.Sprintf("GSI%dPK HASH, GSI%dSK RANGE / ALL", n, n)
	}
	if !reflect.DeepEqual(gsis, want) {
		t.Errorf("GlobalSecondaryIndexes = %v, want %v", gsis, want)
	}
}

// schema renders a KeySchema list as "A HASH, B RANGE".
func schema(n *yaml.Node) string {
	out := ""
	for i, k := range seqOrOne(n) {
		if i > 0 {
			out += ", "
		}
		out += str(get(k, "AttributeName")) + " " + str(get(k, "KeyType"))
	}
	return out
}
