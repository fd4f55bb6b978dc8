// Package lambdawire is the start-up every Loupe Lambda shares, the AWS side
// of package wire: the JSON logger carrying each request id, the AWS
// configuration loaded once before lambda.Start, wire.Config read from the
// environment once with its secrets read from Secrets Manager once, the
// DynamoDB table, SQS and SES clients, and the domain services built by
// wire.Build over them. A function's main picks what it
// needs and starts: on a missing or malformed setting Boot logs one line and
// exits, so Lambda reports an init error instead of serving half-configured.
package lambdawire

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/loupehq/loupe/shared/contact"
	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/mail"
	"github.com/loupehq/loupe/shared/pos"
	"github.com/loupehq/loupe/shared/reassign"
	"github.com/loupehq/loupe/shared/secrets"
	"github.com/loupehq/loupe/shared/sesmail"
	"github.com/loupehq/loupe/shared/smsvoice"
	"github.com/loupehq/loupe/shared/sqsqueue"
	"github.com/loupehq/loupe/shared/textin"
	"github.com/loupehq/loupe/shared/touch"
	"github.com/loupehq/loupe/shared/wire"
)

// Function is one Lambda function's start-up state, made once per instance.
type Function struct {
	// Name is the function's folder name, the Function dimension of its
	// metrics ("pos-webhook").
	Name   string
	Logger *slog.Logger
	AWS    aws.Config
	Config wire.Config
	// DB is the table named by TABLE_NAME.
	DB *dynamo.DB
	// Metrics writes the function's EMF lines to standard output.
	Metrics *emf.Writer
	// Phones, set by a function that applies POS events (phone.Normalize)
	// before it calls Services, reads phone numbers; the others leave it
	// nil and do not link the phone metadata.
	Phones pos.PhoneReader
	// Reviews, set by a function that reassigns (the send queue's
	// Mailer) before it calls Services, hands each review mail on by its
	// batch id, for the sender to build (wire.Ports.Reviews).
	Reviews reassign.ReviewQueue
	// Channels, set by the function that delivers touchpoints (the
	// sender: Texts) before it calls Services, send on the channels other
	// than email (wire.Ports.Channels). Nil elsewhere: with texts
	// configured (wire.Config.SMS) those functions plan sms as open
	// (touch.Elsewhere) and leave the sending to the sender, so only it
	// links the End User Messaging client.
	Channels map[string]touch.Channel
	// Replies, set by the function that takes inbound texts when Loupe
	// answers STOP and HELP (LOUPE_SMS_MANAGED_OPTOUTS: Texts), sends the
	// replies (wire.Ports.Replies).
	Replies textin.Replier
	// Places, set with Channels by the function that sends texts
	// (phone.Places), says where phones and addresses are for the quiet
	// hours (wire.Ports.Places).
	Places touch.Places
}

// Boot installs a logger that writes JSON lines with the request id (with the
// function's LoggingConfig LogFormat JSON) as slog's default, loads the AWS
// configuration (AWSConfig) and wire.Config from the environment, reads the
// secrets its LOUPE_*_SECRET_ID settings name from Secrets Manager
// (Configure), checks that TABLE_NAME and every variable in needs (wire.Env*
// names) are set, and opens the table. It logs one line and exits when any of
// that fails.
func Boot(name string, needs ...string) *Function {
	logger := slog.New(lambdacontext.NewLogHandler())
	slog.SetDefault(logger)
	cfg, err := AWSConfig()
	if err != nil {
		exit(logger, "load aws config", err)
	}
	conf, err := Configure(context.Background(), secretsmanager.NewFromConfig(cfg),
		append([]string{wire.EnvTableName}, needs...)...)
	if err != nil {
		exit(logger, "configuration", err)
	}
	return &Function{
		Name:    name,
		Logger:  logger,
		AWS:     cfg,
		Config:  conf,
		DB:      dynamo.New(dynamodb.NewFromConfig(cfg), conf.TableName),
		Metrics: emf.New(os.Stdout, name, nil),
	}
}

// Configure returns wire.Config from the environment with the secrets named
// by LOUPE_WEBHOOK_SECRET_ID and LOUPE_UNSUBSCRIBE_SECRET_ID read through sm
// (their AWSCURRENT and AWSPREVIOUS values, wire.Config.UseWebhookSecret and
// UseUnsubscribeSecret), and checks that every variable in needs is set. The
// values are read once, here: an execution environment keeps them for its
// life. Returns an error naming each malformed or missing setting, and the id
// of a secret that is missing, too short or cannot be read (secrets.Get);
// never a value.
func Configure(ctx context.Context, sm secrets.Client, needs ...string) (wire.Config, error) {
	conf, err := wire.FromEnv()
	if err != nil {
		return wire.Config{}, err
	}
	var ids []string
	for _, id := range []string{conf.WebhookSecretID, conf.UnsubscribeSecretID, conf.APITokenID, conf.SignInKeyID} {
		if id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 {
		got, err := secrets.Get(ctx, sm, ids...)
		if err != nil {
			return wire.Config{}, fmt.Errorf("read secrets: %w", err)
		}
		if id := conf.WebhookSecretID; id != "" {
			if err := conf.UseWebhookSecret(got[id].Current, got[id].Previous); err != nil {
				return wire.Config{}, err
			}
		}
		if id := conf.UnsubscribeSecretID; id != "" {
			if err := conf.UseUnsubscribeSecret(got[id].Current, got[id].Previous); err != nil {
				return wire.Config{}, err
			}
		}
		if id := conf.APITokenID; id != "" {
			if conf.APIToken = strings.TrimSpace(got[id].Current); len(conf.APIToken) < 16 {
				return wire.Config{}, fmt.Errorf("secret %s (%s) must hold an API token of at least 16 characters", id, wire.EnvAPITokenID)
			}
		}
		if id := conf.SignInKeyID; id != "" {
			if err := conf.UseSignInKey(got[id].Current, got[id].Previous); err != nil {
				return wire.Config{}, err
			}
		}
	}
	if err := conf.Require(needs...); err != nil {
		return wire.Config{}, err
	}
	return conf, nil
}

// Services returns the domain services over the table, with mail going to m
// (nil: the function sends no mail of its own) and claims recovered after
// wire.RecoverAfterQueued (entries wait in the SQS send queue).
func (f *Function) Services(m mail.Sender) *wire.Services {
	return wire.Build(f.Config, f.ports(m))
}

// ServicesOn returns the domain services of cfg over db, as a function
// builds them (Function.Services); tests use it on a dynalite table.
func ServicesOn(db *dynamo.DB, cfg wire.Config, m mail.Sender, logger *slog.Logger) *wire.Services {
	f := &Function{DB: db, Config: cfg, Logger: logger}
	return f.Services(m)
}

// StaffServices is Services with staff sign-in (wire.SignIn): the chain's
// OIDC provider or Loupe's own sign-in tokens, for the function that serves
// the staff routes. A malformed provider setting or key ends the process.
// Only dashboard-api calls it, so only it links the token libraries.
func (f *Function) StaffServices(m mail.Sender) *wire.Services {
	tokens, issuer, err := wire.SignIn(f.Config, time.Now)
	if err != nil {
		exit(f.Logger, "staff sign-in", err)
	}
	p := f.ports(m)
	p.StaffTokens, p.SignInTokens = tokens, issuer
	return wire.Build(f.Config, p)
}

// ports are the function's adapters over its table, with mail going to m.
func (f *Function) ports(m mail.Sender) wire.Ports {
	channels := f.Channels
	if channels == nil && f.Config.SMS() {
		channels = map[string]touch.Channel{contact.SMS: touch.Elsewhere(contact.SMS)}
	}
	return wire.Ports{
		Phones:       f.Phones,
		Reviews:      f.Reviews,
		Channels:     channels,
		Places:       f.Places,
		Replies:      f.Replies,
		Records:      f.DB,
		Compliance:   f.DB.Compliance(),
		Ledger:       f.DB.Ledger(),
		Mail:         m,
		RecoverAfter: wire.RecoverAfterQueued,
		Logger:       f.Logger,
	}
}

// SendQueue returns the producers of the send queue (SEND_QUEUE_URL, which
// the function must have named in Boot's needs): touchpoint entries and
// built mail.
func (f *Function) SendQueue() (*sqsqueue.Queue, *sqsqueue.Mailer) {
	client := sqs.NewFromConfig(f.AWS)
	return sqsqueue.NewQueue(client, f.Config.SendQueueURL, sqsqueue.QueueConfig{}),
		sqsqueue.NewMailer(client, f.Config.SendQueueURL)
}

// SES returns the SES v2 sender in the configuration set of
// LOUPE_SES_CONFIGURATION_SET, paced at LOUPE_SENDER_MAX_RATE (or the
// account's rate shared by concurrency instances).
func (f *Function) SES(concurrency int) *sesmail.Sender {
	return sesmail.New(sesv2.NewFromConfig(f.AWS), sesmail.Config{
		ConfigurationSet: f.Config.SESConfigurationSet,
		MaxRate:          f.Config.SenderMaxRate,
		Concurrency:      concurrency,
		Logger:           f.Logger,
	})
}

// Texts returns the End User Messaging SMS sender of the stores'
// origination identities (LOUPE_SMS_ORIGINATION_IDENTITY and
// LOUPE_SMS_STORE_IDENTITIES) in LOUPE_SMS_CONFIGURATION_SET, paced at
// LOUPE_SMS_MPS shared by concurrency instances.
func (f *Function) Texts(concurrency int) *smsvoice.Sender {
	return smsvoice.New(pinpointsmsvoicev2.NewFromConfig(f.AWS), TextsConfig(f.Config, concurrency, f.Logger))
}

// Calls returns the End User Messaging voice sender of the service calls
// (repair_ready, repair_reminder for clients who prefer calls), from the
// same identities and configuration set as Texts.
func (f *Function) Calls(concurrency int) *smsvoice.Voice {
	return smsvoice.NewVoice(pinpointsmsvoicev2.NewFromConfig(f.AWS), TextsConfig(f.Config, concurrency, f.Logger))
}

// TextsConfig is the smsvoice configuration of cfg, its rate shared by
// concurrency instances.
func TextsConfig(cfg wire.Config, concurrency int, logger *slog.Logger) smsvoice.Config {
	mps := cfg.SMSMessagesPerSecond
	if mps <= 0 {
		mps = 1
	}
	return smsvoice.Config{
		OriginationIdentity: cfg.SMSIdentity,
		StoreIdentities:     cfg.SMSStoreIdentities,
		ConfigurationSet:    cfg.SMSConfigurationSet,
		MessagesPerSecond:   mps / float64(max(concurrency, 1)),
		TimeToLive:          cfg.SMSTimeToLive,
		Logger:              logger,
	}
}

// exit logs msg with err as an error and ends the process with status 1.
func exit(logger *slog.Logger, msg string, err error) {
	logger.Error(msg, "err", err)
	os.Exit(1)
}
