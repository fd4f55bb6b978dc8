package dynamo

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/loupehq/loupe/shared/compliance"
)

// Compliance aggregate items (docs/compliance.md section 3): one per
// store-local day and store, PK=COMPLIANCE#<day>, SK=<store_id>.
const (
	prefixCompliance = "COMPLIANCE#"
	attrTaken        = "t#" // + associate id: SS of repair ids taken in
	attrEmailed      = "e#" // + associate id: SS of those with a captured email
	attrMissing      = "m"  // M: repair id -> listed take-in without email
)

// ComplianceStore is compliance.Store on the Loupe table. Every write is one
// UpdateItem that is idempotent on its own (string-set ADD, conditional map
// entry), so there are no transactions and a crash between two writes is
// repaired by the stream's redelivery. Get it with (*DB).Compliance. Safe for
// concurrent use.
type ComplianceStore struct {
	db *DB
}

var _ compliance.Store = (*ComplianceStore)(nil)

// Compliance returns the compliance aggregates kept in db's table.
func (db *DB) Compliance() *ComplianceStore { return &ComplianceStore{db: db} }

func compliancePK(day string) string { return prefixCompliance + day }

// Record implements compliance.Store with at most two UpdateItem calls: the
// set ADD of the repair id (always), and, for a take-in without email, the
// missing-list entry, written only when the list holds fewer than
// compliance.MaxMissingPerDay entries and not this repair yet (a failed
// condition is ignored). Returns an EINVALID *loupe.Error for an invalid t, or
// the DynamoDB error.
func (cs *ComplianceStore) Record(ctx context.Context, t compliance.TakeIn) error {
	if err := t.Validate(); err != nil {
		return fmt.Errorf("record take-in %s: %w", t.RepairID, err)
	}
	k := key(compliancePK(t.Day), t.StoreID)
	rid := &types.AttributeValueMemberSS{Value: []string{t.RepairID}}
	in := &dynamodb.UpdateItemInput{
		TableName: cs.db.table,
		Key:       k,
		ExpressionAttributeNames: map[string]string{
			"#t": attrTaken + t.AssociateID, "#day": "day",
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":rid": rid, ":s": s(t.StoreID), ":d": s(t.Day),
		},
	}
	if t.Captured {
		in.UpdateExpression = aws.String("ADD #t :rid, #e :rid SET store_id = :s, #day = :d")
		in.ExpressionAttributeNames["#e"] = attrEmailed + t.AssociateID
	} else {
		in.UpdateExpression = aws.String("ADD #t :rid SET store_id = :s, #day = :d, #m = if_not_exists(#m, :empty)")
		in.ExpressionAttributeNames["#m"] = attrMissing
		in.ExpressionAttributeValues[":empty"] = &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}
	}
	if _, err := cs.db.api.UpdateItem(ctx, in); err != nil {
		return fmt.Errorf("record take-in %s: %w", t.RepairID, err)
	}
	if t.Captured {
		return nil
	}
	entry := map[string]types.AttributeValue{
		"a":  s(t.AssociateID),
		"at": s(formatTime(t.TakenInAt)),
		"r":  s(t.Reason),
	}
	if t.CustomerID != "" {
		entry["c"] = s(t.CustomerID)
	}
	if t.Suggestion != "" {
		entry["s"] = s(t.Suggestion)
	}
	_, err := cs.db.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                cs.db.table,
		Key:                      k,
		UpdateExpression:         aws.String("SET #m.#rid = :entry"),
		ConditionExpression:      aws.String("size(#m) < :cap AND attribute_not_exists(#m.#rid)"),
		ExpressionAttributeNames: map[string]string{"#m": attrMissing, "#rid": t.RepairID},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":entry": &types.AttributeValueMemberM{Value: entry},
			":cap":   &types.AttributeValueMemberN{Value: strconv.Itoa(compliance.MaxMissingPerDay)},
		},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("record take-in %s: list missing: %w", t.RepairID, err)
	}
	return nil
}

// Days implements compliance.Store: for the chain one Query (paginated) per
// day of the window; for one store one GetItem per day. Returns the DynamoDB
// or decoding error.
func (cs *ComplianceStore) Days(ctx context.Context, from, to, storeID string) ([]compliance.Day, error) {
	f, err := time.Parse(time.DateOnly, from)
	if err != nil {
		return nil, fmt.Errorf("compliance days from %q: %w", from, err)
	}
	l, err := time.Parse(time.DateOnly, to)
	if err != nil {
		return nil, fmt.Errorf("compliance days to %q: %w", to, err)
	}
	var out []compliance.Day
	for day := f; !day.After(l); day = day.AddDate(0, 0, 1) {
		date := day.Format(time.DateOnly)
		if storeID != "" {
			res, err := cs.db.api.GetItem(ctx, &dynamodb.GetItemInput{
				TableName: cs.db.table, Key: key(compliancePK(date), storeID), ConsistentRead: aws.Bool(true),
			})
			if err != nil {
				return nil, fmt.Errorf("compliance of store %s on %s: %w", storeID, date, err)
			}
			if res.Item != nil {
				d, err := decodeComplianceDay(res.Item)
				if err != nil {
					return nil, fmt.Errorf("compliance of store %s on %s: %w", storeID, date, err)
				}
				out = append(out, d)
			}
			continue
		}
		err := cs.db.queryIndex(ctx, "", compliancePK(date), "", func(item map[string]types.AttributeValue) error {
			d, err := decodeComplianceDay(item)
			if err != nil {
				return err
			}
			out = append(out, d)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("compliance on %s: %w", date, err)
		}
	}
	slices.SortFunc(out, func(a, b compliance.Day) int {
		if c := strings.Compare(a.StoreID, b.StoreID); c != 0 {
			return c
		}
		return strings.Compare(a.Date, b.Date)
	})
	return out, nil
}

// decodeComplianceDay turns an aggregate item into a compliance.Day: counts
// are the sizes of the t# and e# sets.
func decodeComplianceDay(item map[string]types.AttributeValue) (compliance.Day, error) {
	var d compliance.Day
	pk, _ := item["PK"].(*types.AttributeValueMemberS)
	sk, _ := item["SK"].(*types.AttributeValueMemberS)
	if pk == nil || sk == nil || !strings.HasPrefix(pk.Value, prefixCompliance) {
		return d, fmt.Errorf("decode compliance item: not an aggregate")
	}
	d.Date, d.StoreID = strings.TrimPrefix(pk.Value, prefixCompliance), sk.Value
	d.Associates = map[string]compliance.Count{}
	for name, av := range item {
		var assoc string
		var emailed bool
		switch {
		case strings.HasPrefix(name, attrTaken):
			assoc = strings.TrimPrefix(name, attrTaken)
		case strings.HasPrefix(name, attrEmailed):
			assoc, emailed = strings.TrimPrefix(name, attrEmailed), true
		default:
			continue
		}
		set, ok := av.(*types.AttributeValueMemberSS)
		if !ok {
			return d, fmt.Errorf("decode compliance %s/%s: %s is not a string set", d.Date, d.StoreID, name)
		}
		c := d.Associates[assoc]
		if emailed {
			c.WithEmail = len(set.Value)
		} else {
			c.TakeIns = len(set.Value)
		}
		d.Associates[assoc] = c
	}
	m, _ := item[attrMissing].(*types.AttributeValueMemberM)
	if m == nil {
		return d, nil
	}
	for rid, av := range m.Value {
		e, ok := av.(*types.AttributeValueMemberM)
		if !ok {
			return d, fmt.Errorf("decode compliance %s/%s: missing entry %s is not a map", d.Date, d.StoreID, rid)
		}
		str := func(k string) string {
			if v, ok := e.Value[k].(*types.AttributeValueMemberS); ok {
				return v.Value
			}
			return ""
		}
		at, err := parseTime("at", str("at"))
		if err != nil {
			return d, fmt.Errorf("decode compliance %s/%s: missing entry %s: %w", d.Date, d.StoreID, rid, err)
		}
		d.Missing = append(d.Missing, compliance.Missing{RepairID: rid, AssociateID: str("a"), CustomerID: str("c"),
			TakenInAt: at, Reason: str("r"), Suggestion: str("s")})
	}
	return d, nil
}

// Scrub implements compliance.Store: one UpdateItem removing the customer id
// and suggestion of repairID's listed entry, conditional on the entry
// existing (a failed condition is a no-op). Returns the DynamoDB error.
func (cs *ComplianceStore) Scrub(ctx context.Context, storeID, day, repairID string) error {
	_, err := cs.db.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                cs.db.table,
		Key:                      key(compliancePK(day), storeID),
		UpdateExpression:         aws.String("REMOVE #m.#rid.c, #m.#rid.s"),
		ConditionExpression:      aws.String("attribute_exists(#m.#rid)"),
		ExpressionAttributeNames: map[string]string{"#m": attrMissing, "#rid": repairID},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("scrub take-in %s: %w", repairID, err)
	}
	return nil
}
