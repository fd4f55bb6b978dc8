package main

import (
	_ "time/tzdata" // store time zones on provided.al2023, which has no tz database

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/loupehq/loupe/shared/contact"
	"github.com/loupehq/loupe/shared/phone"
	"github.com/loupehq/loupe/shared/sqsqueue"
	"github.com/loupehq/loupe/shared/touch"
	"github.com/loupehq/loupe/shared/wire"
	"github.com/loupehq/loupe/shared/wire/lambdawire"
)

// concurrency is the event source's ScalingConfig.MaximumConcurrency in
// template.yaml: that many instances share the account's send rate.
const concurrency = 2

func main() {
	f := lambdawire.Boot("sender", wire.EnvSESConfigurationSet, wire.EnvUnsubscribeSecret, wire.EnvBaseURL)
	ses := f.SES(concurrency)
	if f.Config.SMS() {
		// Texts go from here, so the quiet hours are judged here too, in
		// the zones of the phone and the address (libphonenumber).
		f.Channels = map[string]touch.Channel{contact.SMS: f.Texts(concurrency), contact.Voice: f.Calls(concurrency)}
		f.Places = phone.Places{}
		// A text skipped for its number's STOP records the client's sms
		// denial, a consent bound to the number (E.164, checked).
		f.Phones = phone.Normalize
	}
	svc := f.Services(ses)
	drain := &sqsqueue.Drain{Touchpoints: svc.Planner, Reviews: svc.Reassign, Sender: ses, Logger: f.Logger}
	lambda.Start(newHandler(drain, f.Metrics, f.Logger))
}
