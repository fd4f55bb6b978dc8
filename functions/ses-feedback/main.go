package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/loupehq/loupe/shared/wire/lambdawire"
)

func main() {
	f := lambdawire.Boot("ses-feedback")
	lambda.Start(newHandler(f.DB, f.Logger, f.Metrics))
}
