package main

import (
	_ "time/tzdata" // store time zones on provided.al2023, which has no tz database

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/loupehq/loupe/shared/wire/lambdawire"
)

func main() {
	f := lambdawire.Boot("repair-stream")
	lambda.Start(newHandler(f.Services(nil).Compliance, f.Logger, f.Metrics))
}
