// Command sms-events is the Lambda function subscribed to the SNS topic
// that the SMS configuration set's event destination publishes every text's
// delivery events to (SmsEventsTopic): smsvoice.ParseEvent reads the
// record (its Context carries the touchpoint's ledger key) and
// textin.Service.Delivery moves the text's status forward in the client's
// contact history (delivered, failed, blocked, expired, ...); a number
// AWS reports opted out or blocked has sms denied for every client with it.
//
// SNS invokes it asynchronously: an error (a storage failure, or
// textin.ErrNotRecordedYet when the event outran the sender's history
// write) is retried twice, then the event goes to SmsEventsDLQ (an alarm
// watches it). An unreadable record, or one that is not a text's, is
// logged by its SNS id and dropped. Logs hold message ids, the ledger key,
// statuses and counts, never a number or the status description.
//
// Metrics: TextEvents and StoppedNumbers (Count, namespace Loupe, dimension
// Function=sms-events).
//
// Environment: TABLE_NAME, read by lambdawire.Boot.
package main
