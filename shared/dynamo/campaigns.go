package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/touch"
)

// Campaign items (touch.Campaigns):
//
//	campaign  PK=CAMPAIGN#<id>  SK=CAMPAIGN  GSI1PK=CAMPAIGNS GSI1SK=<id>
const (
	KindCampaign = "campaign"

	prefixCampaign = "CAMPAIGN#"
	skCampaign     = "CAMPAIGN"
	gsiCampaigns   = "CAMPAIGNS"
)

// CampaignItem is a Save-the-Date campaign as stored; GSI1 (CAMPAIGNS) lists
// every campaign by id.
type CampaignItem struct {
	PK         string   `dynamodbav:"PK"`
	SK         string   `dynamodbav:"SK"`
	Kind       string   `dynamodbav:"kind"`
	GSI1PK     string   `dynamodbav:"GSI1PK"`
	GSI1SK     string   `dynamodbav:"GSI1SK"`
	CampaignID string   `dynamodbav:"campaign_id"`
	Name       string   `dynamodbav:"name"`
	EventDate  string   `dynamodbav:"event_date"`
	SendDate   string   `dynamodbav:"send_date"`
	StoreIDs   []string `dynamodbav:"store_ids"`
	Subject    string   `dynamodbav:"subject"`
	BodyHTML   string   `dynamodbav:"body_html"`
	Channels   []string `dynamodbav:"channels,omitempty"`
	CallList   bool     `dynamodbav:"call_list,omitempty"`
}

func campaignPK(id string) string { return prefixCampaign + id }

func newCampaignItem(c touch.Campaign) CampaignItem {
	return CampaignItem{
		PK: campaignPK(c.CampaignID), SK: skCampaign, Kind: KindCampaign,
		GSI1PK: gsiCampaigns, GSI1SK: c.CampaignID,
		CampaignID: c.CampaignID, Name: c.Name, EventDate: c.EventDate.String(), SendDate: c.SendDate.String(),
		StoreIDs: c.StoreIDs, Subject: c.Subject, BodyHTML: c.BodyHTML, Channels: c.Channels,
		CallList: c.CallList,
	}
}

// Campaign returns the domain campaign. Returns an error for a malformed date.
func (it CampaignItem) Campaign() (touch.Campaign, error) {
	c := touch.Campaign{CampaignID: it.CampaignID, Name: it.Name, StoreIDs: it.StoreIDs,
		Subject: it.Subject, BodyHTML: it.BodyHTML, Channels: it.Channels, CallList: it.CallList}
	if err := c.EventDate.UnmarshalText([]byte(it.EventDate)); err != nil {
		return touch.Campaign{}, fmt.Errorf("attribute event_date: %w", err)
	}
	if err := c.SendDate.UnmarshalText([]byte(it.SendDate)); err != nil {
		return touch.Campaign{}, fmt.Errorf("attribute send_date: %w", err)
	}
	return c, nil
}

// PutCampaign stores c with one PutItem conditioned on
// attribute_not_exists(PK). When the id exists, a consistent GetItem compares
// the stored campaign: an equal one is a no-op (a replayed POST), a different
// one returns an error wrapping loupe.ErrExists. Returns the DynamoDB error
// otherwise.
func (l *Ledger) PutCampaign(ctx context.Context, c touch.Campaign) error {
	err := l.db.putNew(ctx, newCampaignItem(c))
	if errors.Is(err, loupe.ErrExists) {
		old, gerr := l.GetCampaign(ctx, c.CampaignID)
		switch {
		case gerr != nil:
			err = gerr
		case touch.SameCampaign(old, c):
			err = nil
		}
	}
	if err != nil {
		return fmt.Errorf("put campaign %s: %w", c.CampaignID, err)
	}
	return nil
}

// GetCampaign returns a campaign (one consistent GetItem), an error wrapping
// loupe.ErrNotFound, or the DynamoDB or decoding error.
func (l *Ledger) GetCampaign(ctx context.Context, campaignID string) (touch.Campaign, error) {
	var it CampaignItem
	ok, err := l.db.getItem(ctx, campaignPK(campaignID), skCampaign, &it)
	if err == nil && !ok {
		err = loupe.ErrNotFound
	}
	if err != nil {
		return touch.Campaign{}, fmt.Errorf("get campaign %s: %w", campaignID, err)
	}
	c, err := it.Campaign()
	if err != nil {
		return touch.Campaign{}, fmt.Errorf("get campaign %s: %w", campaignID, err)
	}
	return c, nil
}

// ListCampaigns returns every campaign ordered by CampaignID: one Query
// (paginated) of GSI1 partition CAMPAIGNS, no table scan. The index is
// eventually consistent in DynamoDB, so a campaign put a moment ago may be
// missing. Returns the DynamoDB or decoding error.
func (l *Ledger) ListCampaigns(ctx context.Context) ([]touch.Campaign, error) {
	var out []touch.Campaign
	err := l.db.queryIndex(ctx, GSI1, gsiCampaigns, "", func(av map[string]types.AttributeValue) error {
		var it CampaignItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return err
		}
		c, err := it.Campaign()
		if err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	return out, nil
}
