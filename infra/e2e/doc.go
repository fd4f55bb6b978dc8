// Package e2e holds the end-to-end tests of the real Lambda bootstraps: each
// function of template.yaml is built by its own Makefile target, make build-<LogicalId> (for
// this machine's architecture) and run behind a Lambda Runtime API served by
// package lambdahost, on dynalite, aws-ses-v2-local and an SQS stand-in, with
// the environment the template gives it, with its secrets (webhook,
// unsubscribe, API token, sign-in key) in a Secrets Manager stand-in.
// TestScenario drives every job through the POS webhook, its staff reads
// carrying the API token; TestOIDCSignIn runs dashboard-api in OIDC mode
// against oauth2-mock-server (package oidctest) and calls it with the ID
// tokens that issuer signs; BenchmarkColdStart reports each arm64
// bootstrap's size and each native bootstrap's time from process start to
// ready.
//
//	go test ./infra/e2e/ -run TestScenario -v
//	go test ./infra/e2e/ -run TestOIDCSignIn -v
//	LOUPE_E2E_COUNTS=counts.json go test ./infra/e2e/ -run TestScenario
//	go test ./infra/e2e/ -run '^$' -bench ColdStart -benchtime 1x   # also part of make bench
//
// Without node or node_modules the tests are skipped; with CI=true they fail.
package e2e
