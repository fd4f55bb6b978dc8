package dynamo

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/loupehq/loupe/shared/loupe"
)

// prefixContact starts the sort key of a contact, stored next to its
// customer: PK=CUST#<customer_id>, SK=CONTACT#<ref>, so an erasure finds
// them with one query and a client's history is one query.
const prefixContact = "CONTACT#"

// KindContact is the kind attribute of a contact item.
const KindContact = "contact"

// ContactItem is an entry of the contact history as stored.
type ContactItem struct {
	PK         string `dynamodbav:"PK"`
	SK         string `dynamodbav:"SK"`
	Kind       string `dynamodbav:"kind"`
	Ref        string `dynamodbav:"ref"`
	At         string `dynamodbav:"at"`
	Channel    string `dynamodbav:"channel"`
	Touchpoint string `dynamodbav:"touchpoint,omitempty"`
	Outcome    string `dynamodbav:"outcome,omitempty"`
	By         string `dynamodbav:"by"`
	Status     string `dynamodbav:"status"`
	// Note is what the associate wrote with a logged outcome; absent when none.
	Note string `dynamodbav:"note,omitempty"`
}

// PutContact implements loupe.DB with one PutItem conditioned on the
// key's absence (one entry per customer and Ref).
func (db *DB) PutContact(ctx context.Context, c loupe.Contact) error {
	err := db.putNew(ctx, ContactItem{
		PK: customerPK(c.CustomerID), SK: prefixContact + c.Ref, Kind: KindContact,
		Ref: c.Ref, At: formatTime(c.At), Channel: c.Channel, Touchpoint: c.Touchpoint,
		Outcome: c.Outcome, By: c.By, Status: c.Status, Note: c.Note,
	})
	if err != nil {
		return fmt.Errorf("put contact of %s: %w", c.CustomerID, err)
	}
	return nil
}

// DeleteContact implements loupe.DB with one DeleteItem.
func (db *DB) DeleteContact(ctx context.Context, customerID, ref string) error {
	_, err := db.api.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: db.table, Key: key(customerPK(customerID), prefixContact+ref)})
	if err != nil {
		return fmt.Errorf("delete contact of %s: %w", customerID, err)
	}
	return nil
}

// SetContactStatus implements loupe.DB with one UpdateItem of the entry
// (CUST#<customer_id>, CONTACT#<ref>) SETting status, conditioned on the
// entry existing and its status being one the new one may replace
// (status IN loupe.ContactStatusesBelow): DynamoDB applies racing writes
// one after the other, and each is judged on what the one before left.
// When the condition fails, one consistent GetItem tells an entry whose
// status is as high already (false, nil) from a missing one. Returns an
// EINVALID *loupe.Error for a status without a rank, an error wrapping
// loupe.ErrNotFound for a missing entry, or the DynamoDB error.
func (db *DB) SetContactStatus(ctx context.Context, customerID, ref, status string) (bool, error) {
	if err := loupe.ValidContactStatus(status); err != nil {
		return false, err
	}
	below := loupe.ContactStatusesBelow(status)
	if len(below) == 0 {
		return false, db.contactExists(ctx, customerID, ref)
	}
	values := map[string]types.AttributeValue{":new": s(status)}
	in := make([]string, len(below))
	for i, st := range below {
		ph := ":s" + itoa(int64(i))
		values[ph], in[i] = s(st), ph
	}
	_, err := db.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 db.table,
		Key:                       key(customerPK(customerID), prefixContact+ref),
		UpdateExpression:          aws.String("SET #st = :new"),
		ConditionExpression:       aws.String("attribute_exists(PK) AND #st IN (" + strings.Join(in, ", ") + ")"),
		ExpressionAttributeNames:  map[string]string{"#st": "status"},
		ExpressionAttributeValues: values,
	})
	if isConditionFailed(err) {
		return false, db.contactExists(ctx, customerID, ref)
	}
	if err != nil {
		return false, fmt.Errorf("set status of contact of %s: %w", customerID, err)
	}
	return true, nil
}

// contactExists returns nil when customerID's history has an entry with
// Ref ref (one consistent GetItem), an error wrapping loupe.ErrNotFound
// when not, or the DynamoDB error.
func (db *DB) contactExists(ctx context.Context, customerID, ref string) error {
	var it ContactItem
	ok, err := db.getItem(ctx, customerPK(customerID), prefixContact+ref, &it)
	switch {
	case err != nil:
		return fmt.Errorf("set status of contact of %s: %w", customerID, err)
	case !ok:
		return fmt.Errorf("set status of contact of %s: %w", customerID, loupe.ErrNotFound)
	}
	return nil
}

// ContactsByCustomer implements loupe.DB with one query of the customer's
// partition (the history of one client is small), sorted in memory.
func (db *DB) ContactsByCustomer(ctx context.Context, customerID string, limit int) ([]loupe.Contact, error) {
	var out []loupe.Contact
	err := db.queryIndex(ctx, "", customerPK(customerID), prefixContact, func(av map[string]types.AttributeValue) error {
		var it ContactItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return err
		}
		at, err := parseTime("at", it.At)
		if err != nil {
			return err
		}
		out = append(out, loupe.Contact{CustomerID: customerID, Ref: it.Ref, At: at, Channel: it.Channel,
			Touchpoint: it.Touchpoint, Outcome: it.Outcome, By: it.By, Status: it.Status, Note: it.Note})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("contacts of %s: %w", customerID, err)
	}
	return loupe.NewestContacts(out, limit), nil
}
