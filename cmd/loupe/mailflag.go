package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/sesmail"
	"github.com/loupehq/loupe/shared/wire"
)

// Where serve, demo and tick send mail (--mail).
const (
	mailOutbox = "outbox" // DIR/outbox/*.eml, each mail once (the default)
	mailSES    = "ses"    // Amazon SES v2 (or aws-ses-v2-local through AWS_ENDPOINT_URL_SESV2)
)

// sesDefaultRegion is the region of --mail ses when AWS_ENDPOINT_URL_SESV2
// points at a stand-in and nothing names a region (aws-ses-v2-local accepts any).
const sesDefaultRegion = "us-east-1"

// mailFlag adds --mail to fs.
func mailFlag(fs *flag.FlagSet) *string {
	return fs.String("mail", mailOutbox, "where mail goes: outbox (DIR/outbox/*.eml) or ses (Amazon SES v2; honours AWS_ENDPOINT_URL_SESV2 and "+wire.EnvSESConfigurationSet+")")
}

// checkMailMode returns a usage error text for an unknown --mail value, "" when valid.
func checkMailMode(mode string) string {
	if mode == mailOutbox || mode == mailSES {
		return ""
	}
	return fmt.Sprintf("--mail %q: want outbox or ses", mode)
}

// sesMailer returns the SES v2 sender of --mail ses, with the SDK's standard
// configuration (credentials, region, AWS_ENDPOINT_URL_SESV2), in
// cfg.SESConfigurationSet (LOUPE_SES_CONFIGURATION_SET; none when unset),
// paced at cfg.SenderMaxRate or the account's maximum send rate. Returns an
// error when the AWS configuration cannot be loaded or names no region.
func sesMailer(ctx context.Context, cfg wire.Config, logger *slog.Logger) (mail.Sender, error) {
	aws, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("--mail ses: load AWS configuration: %w", err)
	}
	if aws.Region == "" {
		if os.Getenv("AWS_ENDPOINT_URL_SESV2") == "" {
			// Against real SES the region is where the identity is verified;
			// guessing one would fail every send with "not verified".
			return nil, fmt.Errorf("--mail ses: no AWS region: set AWS_REGION to the region of your verified SES identity")
		}
		aws.Region = sesDefaultRegion // a local stand-in accepts any
	}
	return sesmail.New(sesv2.NewFromConfig(aws), sesmail.Config{
		ConfigurationSet: cfg.SESConfigurationSet,
		MaxRate:          cfg.SenderMaxRate,
		Logger:           logger.With(slog.String("mail", mailSES)),
	}), nil
}

// checkPublicBaseURL refuses --mail ses without a public LOUPE_BASE_URL:
// mail to real clients must link (unsubscribe, RFC 8058 one-click) to an
// https address they can reach, never serve's listen address. Against a
// local SES stand-in (AWS_ENDPOINT_URL_SESV2 set) http is accepted.
func checkPublicBaseURL(base string) error {
	if base == "" {
		return fmt.Errorf("--mail ses: set %s to the public https URL of this Loupe (every link in every mail uses it)", wire.EnvBaseURL)
	}
	if !strings.HasPrefix(base, "https://") && os.Getenv("AWS_ENDPOINT_URL_SESV2") == "" {
		return fmt.Errorf("--mail ses: %s must be an https URL (one-click unsubscribe, RFC 8058, needs https)", wire.EnvBaseURL)
	}
	return nil
}
