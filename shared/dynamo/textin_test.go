package dynamo_test

import (
	"testing"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/phone"
	"github.com/loupehq/loupe/shared/pos"
	"github.com/loupehq/loupe/shared/testkit/textintest"
)

// TestInboundTexts runs package textin's cases on DynamoDB (dynalite).
func TestInboundTexts(t *testing.T) {
	textintest.Run(t, func(t *testing.T, now loupe.Clock) textintest.Target {
		db := open(t)
		return textintest.Target{DB: db, POS: &pos.Service{DB: db, Now: now, Phones: phone.Normalize}}
	})
}
