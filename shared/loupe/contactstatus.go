package loupe

import "slices"

// Statuses of a message in the contact history (Contact.Status), as its
// delivery events move it (docs/channels.md ("Texts that come back", "Delivery events"), "Delivery events"). A
// message is recorded ContactSent when the provider accepted it; the
// provider's events then move it forward by rank, never back:
//
//	0  sent
//	1  queued                     intermediate: waiting at the provider
//	2  handed_off, unreachable    intermediate: at the carrier, or not reached yet
//	3  delivered, failed, blocked, expired, opted_out, invalid, filtered,
//	   unknown, bounced           final: the first final status stands
//
// A status of another kind (a personal contact's "logged") has no rank and
// is never replaced by a delivery status.
const (
	ContactSent        = "sent"
	ContactQueued      = "queued"
	ContactHandedOff   = "handed_off"
	ContactUnreachable = "unreachable"
	ContactDelivered   = "delivered"
	ContactFailed      = "failed"
	ContactBlocked     = "blocked"
	ContactExpired     = "expired"
	ContactOptedOut    = "opted_out"
	ContactInvalid     = "invalid"
	ContactFiltered    = "filtered"
	ContactUnknown     = "unknown"
	ContactBounced     = "bounced"
)

// Ranks of ContactStatusRank.
const (
	RankSent         = 0
	RankQueued       = 1
	RankIntermediate = 2
	RankFinal        = 3
)

var contactRanks = map[string]int{
	ContactSent:        RankSent,
	ContactQueued:      RankQueued,
	ContactHandedOff:   RankIntermediate,
	ContactUnreachable: RankIntermediate,
	ContactDelivered:   RankFinal,
	ContactFailed:      RankFinal,
	ContactBlocked:     RankFinal,
	ContactExpired:     RankFinal,
	ContactOptedOut:    RankFinal,
	ContactInvalid:     RankFinal,
	ContactFiltered:    RankFinal,
	ContactUnknown:     RankFinal,
	ContactBounced:     RankFinal,
}

// ContactStatusRank returns the rank of a delivery status (RankSent to
// RankFinal); ok is false for a status that is not one ("logged", "", a
// typo).
func ContactStatusRank(status string) (rank int, ok bool) {
	rank, ok = contactRanks[status]
	return rank, ok
}

// AdvancesContactStatus reports whether delivery status next may replace
// stored: next is a delivery status ranking strictly above stored. A
// stored status without a rank is never replaced, nor is a final one, so
// the first final status stands whatever order the events come in.
func AdvancesContactStatus(stored, next string) bool {
	n, ok := contactRanks[next]
	if !ok {
		return false
	}
	s, ok := contactRanks[stored]
	return ok && n > s
}

// ContactStatusesBelow returns, sorted, the delivery statuses next may
// replace (AdvancesContactStatus): what a store's conditional write
// compares the stored status with. None for a status without a rank.
func ContactStatusesBelow(next string) []string {
	var out []string
	for s := range contactRanks {
		if AdvancesContactStatus(s, next) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// ValidContactStatus returns an EINVALID *Error naming status unless it is
// a delivery status (ContactStatusRank).
func ValidContactStatus(status string) error {
	if _, ok := contactRanks[status]; !ok {
		return Invalidf("status", "status %q is not a delivery status of a message", status)
	}
	return nil
}
