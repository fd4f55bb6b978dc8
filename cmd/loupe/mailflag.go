package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/sesmail"
)

// Where serve, demo and tick send mail (--mail).
const (
	mailOutbox = "outbox" // DIR/outbox/*.eml, each mail once (the default)
	mailSES    = "ses"    // Amazon SES v2 (or aws-ses-v2-local through AWS_ENDPOINT_URL_SESV2)
)

// envSESConfigurationSet names the SES configuration set of --mail ses; none
// when unset.
const envSESConfigurationSet = "LOUPE_SES_CONFIGURATION_SET"

// sesDefaultRegion is the region of --mail ses when AWS_ENDPOINT_URL_SESV2
// points at a stand-in and nothing names a region (aws-ses-v2-local accepts any).
const sesDefaultRegion = "us-east-1"

// mailFlag adds --mail to fs.
func mailFlag(fs *flag.FlagSet) *string {
	return fs.String("mail", mailOutbox, "where mail goes: outbox (DIR/outbox/*.eml) or ses (Amazon SES v2; honours AWS_ENDPOINT_URL_SESV2 and "+envSESConfigurationSet+")")
}

// checkMailMode returns a usage error text for an unknown --mail value, "" when valid.
func checkMailMode(mode string) string {
	if mode == mailOutbox || mode == mailSES {
		return ""
	}
	return fmt.Sprintf("--mail %q: want outbox or ses", mode)
}

// useMail points a's mail (touchpoints, review mail, inspection mail) at
// mode: the outbox already wired by newApp, or SES v2 with the SDK's standard
// configuration (credentials, region, AWS_ENDPOINT_URL_SESV2), paced at the
// account's maximum send rate. Returns an error when the AWS configuration
// cannot be loaded.
func (a *app) useMail(ctx context.Context, mode string) error {
	if mode != mailSES {
		return nil
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("--mail ses: load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		if os.Getenv("AWS_ENDPOINT_URL_SESV2") == "" {
			// Against real SES the region is where the identity is verified;
			// guessing one would fail every send with "not verified".
			return fmt.Errorf("--mail ses: no AWS region: set AWS_REGION to the region of your verified SES identity")
		}
		cfg.Region = sesDefaultRegion // a local stand-in accepts any
	}
	a.setMailer(sesmail.New(sesv2.NewFromConfig(cfg), sesmail.Config{
		ConfigurationSet: os.Getenv(envSESConfigurationSet),
		Logger:           a.logger.With(slog.String("mail", mailSES)),
	}))
	return nil
}

// setMailer makes s the sender of every mail a sends.
func (a *app) setMailer(s mail.Sender) {
	a.mail = s
	a.reassign.Mail = s
}
