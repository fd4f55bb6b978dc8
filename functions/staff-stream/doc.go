// Command staff-stream is the Lambda function on the table's stream (filtered
// to associate records in template.yaml): an associate going from active to
// terminated goes to reassign.Service.HandleChange, the same function the
// local change feed calls in `loupe serve`, which reassigns the associate's
// book and queues the reassignment_review mail for the store manager on the
// send queue (the sender function delivers it through SES). Other records are
// ignored; a replayed termination moves nobody twice. A failing record is
// reported by its SequenceNumber so Lambda retries from there, and a batch
// interrupted halfway completes on that retry.
//
// Backfill: invoked directly with {"loupe_backfill": "orphans"} instead of a
// stream event, it runs reassign.Service.ReassignOrphans (what `loupe orphans
// --reassign` does locally) until 15 s before the invocation's deadline and
// answers {"batches": [...], "remaining_orphans": n, "complete": bool}; invoke
// again until complete is true (docs/reassignment.md).
//
// Metrics (CloudWatch embedded metric format on standard output, namespace
// Loupe, dimension Function=staff-stream), one line per invocation, stream
// batch or backfill alike (property trigger): ClientsReassigned (clients
// moved) and ReassignmentBatches (batches completed). A replayed termination
// counts 0 of both.
//
// Environment (wire.Config, read once by lambdawire.Boot): TABLE_NAME (the
// DynamoDB table), SEND_QUEUE_URL (the SQS send queue), LOUPE_BASE_URL (the
// public base URL, for the link to the printable list in the mail).
package main
