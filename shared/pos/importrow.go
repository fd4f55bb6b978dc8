package pos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
)

// Importer applies the rows of a bulk import (loupe import) through the
// webhook's own decoding and validation (DecodeData) and the Service's
// merge rules, so a row and an event are checked and stored alike
// (CONTRACT section 5). On top of the webhook's rules a row must not
// refer to an unknown store or associate: an import is loaded in order
// (stores, associates, then the rest), so such a row is a mistake in the
// file, reported, not stored.
//
// An Importer remembers the stores and associates it found, so a file of
// 100,000 clients of 40 stores reads each store once. It is safe for
// concurrent use.
type Importer struct {
	S *Service

	mu    sync.Mutex
	known map[string]bool // "store\x00id" and "associate\x00id" found stored
}

// NewImporter returns an Importer applying rows through s.
func NewImporter(s *Service) *Importer { return &Importer{S: s, known: map[string]bool{}} }

// ImportRow applies one row: data holds the row's cells as the data of an
// event of type typ (field names, types and nesting as on the webhook),
// updatedAt is the row's updated_at (zero when it has none: older than
// any event, CONTRACT section 2). An associate row may also carry
// terminated_at, the date of a status terminated (else updatedAt, else
// now).
//
// Returns nil when applied, an error wrapping loupe.ErrStale when newer
// data left the row nothing to change (or the customer was erased since),
// loupe.ErrExists for a repair or purchase already stored, an EINVALID
// *loupe.Error whose Field is the column at fault ("data." prefixed, as
// DecodeData names it), or a wrapped database error.
func (im *Importer) ImportRow(ctx context.Context, typ string, data json.RawMessage, updatedAt time.Time) error {
	s := im.S
	if err := s.notFuture(updatedAt); err != nil {
		return err
	}
	p, err := DecodeData(Event{Type: typ, OccurredAt: updatedAt, Data: data})
	if err != nil {
		return err
	}
	if p, _, err = s.resolvePhones(ctx, p); err != nil {
		return prefixField("data.", err)
	}
	stamp := loupe.StampOf(updatedAt, "")
	switch v := p.(type) {
	case Upsert[loupe.Store]:
		return stale(s.applyStore(ctx, v.Value, loupe.Update{Fields: v.Fields, Stamp: stamp}))
	case Upsert[loupe.Associate]:
		a := v.Value
		if err := im.need(ctx, "store", "store_id", a.StoreID); err != nil {
			return err
		}
		if a.Status == loupe.StatusTerminated {
			at, err := terminatedAt(data)
			if err != nil {
				return err
			}
			if at.IsZero() {
				at = updatedAt // a row without a date: when Loupe learned of it
			}
			if at.IsZero() {
				at = s.now()
			}
			a.TerminatedAt = at
		}
		return stale(s.applyAssociate(ctx, a, loupe.Update{Fields: v.Fields, Stamp: stamp}))
	case Upsert[loupe.Customer]:
		c := v.Value
		if err := im.need(ctx, "store", "home_store_id", c.HomeStoreID); err != nil {
			return err
		}
		if err := im.need(ctx, "associate", "associate_id", c.AssociateID); err != nil {
			return err
		}
		return stale(s.applyCustomer(ctx, c, loupe.Update{Fields: v.Fields, Stamp: stamp}))
	case loupe.Repair:
		if err := im.needSeller(ctx, v.StoreID, v.AssociateID); err != nil {
			return err
		}
		return s.CreateRepair(ctx, v)
	case loupe.Purchase:
		if err := im.needSeller(ctx, v.StoreID, v.AssociateID); err != nil {
			return err
		}
		return s.CreatePurchase(ctx, v)
	case ConsentChange:
		return stale(s.applyConsent(ctx, v))
	}
	return loupe.Invalidf("type", "a %s cannot be imported", typ)
}

// terminatedAt reads an associate row's optional terminated_at.
func terminatedAt(data json.RawMessage) (time.Time, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return time.Time{}, loupe.Invalidf("data", "data must be a JSON object")
	}
	f := fields{m: m, prefix: "data."}
	at := f.time("terminated_at", false)
	return at, f.err
}

func (im *Importer) needSeller(ctx context.Context, storeID, associateID string) error {
	if err := im.need(ctx, "store", "store_id", storeID); err != nil {
		return err
	}
	return im.need(ctx, "associate", "associate_id", associateID)
}

// need returns an EINVALID error naming field when id ("" passes) is no
// stored record of kind ("store" or "associate").
func (im *Importer) need(ctx context.Context, kind, field, id string) error {
	if id == "" {
		return nil
	}
	key := kind + "\x00" + id
	im.mu.Lock()
	ok := im.known[key]
	im.mu.Unlock()
	if ok {
		return nil
	}
	var err error
	if kind == "store" {
		_, err = im.S.DB.GetStore(ctx, id)
	} else {
		_, err = im.S.DB.GetAssociate(ctx, id)
	}
	switch {
	case errors.Is(err, loupe.ErrNotFound):
		return loupe.Invalidf("data."+field, "data.%s names no %s Loupe knows (import the %ss first)", field, kind, kind)
	case err != nil:
		return fmt.Errorf("get %s %s: %w", kind, id, err)
	}
	im.mu.Lock()
	im.known[key] = true
	im.mu.Unlock()
	return nil
}

// Ref names a record the rows of an import read and write.
type Ref struct {
	Kind string // RefStore, RefAssociate, RefCustomer or RefPurchases
	ID   string
}

// Kinds of Ref. RefPurchases names the purchases of customer ID: a row
// that creates the customer reads them (Service.applyCustomer counts the
// purchases that arrived before their client).
const (
	RefStore     = "store"
	RefAssociate = "associate"
	RefCustomer  = "customer"
	RefPurchases = "purchases"
)

// BatchRecords is Records that reads ahead and writes in groups, for a
// first load (dynamo.Loader): the Importer hands it the records a group of
// rows names (ReadAhead), applies the rows one by one, then calls Flush;
// the group is stored once Flush returns nil. Decisions are the Service's,
// row by row, whatever the Records.
type BatchRecords interface {
	Records
	ReadAhead(ctx context.Context, refs []Ref) error
	Flush(ctx context.Context) error
}

// ReadAhead hands the records the rows (event data of type typ) name to the
// Service's Records when it is BatchRecords, and does nothing otherwise.
// Ids that are not valid are left out (their rows fail on their own).
// Repairs and purchases name nothing to read ahead: they take the per-row
// path. Returns the database error.
func (im *Importer) ReadAhead(ctx context.Context, typ string, rows []json.RawMessage) error {
	b, ok := im.S.DB.(BatchRecords)
	if !ok {
		return nil
	}
	var refs []Ref
	add := func(kind, id string) {
		if loupe.ValidID(id) {
			refs = append(refs, Ref{Kind: kind, ID: id})
		}
	}
	for _, row := range rows {
		var ids struct {
			StoreID     any `json:"store_id"`
			HomeStoreID any `json:"home_store_id"`
			AssociateID any `json:"associate_id"`
			CustomerID  any `json:"customer_id"`
		}
		if json.Unmarshal(row, &ids) != nil {
			continue
		}
		str := func(v any) string { s, _ := v.(string); return s }
		switch typ {
		case TypeStoreUpserted:
			add(RefStore, str(ids.StoreID))
		case TypeAssociateUpserted:
			add(RefAssociate, str(ids.AssociateID))
			add(RefStore, str(ids.StoreID))
		case TypeConsentChanged:
			add(RefCustomer, str(ids.CustomerID))
		case TypeCustomerUpserted:
			add(RefCustomer, str(ids.CustomerID))
			add(RefPurchases, str(ids.CustomerID))
			add(RefStore, str(ids.HomeStoreID))
			add(RefAssociate, str(ids.AssociateID))
		}
	}
	if len(refs) == 0 {
		return nil
	}
	return b.ReadAhead(ctx, refs)
}

// Flush stores the group of rows applied since ReadAhead when the Records
// are BatchRecords, and does nothing otherwise. Returns the database error.
func (im *Importer) Flush(ctx context.Context) error {
	if b, ok := im.S.DB.(BatchRecords); ok {
		return b.Flush(ctx)
	}
	return nil
}
