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

// Compliance items (docs/compliance.md section 3), per store-local day and
// store, in three partitions per day so a report reads only what it needs:
//
//	PK=COMPLIANCE#<day>      SK=<store_id>  counts: n#<assoc> and w#<assoc> (N)
//	PK=COMPLIANCEM#<day>     SK=<store_id>  missing list: m#<repair_id> (M), mc (N)
//	PK=COMPLIANCEIDS#<day>   SK=<store_id>  repair-id sets t#<assoc>, e#<assoc> (SS)
//
// Only the id sets grow with the take-ins of a store-day; a report never reads
// them. Items written before this layout (sets t#/e# and a map m on the
// COMPLIANCE# item) are still decoded.
const (
	prefixCompliance        = "COMPLIANCE#"
	prefixComplianceMissing = "COMPLIANCEM#"
	prefixComplianceIDs     = "COMPLIANCEIDS#"
	attrTaken               = "t#" // + associate id: SS of repair ids taken in
	attrEmailed             = "e#" // + associate id: SS of those with a captured email
	attrCountTaken          = "n#" // + associate id: N, size of t# when last written
	attrCountEmailed        = "w#" // + associate id: N, size of e# when last written
	attrMissingEntry        = "m#" // + repair id: M, one listed take-in without email
	attrMissingCount        = "mc" // N: entries listed
	attrLegacyMissing       = "m"  // M: repair id -> entry, items written before the split
)

// ComplianceStore is compliance.Store on the Loupe table. Every write is one
// UpdateItem that is idempotent on its own (string-set ADD, monotonic
// conditional counter, conditional insert), so there are no transactions and
// a crash between two writes is repaired by the stream's redelivery. Get it
// with (*DB).Compliance. Safe for concurrent use.
type ComplianceStore struct {
	db *DB
}

var _ compliance.Store = (*ComplianceStore)(nil)

// Compliance returns the compliance aggregates kept in db's table.
func (db *DB) Compliance() *ComplianceStore { return &ComplianceStore{db: db} }

func compliancePK(day string) string        { return prefixCompliance + day }
func complianceMissingPK(day string) string { return prefixComplianceMissing + day }
func complianceIDsPK(day string) string     { return prefixComplianceIDs + day }

// Record implements compliance.Store with at most three UpdateItem calls:
//
//  1. the set ADD of the repair id to the id sets (always), returning the
//     associate's set sizes;
//  2. the counts item: n#/w# set to those sizes only when they are larger
//     (a condition), so counters never go back and a replay or a concurrent
//     writer with an older view changes nothing;
//  3. for a take-in without email, the missing entry, inserted only when the
//     list holds fewer than compliance.MaxMissingPerDay entries and not this
//     repair yet.
//
// A failed condition in 2 or 3 is ignored. The caller's profile fill is the
// third write of a take-in with email. Returns an EINVALID *loupe.Error for
// an invalid t, or the DynamoDB error.
func (cs *ComplianceStore) Record(ctx context.Context, t compliance.TakeIn) error {
	if err := t.Validate(); err != nil {
		return fmt.Errorf("record take-in %s: %w", t.RepairID, err)
	}
	rid := &types.AttributeValueMemberSS{Value: []string{t.RepairID}}
	tName, eName := attrTaken+t.AssociateID, attrEmailed+t.AssociateID
	in := &dynamodb.UpdateItemInput{
		TableName:                cs.db.table,
		Key:                      key(complianceIDsPK(t.Day), t.StoreID),
		UpdateExpression:         aws.String("ADD #t :rid"),
		ExpressionAttributeNames: map[string]string{"#t": tName},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":rid": rid,
		},
		ReturnValues: types.ReturnValueAllNew,
	}
	if t.Captured {
		in.UpdateExpression = aws.String("ADD #t :rid, #e :rid")
		in.ExpressionAttributeNames["#e"] = eName
	}
	out, err := cs.db.api.UpdateItem(ctx, in)
	if err != nil {
		return fmt.Errorf("record take-in %s: add id: %w", t.RepairID, err)
	}
	setSize := func(name string) int {
		if v, ok := out.Attributes[name].(*types.AttributeValueMemberSS); ok {
			return len(v.Value)
		}
		return 0
	}
	taken, emailed := setSize(tName), setSize(eName)
	_, err = cs.db.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           cs.db.table,
		Key:                 key(compliancePK(t.Day), t.StoreID),
		UpdateExpression:    aws.String("SET store_id = :s, #day = :d, #n = :n, #w = :w"),
		ConditionExpression: aws.String("attribute_not_exists(#n) OR #n < :n OR (#n = :n AND #w < :w)"),
		ExpressionAttributeNames: map[string]string{
			"#day": "day", "#n": attrCountTaken + t.AssociateID, "#w": attrCountEmailed + t.AssociateID,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":s": s(t.StoreID), ":d": s(t.Day),
			":n": &types.AttributeValueMemberN{Value: strconv.Itoa(taken)},
			":w": &types.AttributeValueMemberN{Value: strconv.Itoa(emailed)},
		},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("record take-in %s: count: %w", t.RepairID, err)
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
	_, err = cs.db.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                cs.db.table,
		Key:                      key(complianceMissingPK(t.Day), t.StoreID),
		UpdateExpression:         aws.String("SET #e = :entry, store_id = :s, #day = :d ADD #mc :one"),
		ConditionExpression:      aws.String("attribute_not_exists(#e) AND (attribute_not_exists(#mc) OR #mc < :cap)"),
		ExpressionAttributeNames: map[string]string{"#e": attrMissingEntry + t.RepairID, "#mc": attrMissingCount, "#day": "day"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":entry": &types.AttributeValueMemberM{Value: entry},
			":s":     s(t.StoreID), ":d": s(t.Day),
			":one": &types.AttributeValueMemberN{Value: "1"},
			":cap": &types.AttributeValueMemberN{Value: strconv.Itoa(compliance.MaxMissingPerDay)},
		},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("record take-in %s: list missing: %w", t.RepairID, err)
	}
	return nil
}

// Days implements compliance.Store: for the chain two Queries (paginated) per
// day of the window, counts and missing lists; for one store two GetItems per
// day. Returns the DynamoDB or decoding error.
func (cs *ComplianceStore) Days(ctx context.Context, from, to, storeID string) ([]compliance.Day, error) {
	return cs.days(ctx, from, to, storeID, -1)
}

// ReportDays implements compliance.Store: the counts of every day of the
// window (one Query per day for the chain, one GetItem per day for one
// store), then the missing lists newest day first (one Query, or GetItem, per
// day) until every store of the window lists missingPerStore entries.
// Returns the DynamoDB or decoding error.
func (cs *ComplianceStore) ReportDays(ctx context.Context, from, to, storeID string, missingPerStore int) ([]compliance.Day, error) {
	return cs.days(ctx, from, to, storeID, max(missingPerStore, 0))
}

// days reads the counts of the window, then the missing lists: all of them
// when perStore < 0, else newest day first until each store has perStore.
func (cs *ComplianceStore) days(ctx context.Context, from, to, storeID string, perStore int) ([]compliance.Day, error) {
	f, err := time.Parse(time.DateOnly, from)
	if err != nil {
		return nil, fmt.Errorf("compliance days from %q: %w", from, err)
	}
	l, err := time.Parse(time.DateOnly, to)
	if err != nil {
		return nil, fmt.Errorf("compliance days to %q: %w", to, err)
	}
	var dates []string
	for day := f; !day.After(l); day = day.AddDate(0, 0, 1) {
		dates = append(dates, day.Format(time.DateOnly))
	}
	byKey := map[[2]string]int{} // (store, date) -> index in out
	var out []compliance.Day
	for _, date := range dates {
		err := cs.read(ctx, compliancePK(date), storeID, func(item map[string]types.AttributeValue) error {
			d, err := decodeComplianceDay(item)
			if err != nil {
				return err
			}
			byKey[[2]string{d.StoreID, d.Date}] = len(out)
			out = append(out, d)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("compliance on %s: %w", date, err)
		}
	}
	listed := map[string]int{}
	for _, d := range out {
		listed[d.StoreID] += len(d.Missing) // legacy items carry their list
	}
	for i := len(dates) - 1; i >= 0; i-- {
		if perStore >= 0 && full(listed, perStore) {
			break
		}
		date := dates[i]
		err := cs.read(ctx, complianceMissingPK(date), storeID, func(item map[string]types.AttributeValue) error {
			sk, _ := item["SK"].(*types.AttributeValueMemberS)
			if sk == nil {
				return fmt.Errorf("decode missing list on %s: no sort key", date)
			}
			j, ok := byKey[[2]string{sk.Value, date}]
			if !ok || (perStore >= 0 && listed[sk.Value] >= perStore) {
				return nil
			}
			ms, err := decodeMissingEntries(item, date, sk.Value)
			if err != nil {
				return err
			}
			out[j].Missing = append(out[j].Missing, ms...)
			listed[sk.Value] += len(ms)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("compliance missing on %s: %w", date, err)
		}
	}
	slices.SortFunc(out, func(a, b compliance.Day) int {
		if c := strings.Compare(a.StoreID, b.StoreID); c != 0 {
			return c
		}
		return strings.Compare(a.Date, b.Date)
	})
	if perStore >= 0 {
		out = compliance.KeepNewestMissing(out, perStore)
	}
	return out, nil
}

// full reports whether every store of listed has at least n entries.
func full(listed map[string]int, n int) bool {
	for _, c := range listed {
		if c < n {
			return false
		}
	}
	return true
}

// read calls fn with the item (pk, storeID) when storeID is not "" (one
// strongly consistent GetItem), or with every item of partition pk (Query).
func (cs *ComplianceStore) read(ctx context.Context, pk, storeID string, fn func(map[string]types.AttributeValue) error) error {
	if storeID == "" {
		return cs.db.queryIndex(ctx, "", pk, "", fn)
	}
	res, err := cs.db.api.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: cs.db.table, Key: key(pk, storeID), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return err
	}
	if res.Item == nil {
		return nil
	}
	return fn(res.Item)
}

// decodeComplianceDay turns a counts item into a compliance.Day: counts are
// n#/w#, or, in an item written before the split, the sizes of the t# and e#
// sets (and its map m the missing list).
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
		n := -1
		switch {
		case strings.HasPrefix(name, attrCountTaken), strings.HasPrefix(name, attrCountEmailed):
			assoc, emailed = name[2:], strings.HasPrefix(name, attrCountEmailed)
			num, ok := av.(*types.AttributeValueMemberN)
			if !ok {
				return d, fmt.Errorf("decode compliance %s/%s: %s is not a number", d.Date, d.StoreID, name)
			}
			v, err := strconv.Atoi(num.Value)
			if err != nil {
				return d, fmt.Errorf("decode compliance %s/%s: %s: %w", d.Date, d.StoreID, name, err)
			}
			n = v
		case strings.HasPrefix(name, attrTaken), strings.HasPrefix(name, attrEmailed):
			assoc, emailed = name[2:], strings.HasPrefix(name, attrEmailed)
			set, ok := av.(*types.AttributeValueMemberSS)
			if !ok {
				return d, fmt.Errorf("decode compliance %s/%s: %s is not a string set", d.Date, d.StoreID, name)
			}
			n = len(set.Value)
		default:
			continue
		}
		c := d.Associates[assoc]
		if emailed {
			c.WithEmail = max(c.WithEmail, n)
		} else {
			c.TakeIns = max(c.TakeIns, n)
		}
		d.Associates[assoc] = c
	}
	m, _ := item[attrLegacyMissing].(*types.AttributeValueMemberM)
	if m == nil {
		return d, nil
	}
	for rid, av := range m.Value {
		e, err := decodeMissingEntry(av, d.Date, d.StoreID, rid)
		if err != nil {
			return d, err
		}
		d.Missing = append(d.Missing, e)
	}
	return d, nil
}

// decodeMissingEntries returns the m#<repair_id> entries of a missing-list item.
func decodeMissingEntries(item map[string]types.AttributeValue, date, storeID string) ([]compliance.Missing, error) {
	var out []compliance.Missing
	for name, av := range item {
		if !strings.HasPrefix(name, attrMissingEntry) {
			continue
		}
		e, err := decodeMissingEntry(av, date, storeID, strings.TrimPrefix(name, attrMissingEntry))
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// decodeMissingEntry decodes one entry {a, c, at, r, s}.
func decodeMissingEntry(av types.AttributeValue, date, storeID, rid string) (compliance.Missing, error) {
	e, ok := av.(*types.AttributeValueMemberM)
	if !ok {
		return compliance.Missing{}, fmt.Errorf("decode compliance %s/%s: missing entry %s is not a map", date, storeID, rid)
	}
	str := func(k string) string {
		if v, ok := e.Value[k].(*types.AttributeValueMemberS); ok {
			return v.Value
		}
		return ""
	}
	at, err := parseTime("at", str("at"))
	if err != nil {
		return compliance.Missing{}, fmt.Errorf("decode compliance %s/%s: missing entry %s: %w", date, storeID, rid, err)
	}
	return compliance.Missing{RepairID: rid, AssociateID: str("a"), CustomerID: str("c"),
		TakenInAt: at, Reason: str("r"), Suggestion: str("s")}, nil
}

// Scrub implements compliance.Store: one UpdateItem removing the customer id
// and suggestion of repairID's listed entry, conditional on the entry
// existing (a failed condition is a no-op); for a day written before the
// split, a second one on the legacy list. Returns the DynamoDB error.
func (cs *ComplianceStore) Scrub(ctx context.Context, storeID, day, repairID string) error {
	_, err := cs.db.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                cs.db.table,
		Key:                      key(complianceMissingPK(day), storeID),
		UpdateExpression:         aws.String("REMOVE #e.c, #e.s"),
		ConditionExpression:      aws.String("attribute_exists(#e)"),
		ExpressionAttributeNames: map[string]string{"#e": attrMissingEntry + repairID},
	})
	if err == nil {
		return nil
	}
	if !isConditionFailed(err) {
		return fmt.Errorf("scrub take-in %s: %w", repairID, err)
	}
	_, err = cs.db.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                cs.db.table,
		Key:                      key(compliancePK(day), storeID),
		UpdateExpression:         aws.String("REMOVE #m.#rid.c, #m.#rid.s"),
		ConditionExpression:      aws.String("attribute_exists(#m.#rid)"),
		ExpressionAttributeNames: map[string]string{"#m": attrLegacyMissing, "#rid": repairID},
	})
	if err != nil && !isConditionFailed(err) {
		return fmt.Errorf("scrub take-in %s: %w", repairID, err)
	}
	return nil
}
