package httpapi

import (
	"context"
	"net/http"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/textin"
)

// InboundTexts handles the inbound texts of POST /sms/inbound.
// *textin.Service implements it.
type InboundTexts interface {
	// Inbound applies one inbound text (STOP denies sms for every client
	// of the number, HELP is answered, START restores what a STOP took)
	// and says what it did. Returns an EINVALID *loupe.Error naming the
	// field, or a wrapped storage error (deliver the text again: nothing
	// is done twice).
	Inbound(ctx context.Context, m textin.Message) (textin.Result, error)
}

// InboundResult is the JSON answer of POST /sms/inbound, and what `loupe
// sms inbound` prints: textin.Result with snake_case names. It holds ids
// and counts only, never a number or the text.
type InboundResult struct {
	MessageID   string `json:"message_id"`
	Intent      string `json:"intent"`
	Keyword     string `json:"keyword"`
	StoreID     string `json:"store_id"`
	Clients     int    `json:"clients"`
	Changed     int    `json:"changed"`
	Kept        int    `json:"kept"`
	Reply       string `json:"reply"`
	ReplyID     string `json:"reply_id"`
	Duplicate   bool   `json:"duplicate"`
	ReplyFailed bool   `json:"reply_failed"`
}

// InboundResultOf returns r as the answer of POST /sms/inbound.
func InboundResultOf(r textin.Result) InboundResult {
	return InboundResult{MessageID: r.MessageID, Intent: r.Intent, Keyword: r.Keyword, StoreID: r.StoreID,
		Clients: r.Clients, Changed: r.Changed, Kept: r.Kept, Reply: r.Reply, ReplyID: r.ReplyID,
		Duplicate: r.Duplicate, ReplyFailed: r.ReplyFailed}
}

// postSMSInbound answers POST /sms/inbound (admin): an inbound text as the
// two-way SMS topic delivers it (originationNumber, destinationNumber,
// messageBody, optional inboundMessageId), read by textin.ParseMessage and
// handed to Config.Texts. 200 with an InboundResult (a duplicate delivery
// too: duplicate true, no second reply); 400 naming the field; 415 for a
// non-JSON content type; 413 over MaxBodyBytes; 503 without Texts; 500
// for a storage error (send it again). It logs ids and counts only.
func (s *server) postSMSInbound(w http.ResponseWriter, r *http.Request) error {
	if s.Texts == nil {
		return loupe.Errorf(loupe.EUNAVAILABLE, "inbound texts are not configured")
	}
	if err := requireJSON(r); err != nil {
		return err
	}
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	m, err := textin.ParseMessage(body)
	if err != nil {
		// Field and reason only: ParseMessage never quotes a value.
		s.Logger.InfoContext(ctx, "inbound text rejected", "field", loupe.ErrorField(err), "reason", loupe.ErrorMessage(err))
		return err
	}
	res, err := s.Texts.Inbound(ctx, m)
	if err != nil {
		return err
	}
	s.Logger.InfoContext(ctx, "inbound text", "message_id", res.MessageID, "intent", res.Intent, "store_id", res.StoreID,
		"clients", res.Clients, "changed", res.Changed, "kept", res.Kept, "reply", res.Reply,
		"duplicate", res.Duplicate, "reply_failed", res.ReplyFailed)
	writeJSON(w, http.StatusOK, InboundResultOf(res))
	return nil
}
