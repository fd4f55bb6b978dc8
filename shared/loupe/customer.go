package loupe

import "time"

// MergeCustomer returns the customer to store when the POS upsert in arrives
// over stored (nil when the customer is new): the POS fields are in's;
// EmailStatus is stored's (EmailOK for a new customer or an empty stored
// status, whatever in carries); the email fields are in's email with source
// EmailSourcePOS captured at in.UpdatedAt when in carries an email, else
// stored's (none for a new customer). It is the rule behind DB.PutCustomer,
// which every adapter applies. Returns ErrStale (and the zero Customer) when
// stored is newer than in; an equal UpdatedAt merges again.
func MergeCustomer(stored *Customer, in Customer) (Customer, error) {
	if stored != nil && stored.UpdatedAt.After(in.UpdatedAt) {
		return Customer{}, ErrStale
	}
	out := in
	out.EmailStatus = EmailOK
	if stored != nil && stored.EmailStatus != "" {
		out.EmailStatus = stored.EmailStatus
	}
	switch {
	case in.Email != "":
		out.EmailSource, out.EmailCapturedAt = EmailSourcePOS, in.UpdatedAt
	case stored != nil:
		out.Email, out.EmailSource, out.EmailCapturedAt = stored.Email, stored.EmailSource, stored.EmailCapturedAt
	default:
		out.EmailSource, out.EmailCapturedAt = "", time.Time{}
	}
	return out, nil
}
