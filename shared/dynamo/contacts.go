package dynamo

import (
	"context"
	"fmt"

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
