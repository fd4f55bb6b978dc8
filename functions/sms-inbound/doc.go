// Command sms-inbound is the Lambda function subscribed to the SNS topic
// that the stores' numbers publish their two-way texts to
// (SmsInboundTopic): each client's reply goes through textin.ParseMessage
// (the validation POST /sms/inbound and `loupe sms inbound` share) into
// textin.Service.Inbound. A STOP (any case, with trailing words) denies sms
// at once for every client with the number; with
// LOUPE_SMS_MANAGED_OPTOUTS it also answers STOP and HELP, once, from the
// number texted.
//
// SNS invokes it asynchronously: an error (a storage failure) is retried
// twice, then the event goes to SmsInboundDLQ (an alarm watches it). An
// unreadable message is logged by its SNS id and dropped: a retry would fail
// the same way. Logs hold the SNS and inbound message ids, the store and
// counts, never a number or the text.
//
// Metrics: InboundTexts, Stops and Replies (Count, namespace Loupe,
// dimension Function=sms-inbound), one EMF line per text.
//
// Environment: TABLE_NAME and the LOUPE_SMS_* settings (docs/channels.md),
// read by lambdawire.Boot.
package main
