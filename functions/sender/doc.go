// Command sender is the Lambda function draining the send queue into SES v2,
// the only function allowed to send mail. Each SQS record is one envelope
// (package sendqueue):
//
//   - kind "touchpoint": a claimed, unrendered touchpoint entry queued by the
//     touchpoints function. touch.Planner.Deliver re-reads the client, store
//     and associate from the table, takes the entry's send lease in the
//     DynamoDB ledger (so only one sender sends it), skips a client who
//     unsubscribed, bounced, complained or was erased meanwhile, renders the
//     mail with its signed unsubscribe link, sends it with the entry's key and
//     marks it sent. A redelivered or requeued entry sends nothing.
//   - kind "mail" (or no kind): a rendered mail.Message queued by sqsmail (the
//     reassignment review mail for a store manager), sent as is.
//
// See sqsqueue.Drain.Handle for what happens to a record that fails. After
// each batch it writes one EMF line (TouchpointsSent, TouchpointsSkipped,
// TouchpointsWaiting, TouchpointsUnconfirmed, MailSent, SendRetried) to standard output.
//
// Environment (wire.Config, read once by lambdawire.Boot): TABLE_NAME (the
// table and its touchpoint ledger), LOUPE_SES_CONFIGURATION_SET (the
// configuration set publishing bounce and complaint events), LOUPE_BASE_URL
// (public base of the /u/{token} links), LOUPE_UNSUBSCRIBE_SECRET_ID (the
// Secrets Manager secret whose current value, at least 16 bytes, signs the
// links; read at start-up; LOUPE_UNSUBSCRIBE_SECRET gives the value itself in
// tests), LOUPE_SENDER_MAX_RATE (optional, messages per
// second for this instance; when unset, the account's MaxSendRate from
// GetAccount divided by 2, the event source's MaximumConcurrency).
package main
