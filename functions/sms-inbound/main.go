package main

import (
	_ "time/tzdata" // store time zones on provided.al2023, which has no tz database

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/loupehq/loupe/shared/phone"
	"github.com/loupehq/loupe/shared/wire/lambdawire"
)

func main() {
	f := lambdawire.Boot("sms-inbound")
	f.Phones = phone.Normalize // a consent is bound to its number (E.164, checked)
	if f.Config.SMSManagedOptOuts && f.Config.SMS() {
		f.Replies = f.Texts(1) // Loupe answers STOP and HELP itself
	}
	lambda.Start(newHandler(f.Services(nil).Texts, f.Metrics, f.Logger))
}
