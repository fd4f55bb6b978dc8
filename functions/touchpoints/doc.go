// Command touchpoints is the Lambda function the hourly schedule (EventBridge
// Scheduler, ScheduleV2 in template.yaml, Input {"scheduled_time":
// "<aws.scheduler.scheduled-time>"}) invokes: each hour it plans the
// touchpoints of the stores whose local hour is LOUPE_PLAN_HOUR (default 6),
// on their local today, and queues them, one SQS message an entry, on the send
// queue, where the sender function renders and sends them; and it queues the
// inspection morning mails (docs/compliance.md) of stores past 07:00 local.
// It sends no mail itself and renders no touchpoint. First it applies the
// terminations whose notice ran out (an associate.terminated with a future
// terminated_at, pos.Service.SettleTerminations): each is a status change on
// the table, so the staff stream reassigns the book. Before planning it requeues
// claims older than recoverAfter that were never sent (a lost message, one in
// the dead-letter queue, a claim whose enqueue failed). Claims are
// conditional writes in the DynamoDB ledger: a duplicate or retried
// invocation plans nothing new.
//
// Manual run (backfill, tests): invoke it with {"loupe_date": "YYYY-MM-DD"}
// to plan that store-local day for every store, e.g.
//
//	aws lambda invoke --function-name <TouchpointsFunction> \
//	  --cli-binary-format raw-in-base64-out --payload '{"loupe_date":"2026-12-01"}' out.json
//
// It answers {"loupe_date", "terminated", "requeued", "planned", "deferred",
// "stores", "morning_mails"} and writes one EMF line (TouchpointsPlanned,
// TouchpointsDeferred, TouchpointsRequeued, InspectionMails,
// AssociatesTerminated).
//
// The run is touch.Hourly, the same function `loupe serve` runs each hour, and
// the rule of which stores are due is touch.Schedule.
//
// Environment (wire.Config, read once by lambdawire.Boot): TABLE_NAME (the
// table and its touchpoint ledger), SEND_QUEUE_URL (the SQS send queue),
// LOUPE_FATIGUE_CAP_DAYS (optional: the fatigue cap in days, default 7),
// LOUPE_PLAN_HOUR (optional: the store-local hour, 0-23, in which a store's
// day is planned, default 6). The unsubscribe secret is the sender's: mail is
// rendered at send time.
package main
