// Command sender is the Lambda function draining the send queue into SES v2,
// the only function allowed to send mail. Each SQS record is one envelope
// (package sendqueue):
//
//   - kind "touchpoint": a claimed, unrendered touchpoint entry queued by the
//     touchpoints function. touch.Planner.Deliver re-reads the client, store
//     and associate from the table, takes the entry's send lease in the
//     DynamoDB ledger (so only one sender sends it), skips a client who
//     unsubscribed, bounced, complained or was erased meanwhile, renders the
//     mail with its signed unsubscribe link, sends it with the entry's key and
//     marks it sent. A redelivered or requeued entry sends nothing.
//   - kind "mail" (or no kind): a rendered mail.Message queued by sqsmail (the
//     reassignment review mail for a store manager), sent as is.
//
// See sqsqueue.Drain.Handle for what happens to a record that fails. After
// each batch it writes one EMF line (TouchpointsSent, TouchpointsSkipped,
// MailSent, SendRetried) to standard output.
//
// Environment: TABLE_NAME (the table and its touchpoint ledger),
// SES_CONFIGURATION_SET (the configuration set publishing bounce and complaint
// events), UNSUBSCRIBE_BASE_URL (public base of the /u/{token} links),
// LOUPE_UNSUBSCRIBE_SECRET (at least 16 bytes; signs the links),
// SENDER_MAX_RATE (optional, messages per second for this instance; when
// unset, the account's MaxSendRate from GetAccount divided by 2, the event
// source's MaximumConcurrency).
package main

import (
	"math"
	"os"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // store time zones on provided.al2023, which has no tz database

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/lambdaenv"
	"github.com/loupehq/loupe/shared/sesmail"
	"github.com/loupehq/loupe/shared/sqsqueue"
	"github.com/loupehq/loupe/shared/touch"
	"github.com/loupehq/loupe/shared/unsub"
)

// concurrency is the event source's ScalingConfig.MaximumConcurrency in
// template.yaml: that many instances share the account's send rate.
const concurrency = 2

func main() {
	logger, cfg := lambdaenv.Boot()
	db := lambdaenv.Table(logger, cfg)

	configSet := os.Getenv("SES_CONFIGURATION_SET")
	if configSet == "" {
		lambdaenv.Exit(logger, "SES_CONFIGURATION_SET is not set")
	}
	rate, err := parseRate(os.Getenv("SENDER_MAX_RATE"))
	if err != nil {
		lambdaenv.Exit(logger, "SENDER_MAX_RATE is not a positive number", "err", err)
	}
	secret := os.Getenv("LOUPE_UNSUBSCRIBE_SECRET")
	if len(secret) < unsub.MinSecretSize {
		lambdaenv.Exit(logger, "LOUPE_UNSUBSCRIBE_SECRET is not set or shorter than 16 bytes")
	}
	base := strings.TrimRight(os.Getenv("UNSUBSCRIBE_BASE_URL"), "/")
	if base == "" {
		lambdaenv.Exit(logger, "UNSUBSCRIBE_BASE_URL is not set")
	}
	signer := unsub.New([]byte(secret))
	sender := sesmail.New(sesv2.NewFromConfig(cfg), sesmail.Config{
		ConfigurationSet: configSet,
		MaxRate:          rate,
		Concurrency:      concurrency,
		Logger:           logger,
	})
	ledger := db.Ledger()
	planner := &touch.Planner{
		DB:             db,
		Ledger:         ledger,
		Campaigns:      ledger,
		UnsubscribeURL: func(id string) string { return signer.URL(base, id) },
		Suppression:    db, // a bounce under another client sharing the address stops the mail too
		Now:            time.Now,
		Log:            logger,
	}
	drain := &sqsqueue.Drain{Touchpoints: planner, Sender: sender, Logger: logger}
	lambda.Start(newHandler(drain, emf.New(os.Stdout, "sender", nil), logger))
}

// parseRate returns the messages per second in s, 0 (ask SES) when s is "".
// Returns an error when s is not a positive number.
func parseRate(s string) (float64, error) {
	if s == "" {
		return 0, nil
	}
	r, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, err
	}
	if !(r > 0) || math.IsInf(r, 1) {
		return 0, strconv.ErrRange
	}
	return r, nil
}
