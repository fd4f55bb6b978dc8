package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/loupehq/loupe/shared/loupe"
	bolt "go.etcd.io/bbolt"
)

// idxRepairCustomer lists each customer's take-ins in time order:
//
//	idx_repair_customer  customer_id NUL taken_in_at NUL repair_id
//
// kept in PutRepair's transaction and filled from the repairs when Open
// creates it in a file written before it (fillRepairCustomerIndex). It holds
// ids and a time only, which an erasure leaves on the repair too.
var idxRepairCustomer = []byte("idx_repair_customer")

func init() {
	buckets = append(buckets, idxRepairCustomer)
	fills[string(idxRepairCustomer)] = fillRepairCustomerIndex
}

// repairCustomerKey is r's key in idx_repair_customer.
func repairCustomerKey(r loupe.Repair) []byte {
	return key(r.CustomerID, sortKeyTime(r.TakenInAt), r.RepairID)
}

// fillRepairCustomerIndex puts every stored repair in idx_repair_customer.
// Returns the first decoding or write error.
func fillRepairCustomerIndex(tx *bolt.Tx) error {
	var keys [][]byte
	err := tx.Bucket(bucketRepairs).ForEach(func(k, v []byte) error {
		var r loupe.Repair
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("decode repair %s: %w", k, err)
		}
		keys = append(keys, repairCustomerKey(r))
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortFunc(keys, bytes.Compare)
	b := tx.Bucket(idxRepairCustomer)
	for _, k := range keys {
		if err := b.Put(k, nil); err != nil {
			return err
		}
	}
	return nil
}

// PutRepair inserts a repair take-in, indexes it by store and LocalDay and by
// customer, and appends an INSERT Change in the same transaction. Returns an
// error wrapping loupe.ErrExists (nothing written, no Change) when the id is
// already stored.
func (db *DB) PutRepair(ctx context.Context, r loupe.Repair) error {
	r.TakenInAt = r.TakenInAt.UTC()
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRepairs)
		if b.Get([]byte(r.RepairID)) != nil {
			return loupe.ErrExists
		}
		if err := putJSON(b, r.RepairID, r); err != nil {
			return err
		}
		k := key(r.StoreID, r.LocalDay, sortKeyTime(r.TakenInAt), r.RepairID)
		if err := tx.Bucket(idxTakeIn).Put(k, nil); err != nil {
			return err
		}
		if err := tx.Bucket(idxRepairCustomer).Put(repairCustomerKey(r), nil); err != nil {
			return err
		}
		return db.appendChange(tx, loupe.Change{Entity: loupe.EntityRepair, Op: loupe.OpInsert, NewRepair: &r})
	})
	if err != nil {
		return fmt.Errorf("put repair %s: %w", r.RepairID, err)
	}
	return nil
}

// GetRepair returns a repair, or an error wrapping loupe.ErrNotFound.
func (db *DB) GetRepair(ctx context.Context, repairID string) (loupe.Repair, error) {
	var r loupe.Repair
	err := db.view(func(tx *bolt.Tx) error {
		found, err := getJSON(tx.Bucket(bucketRepairs), repairID, &r)
		if err == nil && !found {
			return loupe.ErrNotFound
		}
		return err
	})
	if err != nil {
		return loupe.Repair{}, fmt.Errorf("get repair %s: %w", repairID, err)
	}
	return r, nil
}

// RepairsByStoreDay returns storeID's take-ins whose LocalDay is day, ordered
// by TakenInAt then RepairID, from the take-in index. Returns the read error.
func (db *DB) RepairsByStoreDay(ctx context.Context, storeID, day string) ([]loupe.Repair, error) {
	var out []loupe.Repair
	err := db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketRepairs)
		return scanPrefix(tx.Bucket(idxTakeIn), prefix(storeID, day), func(k, _ []byte) error {
			var r loupe.Repair
			found, err := getJSON(b, lastPart(k), &r)
			if err == nil && found {
				out = append(out, r)
			}
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("repairs of store %s on %s: %w", storeID, day, err)
	}
	return out, nil
}

// RepairsByCustomer returns the take-ins naming customerID, ordered by
// TakenInAt then RepairID, from idx_repair_customer. Returns the read error.
func (db *DB) RepairsByCustomer(ctx context.Context, customerID string) ([]loupe.Repair, error) {
	var out []loupe.Repair
	err := db.view(func(tx *bolt.Tx) error {
		return indexed(tx, idxRepairCustomer, bucketRepairs, prefix(customerID), &out)
	})
	if err != nil {
		return nil, fmt.Errorf("repairs of customer %s: %w", customerID, err)
	}
	return out, nil
}

// PutPurchase inserts a purchase and indexes it under its customer. Returns an
// error wrapping loupe.ErrExists (nothing written) when the id is already stored.
func (db *DB) PutPurchase(ctx context.Context, p loupe.Purchase) error {
	p.PurchasedAt = p.PurchasedAt.UTC()
	err := db.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPurchases)
		if b.Get([]byte(p.PurchaseID)) != nil {
			return loupe.ErrExists
		}
		if err := putJSON(b, p.PurchaseID, p); err != nil {
			return err
		}
		return tx.Bucket(idxPurchases).Put(key(p.CustomerID, sortKeyTime(p.PurchasedAt), p.PurchaseID), nil)
	})
	if err != nil {
		return fmt.Errorf("put purchase %s: %w", p.PurchaseID, err)
	}
	return nil
}

// PurchasesByCustomer returns a customer's purchases ordered by PurchasedAt
// (then PurchaseID), or the read error.
func (db *DB) PurchasesByCustomer(ctx context.Context, customerID string) ([]loupe.Purchase, error) {
	var out []loupe.Purchase
	err := db.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketPurchases)
		return scanPrefix(tx.Bucket(idxPurchases), prefix(customerID), func(k, _ []byte) error {
			var p loupe.Purchase
			found, err := getJSON(b, lastPart(k), &p)
			if err == nil && found {
				out = append(out, p)
			}
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("purchases of customer %s: %w", customerID, err)
	}
	return out, nil
}
