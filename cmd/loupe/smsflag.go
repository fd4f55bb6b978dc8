package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"

	"github.com/loupehq/loupe/shared/smsvoice"
	"github.com/loupehq/loupe/shared/wire"
	"github.com/loupehq/loupe/shared/wire/lambdawire"
)

// Where serve, demo and tick send texts (--sms).
const (
	smsOutbox = "outbox" // DIR/outbox/sms/*.json, each text once (the default)
	smsAWS    = "aws"    // AWS End User Messaging SMS (or a stand-in through AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2)
)

// smsFlag adds --sms to fs.
func smsFlag(fs *flag.FlagSet) *string {
	return fs.String("sms", smsOutbox, "where texts go: outbox (DIR/outbox/sms/*.json) or aws (End User Messaging SMS from "+
		wire.EnvSMSIdentity+"; honours AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2)")
}

// checkSMSMode returns a usage error text for an unknown --sms value, "" when valid.
func checkSMSMode(mode string) string {
	if mode == "" || mode == smsOutbox || mode == smsAWS {
		return ""
	}
	return fmt.Sprintf("--sms %q: want outbox or aws", mode)
}

// awsTexts returns the End User Messaging sender of --sms aws, with the
// SDK's standard configuration (credentials, region,
// AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2) and cfg's identities,
// configuration set, rate and time to live. Returns an error when no
// origination identity is set or the configuration names no region.
func awsTexts(ctx context.Context, cfg wire.Config, logger *slog.Logger) (*smsvoice.Sender, error) {
	if !cfg.SMS() {
		return nil, fmt.Errorf("--sms aws: set %s (or %s) to the number texts go from", wire.EnvSMSIdentity, wire.EnvSMSStoreIdentities)
	}
	aws, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("--sms aws: load AWS configuration: %w", err)
	}
	if aws.Region == "" {
		if os.Getenv("AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2") == "" {
			return nil, fmt.Errorf("--sms aws: no AWS region: set AWS_REGION to the region of your origination identities")
		}
		aws.Region = sesDefaultRegion // a local stand-in accepts any
	}
	return smsvoice.New(pinpointsmsvoicev2.NewFromConfig(aws), lambdawire.TextsConfig(cfg, 1, logger.With(slog.String("sms", smsAWS)))), nil
}
