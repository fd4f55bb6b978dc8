package main

import (
	_ "time/tzdata" // store time zones on provided.al2023, which has no tz database

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/loupehq/loupe/shared/phone"
	"github.com/loupehq/loupe/shared/wire/lambdawire"
)

func main() {
	f := lambdawire.Boot("pos-webhook")
	f.Phones = phone.Normalize // POST /pos/events reads phone numbers
	if len(f.Config.WebhookSecrets) == 0 {
		f.Logger.Warn("LOUPE_WEBHOOK_SECRET_ID is not set; POST /pos/events will answer 503")
	}
	// "": the API Gateway JWT authorizer guards the staff routes.
	lambda.Start(newHandler(f.Services(nil).HTTP(""), f.Logger, f.Metrics))
}
