package httpapi

import (
	"errors"
	"net/http"
	"slices"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/touch"
)

// Touchpoint routes (CONTRACT section 3), served from Config.Touch and
// Config.Campaigns:
//
//	POST /campaigns   store a Save-the-Date blast
//	GET  /coverage    touchpoint coverage per store
//	GET  /customers/{customer_id}/preview   a client's mail for an occasion, not sent

// postCampaign answers POST /campaigns: 201 with the stored campaign. Posting
// an identical campaign again is idempotent and answers 201 too (a retried
// request gets the same answer); a different campaign under an existing id
// answers 409. 400 names the bad field (an unknown store is a bad
// store_ids); 503 when no campaign store (or no DB) is configured.
func (s *server) postCampaign(w http.ResponseWriter, r *http.Request) error {
	if s.Campaigns == nil || s.DB == nil {
		return loupe.Errorf(loupe.EUNAVAILABLE, "campaigns are not configured")
	}
	var req campaignRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	c, err := req.campaign()
	if err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if len(c.Channels) > 0 && s.Touch != nil && !slices.ContainsFunc(c.Channels, s.Touch.Open) {
		return loupe.Invalidf("channels", "no channel of channels can be sent on in this deployment (email always can)")
	}
	for _, id := range c.StoreIDs {
		if !loupe.ValidID(id) {
			return loupe.Invalidf("store_ids", "store_ids holds a malformed id")
		}
		if err := person(r).MayManage(id); err != nil {
			return err
		}
		if _, err := s.DB.GetStore(r.Context(), id); err != nil {
			if errors.Is(err, loupe.ErrNotFound) {
				return loupe.Invalidf("store_ids", "store %s not found", id)
			}
			return err
		}
	}
	if err := s.Campaigns.PutCampaign(r.Context(), c); err != nil {
		if errors.Is(err, loupe.ErrExists) {
			return loupe.Errorf(loupe.ECONFLICT, "campaign %s already exists with different content", c.CampaignID)
		}
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

// campaignRequest is the body of POST /campaigns: a touch.Campaign with its
// dates as text, so a malformed date answers 400 naming its field.
type campaignRequest struct {
	CampaignID string   `json:"campaign_id"`
	Name       string   `json:"name"`
	EventDate  string   `json:"event_date"`
	SendDate   string   `json:"send_date"`
	StoreIDs   []string `json:"store_ids"`
	Subject    string   `json:"subject"`
	BodyHTML   string   `json:"body_html"`
	Channels   []string `json:"channels"`
	CallList   bool     `json:"call_list"`
}

// campaign returns the request as a touch.Campaign, or an EINVALID
// *loupe.Error naming a date that is not "" or YYYY-MM-DD.
func (q campaignRequest) campaign() (touch.Campaign, error) {
	c := touch.Campaign{CampaignID: q.CampaignID, Name: q.Name, StoreIDs: q.StoreIDs, Subject: q.Subject, BodyHTML: q.BodyHTML,
		Channels: q.Channels, CallList: q.CallList}
	for _, d := range []struct {
		field, text string
		day         *touch.Day
	}{{"event_date", q.EventDate, &c.EventDate}, {"send_date", q.SendDate, &c.SendDate}} {
		if err := d.day.UnmarshalText([]byte(d.text)); err != nil {
			return c, loupe.Invalidf(d.field, "%s must be YYYY-MM-DD", d.field)
		}
	}
	return c, nil
}

// coverageBody is the answer of GET /coverage.
type coverageBody struct {
	Stores []touch.StoreCoverage `json:"stores"`
}

// getCoverage answers GET /coverage[?store_id=ID] with each store's
// touchpoint coverage: 400 for a malformed store_id, 404 for an unknown store,
// 503 when no planner is configured.
func (s *server) getCoverage(w http.ResponseWriter, r *http.Request) error {
	if s.Touch == nil {
		return loupe.Errorf(loupe.EUNAVAILABLE, "touchpoints are not configured")
	}
	storeID := r.URL.Query().Get("store_id")
	if storeID != "" && !loupe.ValidID(storeID) {
		return loupe.Invalidf("store_id", "store_id must be a valid id")
	}
	p := person(r)
	if storeID != "" {
		if err := p.MayManage(storeID); err != nil {
			return err
		}
	}
	stores, err := s.Touch.Coverage(r.Context(), storeID)
	if err != nil {
		if storeID != "" && errors.Is(err, loupe.ErrNotFound) {
			return loupe.Errorf(loupe.ENOTFOUND, "store %s not found", storeID)
		}
		return err
	}
	stores = slices.DeleteFunc(stores, func(c touch.StoreCoverage) bool { return !p.ManagesStore(c.StoreID) })
	writeJSON(w, http.StatusOK, coverageBody{Stores: stores})
	return nil
}

// getPreview answers GET /customers/{customer_id}/preview?occasion=O[&format=F]:
// the mail the client would get for occasion O (birthday, anniversary,
// valentines, mothers_day, christmas or event:<campaign_id>) at its next date,
// rendered from today's records, without claiming or sending anything. The
// default format html answers the HTML part as a page (what the client will
// see, viewable in a browser); text answers the text part; json answers from,
// to, subject, headers, text and html. 400 names a bad occasion or format (or
// a client without that date), 404 an unknown client or campaign, 503 when no
// planner is configured.
func (s *server) getPreview(w http.ResponseWriter, r *http.Request) error {
	if s.Touch == nil {
		return loupe.Errorf(loupe.EUNAVAILABLE, "touchpoints are not configured")
	}
	id := r.PathValue("customer_id")
	if !loupe.ValidID(id) {
		return loupe.Invalidf("customer_id", "customer_id must be a valid id")
	}
	q := r.URL.Query()
	occasion := q.Get("occasion")
	if occasion == "" {
		return loupe.Invalidf("occasion", "occasion is required: birthday, anniversary, valentines, mothers_day, christmas or event:<campaign_id>")
	}
	format := q.Get("format")
	if format == "" {
		format = "html"
	}
	if format != "html" && format != "text" && format != "json" {
		return loupe.Invalidf("format", "format must be html, text or json")
	}
	if s.DB != nil {
		if _, err := s.customer(r); err != nil {
			return err // unknown (404) or not theirs (403)
		}
	} else if err := person(r).MayAdmin(); err != nil {
		return err // no records to decide by: admins only
	}
	m, err := s.Touch.Preview(r.Context(), id, occasion)
	if errors.Is(err, loupe.ErrNotFound) {
		return loupe.Errorf(loupe.ENOTFOUND, "customer %s, its store or the campaign not found", id)
	}
	if err != nil {
		return err
	}
	switch format {
	case "text":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(m.Text))
	case "json":
		headers := map[string]string{}
		for _, h := range m.Headers {
			headers[h.Name] = h.Value
		}
		writeJSON(w, http.StatusOK, previewBody{From: m.From, To: m.To, Subject: m.Subject, Headers: headers, Text: m.Text, HTML: m.HTML})
	default:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// The campaign body is staff HTML; keep the preview from running scripts.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(m.HTML))
	}
	return nil
}

// previewBody is the JSON form of a previewed mail.
type previewBody struct {
	From    string            `json:"from"`
	To      string            `json:"to"`
	Subject string            `json:"subject"`
	Headers map[string]string `json:"headers"`
	Text    string            `json:"text"`
	HTML    string            `json:"html"`
}
