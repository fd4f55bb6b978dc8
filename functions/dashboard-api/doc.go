// Command dashboard-api is the Lambda function behind the API Gateway HTTP API
// (payload 2.0) for the chain's staff: GET /compliance, GET /dashboard and
// every other staff route httpapi serves, with the same handler `loupe serve`
// uses. Loupe checks every staff bearer token itself (the API gateway has no
// authorizer): the API token (LOUPE_API_TOKEN_SECRET_ID), the chain's OIDC ID
// tokens (LOUPE_OIDC_ISSUER, LOUPE_OIDC_CLIENT_ID) or, in link mode, its own
// tokens signed with LOUPE_SIGNIN_KEY_SECRET_ID; docs/staff-app.md.
//
// Routes served here: /me, /auth/config, /auth/link, /auth/token,
// /app/signin, /compliance, /dashboard, /customers/{id} (GET, DELETE),
// /reassignments (list, one, .csv, print page, claims), /stores/{id}/inspection,
// POST /campaigns and GET /coverage. Sign-in link mails go on the send queue
// (SEND_QUEUE_URL) to the sender function; a claim sends no mail.
//
// Environment (wire.Config, read once by lambdawire.Boot): TABLE_NAME (the
// DynamoDB table), SEND_QUEUE_URL, LOUPE_BASE_URL (the sign-in link),
// LOUPE_ADMIN_EMAILS, the OIDC settings, LOUPE_ALLOWED_EMAIL_DOMAINS and
// LOUPE_FATIGUE_CAP_DAYS (the same judgements as the stream and schedule
// functions). Logs are slog lines carrying the request id, never an email.
package main
