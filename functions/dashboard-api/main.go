package main

import (
	_ "time/tzdata" // store time zones on provided.al2023, which has no tz database

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/loupehq/loupe/shared/lambdahttp"
	"github.com/loupehq/loupe/shared/phone"
	"github.com/loupehq/loupe/shared/wire"
	"github.com/loupehq/loupe/shared/wire/lambdawire"
)

func main() {
	f := lambdawire.Boot("dashboard-api", wire.EnvSendQueueURL)
	// POST /sms/inbound records a STOP on the number's consent (bound to
	// the number, read as E.164), as sms-inbound does.
	f.Phones = phone.Normalize
	// Sign-in link mails go through the send queue to the sender function.
	_, mailer := f.SendQueue()
	// Loupe checks every staff token itself: the API token (a secret), the
	// chain's OIDC ID tokens or its own sign-in tokens.
	lambda.Start(lambdahttp.Adapt(f.StaffServices(mailer).HTTP("")))
}
