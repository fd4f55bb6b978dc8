// Command repair-stream is the Lambda function on the table's stream (filtered
// to repair INSERTs in template.yaml): each repair take-in goes to
// compliance.Service.HandleChange, the same function the local change feed
// calls in `loupe serve`. Other records are ignored; a re-delivered record
// counts nothing twice. A failing record is reported by its SequenceNumber so
// Lambda retries from there.
//
// Metrics (CloudWatch embedded metric format on standard output, namespace
// Loupe, dimension Function=repair-stream), one line per batch:
// TakeInsRecorded and TakeInsWithEmail (Count: take-ins the batch handled, and
// those whose email counts as captured; a re-delivered take-in counts again
// here, never in the compliance figures) and CaptureRate (Percent, only when
// the batch held take-ins).
//
// Environment: TABLE_NAME (the DynamoDB table) and the settings of
// wire.Config (LOUPE_ALLOWED_EMAIL_DOMAINS judges the email), read once by
// lambdawire.Boot.
package main
