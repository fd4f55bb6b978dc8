package embedded

import (
	"context"
	"fmt"
	"time"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/loupe"
	bolt "go.etcd.io/bbolt"
)

// Inspection buckets (docs/compliance.md section 7), apart from the stores
// bucket so a store.upserted never touches them:
//
//	inspections      store id -> compliance.Inspection (JSON)
//	inspection_mail  "<store_id>/<day>" -> when the morning mail was claimed (RFC 3339)
var (
	bucketInspections    = []byte("inspections")
	bucketInspectionMail = []byte("inspection_mail")
)

func init() { buckets = append(buckets, bucketInspections, bucketInspectionMail) }

var _ compliance.InspectionStore = (*ComplianceStore)(nil)

// SetInspection implements compliance.InspectionStore: one put. Returns the
// storage error.
func (cs *ComplianceStore) SetInspection(ctx context.Context, in compliance.Inspection) error {
	in.UpdatedAt = in.UpdatedAt.UTC()
	err := cs.db.update(func(tx *bolt.Tx) error { return putJSON(tx.Bucket(bucketInspections), in.StoreID, in) })
	if err != nil {
		return fmt.Errorf("set inspection of store %s: %w", in.StoreID, err)
	}
	return nil
}

// DeleteInspection implements compliance.InspectionStore. Returns the storage error.
func (cs *ComplianceStore) DeleteInspection(ctx context.Context, storeID string) error {
	err := cs.db.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketInspections).Delete([]byte(storeID)) })
	if err != nil {
		return fmt.Errorf("delete inspection of store %s: %w", storeID, err)
	}
	return nil
}

// Inspection implements compliance.InspectionStore. Returns an error wrapping
// loupe.ErrNotFound when storeID has none, or the storage error.
func (cs *ComplianceStore) Inspection(ctx context.Context, storeID string) (compliance.Inspection, error) {
	var in compliance.Inspection
	var found bool
	err := cs.db.view(func(tx *bolt.Tx) error {
		var err error
		found, err = getJSON(tx.Bucket(bucketInspections), storeID, &in)
		return err
	})
	switch {
	case err != nil:
		return compliance.Inspection{}, fmt.Errorf("inspection of store %s: %w", storeID, err)
	case !found:
		return compliance.Inspection{}, fmt.Errorf("inspection of store %s: %w", storeID, loupe.ErrNotFound)
	}
	return in, nil
}

// Inspections implements compliance.InspectionStore: one cursor over the
// bucket, in store id order. Returns the storage or decoding error.
func (cs *ComplianceStore) Inspections(ctx context.Context) ([]compliance.Inspection, error) {
	var out []compliance.Inspection
	err := cs.db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketInspections).ForEach(func(k, _ []byte) error {
			var in compliance.Inspection
			if _, err := getJSON(tx.Bucket(bucketInspections), string(k), &in); err != nil {
				return err
			}
			out = append(out, in)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list inspections: %w", err)
	}
	return out, nil
}

// ClaimMorning implements compliance.InspectionStore: an insert-only put in
// one transaction. Returns the storage error.
func (cs *ComplianceStore) ClaimMorning(ctx context.Context, storeID, day string, at time.Time) (bool, error) {
	claimed := false
	err := cs.db.update(func(tx *bolt.Tx) error {
		b, k := tx.Bucket(bucketInspectionMail), []byte(storeID+"/"+day)
		if b.Get(k) != nil {
			return nil
		}
		claimed = true
		return b.Put(k, []byte(at.UTC().Format(time.RFC3339Nano)))
	})
	if err != nil {
		return false, fmt.Errorf("claim morning of store %s on %s: %w", storeID, day, err)
	}
	return claimed, nil
}

// ReleaseMorning implements compliance.InspectionStore. Returns the storage error.
func (cs *ComplianceStore) ReleaseMorning(ctx context.Context, storeID, day string) error {
	err := cs.db.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketInspectionMail).Delete([]byte(storeID + "/" + day)) })
	if err != nil {
		return fmt.Errorf("release morning of store %s on %s: %w", storeID, day, err)
	}
	return nil
}
