package embedded

import (
	"context"
	"fmt"

	"github.com/loupehq/loupe/shared/loupe"
)

// idxPhone lists the customers by phone number (CustomersByPhone, the
// clients an inbound text speaks for): phone (E.164) NUL customer_id,
// kept with the customer records (customerIndexKeys) and filled from them
// when Open creates it in an older file.
var idxPhone = []byte("idx_phone")

func init() {
	buckets = append(buckets, idxPhone)
	fills[string(idxPhone)] = fillCustomerIndex(idxPhone)
}

// CustomersByPhone implements loupe.DB with one prefix scan of idx_phone,
// in one read transaction. Returns the read error.
func (db *DB) CustomersByPhone(ctx context.Context, phone string) ([]loupe.Customer, error) {
	if phone == "" {
		return nil, nil
	}
	out, err := db.customersByIndex(idxPhone, prefix(phone))
	if err != nil {
		return nil, fmt.Errorf("customers by phone: %w", err)
	}
	return out, nil
}
