// Command ses-feedback is the Lambda function behind the EventBridge rule on
// SES events from Loupe's configuration set ("Email Bounced", "Email
// Complaint Received"): a permanent bounce or a complaint puts the address on
// the suppression list and marks the customer the mail named (header
// X-Loupe-Customer-Id) bounced or complained, so no touchpoint mails it again.
// No Scan of the table. The policy is loupe.ApplyFeedback; see newHandler for
// what is retried.
//
// Metrics: Bounces and Complaints (Count, namespace Loupe, dimension
// Function=ses-feedback), one EMF line per applied event; see newHandler.
//
// Environment: TABLE_NAME (the DynamoDB table), read by lambdawire.Boot.
package main
