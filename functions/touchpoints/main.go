// Command touchpoints is the Lambda function the hourly schedule (EventBridge
// Scheduler, ScheduleV2 in template.yaml, Input {"scheduled_time":
// "<aws.scheduler.scheduled-time>"}) invokes: each hour it plans the
// touchpoints of the stores whose local hour is LOUPE_PLAN_HOUR (default 6),
// on their local today, and queues them, one SQS message an entry, on the send
// queue, where the sender function renders and sends them; and it queues the
// inspection morning mails (docs/compliance.md) of stores past 07:00 local.
// It sends no mail itself and renders no touchpoint. Before planning it requeues
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
// It answers {"loupe_date", "requeued", "planned", "deferred", "stores",
// "morning_mails"} and writes one EMF line (TouchpointsPlanned,
// TouchpointsDeferred, TouchpointsRequeued, InspectionMails).
//
// Environment: TABLE_NAME (the table and its touchpoint ledger),
// SEND_QUEUE_URL (the SQS send queue), LOUPE_FATIGUE_CAP_DAYS (optional: the
// fatigue cap in days, default 7), LOUPE_PLAN_HOUR (optional: the store-local
// hour, 0-23, in which a store's day is planned, default 6). The unsubscribe secret and base URL are
// the sender's: mail is rendered at send time.
package main

import (
	"os"
	"strconv"
	"time"
	_ "time/tzdata" // store time zones on provided.al2023, which has no tz database

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/emf"
	"github.com/loupehq/loupe/shared/lambdaenv"
	"github.com/loupehq/loupe/shared/sqsqueue"
	"github.com/loupehq/loupe/shared/touch"
)

func main() {
	logger, cfg := lambdaenv.Boot()
	db := lambdaenv.Table(logger, cfg)

	queueURL := os.Getenv("SEND_QUEUE_URL")
	if queueURL == "" {
		lambdaenv.Exit(logger, "SEND_QUEUE_URL is not set")
	}
	capDays, err := parseCap(os.Getenv("LOUPE_FATIGUE_CAP_DAYS"))
	if err != nil {
		lambdaenv.Exit(logger, "LOUPE_FATIGUE_CAP_DAYS is not a whole number of days from 1 to 365", "err", err)
	}
	ledger := db.Ledger()
	planner := &touch.Planner{
		DB:        db,
		Ledger:    ledger,
		Campaigns: ledger,
		Cap:       capDays,
		// Entries wait in the queue while the sender drains a blast at the
		// account's send rate; requeueing them every hour would only grow
		// the queue (they would still go once). A crashed sender's entry
		// comes back by SQS redelivery long before this.
		RecoverAfter: recoverAfter,
		Now:          time.Now,
		Log:          logger,
	}
	planHour, err := parseHour(os.Getenv("LOUPE_PLAN_HOUR"))
	if err != nil {
		lambdaenv.Exit(logger, "LOUPE_PLAN_HOUR is not a whole hour from 0 to 23", "err", err)
	}
	inspections := &compliance.Service{Store: db.Compliance(), Inspections: db.Compliance(),
		Stores: db, Associates: db, Now: time.Now, Log: logger}
	sqsClient := sqs.NewFromConfig(cfg)
	queue := sqsqueue.NewQueue(sqsClient, queueURL, sqsqueue.QueueConfig{})
	mailQueue := sqsqueue.NewMailer(sqsClient, queueURL)
	lambda.Start(newHandler(planner, inspections, queue, mailQueue, config{PlanHour: planHour},
		emf.New(os.Stdout, "touchpoints", nil), logger))
}

// recoverAfter is how old an unsent claim must be before a run queues it
// again: longer than a large blast takes to drain at a modest SES rate.
const recoverAfter = 6 * time.Hour

// defaultPlanHour is the store-local hour in which a store's day is planned.
const defaultPlanHour = 6

// parseHour returns the plan hour in s, defaultPlanHour when s is "".
// Returns an error when s is not a whole number from 0 to 23.
func parseHour(s string) (int, error) {
	if s == "" {
		return defaultPlanHour, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, err
	}
	if n < 0 || n > 23 {
		return 0, strconv.ErrRange
	}
	return n, nil
}

// parseCap returns the fatigue cap in days in s, 0 (touch.DefaultCap) when s
// is "". Returns an error when s is not a whole number from 1 to 365.
func parseCap(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, err
	}
	if n < 1 || n > 365 {
		return 0, strconv.ErrRange
	}
	return n, nil
}
