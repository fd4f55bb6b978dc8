package main

import (
	_ "time/tzdata" // store time zones on provided.al2023, which has no tz database

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/loupehq/loupe/shared/wire"
	"github.com/loupehq/loupe/shared/wire/lambdawire"
)

func main() {
	f := lambdawire.Boot("staff-stream", wire.EnvSendQueueURL)
	_, mailer := f.SendQueue()
	f.Reviews = mailer // the review mail travels as its batch id; the sender builds it
	fn := &function{reassign: f.Services(mailer).Reassign, logger: f.Logger, metrics: f.Metrics}
	lambda.Start(fn.invoke)
}
