// Command ses-feedback is the Lambda function behind the EventBridge rule on
// SES events from Loupe's configuration set ("Email Bounced", "Email
// Complaint Received"): a permanent bounce or a complaint marks every customer
// holding the address bounced or complained, so no touchpoint mails it again.
// See newHandler for what is ignored and what is retried.
//
// Environment: TABLE_NAME (the DynamoDB table).
package main

import (
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/loupehq/loupe/shared/lambdaenv"
)

func main() {
	logger, cfg := lambdaenv.Boot()

	lambda.Start(newHandler(lambdaenv.Table(logger, cfg), logger))
}
