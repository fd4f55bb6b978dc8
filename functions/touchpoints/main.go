package main

import (
	_ "time/tzdata" // store time zones on provided.al2023, which has no tz database

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/loupehq/loupe/shared/wire"
	"github.com/loupehq/loupe/shared/wire/lambdawire"
)

func main() {
	f := lambdawire.Boot("touchpoints", wire.EnvSendQueueURL)
	queue, mailer := f.SendQueue()
	svc := f.Services(mailer)
	lambda.Start(newHandler(svc.Planner, svc.Compliance, queue, mailer, config{Schedule: svc.Schedule, Staff: svc.POS}, f.Metrics, f.Logger))
}
