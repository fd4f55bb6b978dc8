package main

import (
	_ "time/tzdata" // store time zones on provided.al2023, which has no tz database

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/loupehq/loupe/shared/lambdahttp"
	"github.com/loupehq/loupe/shared/wire/lambdawire"
)

func main() {
	f := lambdawire.Boot("dashboard-api")
	// "": the API Gateway JWT authorizer guards the staff routes.
	lambda.Start(lambdahttp.Adapt(f.Services(nil).HTTP("")))
}
