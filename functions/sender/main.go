// Command sender is the Lambda function draining the send queue into SES v2:
// each SQS record holds one mail.Message enqueued by sqsmail (stream handlers
// and the touchpoint planner never call SES themselves). It is the only
// function allowed to send mail. See newHandler for what happens to a record
// that fails.
//
// Environment: SES_CONFIGURATION_SET (the configuration set publishing bounce
// and complaint events), SENDER_MAX_RATE (optional, messages per second for
// this instance; when unset, the account's MaxSendRate from GetAccount divided
// by 2, the event source's MaximumConcurrency). The queued messages already
// carry their List-Unsubscribe headers, so UNSUBSCRIBE_BASE_URL and
// LOUPE_UNSUBSCRIBE_SECRET are not read yet.
package main

import (
	"math"
	"os"
	"strconv"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/loupehq/loupe/shared/lambdaenv"
	"github.com/loupehq/loupe/shared/sesmail"
)

// concurrency is the event source's ScalingConfig.MaximumConcurrency in
// template.yaml: that many instances share the account's send rate.
const concurrency = 2

func main() {
	logger, cfg := lambdaenv.Boot()

	configSet := os.Getenv("SES_CONFIGURATION_SET")
	if configSet == "" {
		lambdaenv.Exit(logger, "SES_CONFIGURATION_SET is not set")
	}
	rate, err := parseRate(os.Getenv("SENDER_MAX_RATE"))
	if err != nil {
		lambdaenv.Exit(logger, "SENDER_MAX_RATE is not a positive number", "err", err)
	}
	sender := sesmail.New(sesv2.NewFromConfig(cfg), sesmail.Config{
		ConfigurationSet: configSet,
		MaxRate:          rate,
		Concurrency:      concurrency,
		Logger:           logger,
	})
	lambda.Start(newHandler(sender, logger))
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
