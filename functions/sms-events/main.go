package main

import (
	_ "time/tzdata" // store time zones on provided.al2023, which has no tz database

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/loupehq/loupe/shared/phone"
	"github.com/loupehq/loupe/shared/wire/lambdawire"
)

func main() {
	f := lambdawire.Boot("sms-events")
	f.Phones = phone.Normalize // a blocked number's consent is bound to it
	lambda.Start(newHandler(f.Services(nil).Texts, f.Metrics, f.Logger))
}
