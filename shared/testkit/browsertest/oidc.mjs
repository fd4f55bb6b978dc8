// Drives Loupe's staff sign-in page (GET /app/signin) in OIDC mode in
// headless Chromium with real clicks, against a mock issuer
// (shared/testkit/oidctest), for shared/httpapi/oidc_browser_test.go.
//
//   node shared/testkit/browsertest/oidc.mjs <server URL> <issuer URL> [signin|wrong-state]
//
// The person opens <server>/app/signin, waits for the page to be quiet and
// clicks "Sign in". The page goes to the issuer's authorization endpoint,
// which redirects straight back with a code. With wrong-state, the script
// rewrites the state of that redirect (the code stays the issuer's) before
// the browser follows it, as an attacker's forged return would. The script
// then waits until either the staff app has settled (body data-state ready,
// error or signin) or the sign-in page shows a message (#msg).
//
// One JSON object goes to stdout:
//
//   {"discovery_statuses": [200], "authorize_urls": ["<issuer>/authorize?..."],
//    "return_url": "<server>/app/signin?code=...&state=...",
//    "token_requests": [{"url": "...", "status": 200, "form": {"grant_type": ...}}],
//    "me_statuses": [200], "final_url": "...", "url_has_code": false,
//    "back_url": "...", "session_token": "...", "pending": "",
//    "app_state": "ready", "screen": "today", "message": "", "page_errors": [],
//    "console_errors": [], "failed_requests": [], "error_responses": []}
//
// authorize_urls are the browser's requests to <issuer>/authorize;
// return_url is where the issuer sent the browser back (as followed, after
// any rewrite); token_requests are the POSTs to the issuer's token endpoint
// with their form fields and status (0 when no answer came); session_token
// and pending are sessionStorage "loupe.token" and "loupe.oidc" on the page
// reached ("" for none); me_statuses those of the app's GET /me; back_url
// is where Back leads from the app;
// error_responses are "STATUS URL" of every answer of 400 or more (the token
// endpoint's too).
//
// Chromium is process.env.LOUPE_CHROMIUM, else /usr/bin/chromium. Exits 2
// for bad arguments and 1, with the reason on stderr, when a step times out
// or the browser fails.
import { backFrom, drive, settled, stepTimeout } from './browser.mjs';

const [server, issuer, mode = 'signin'] = process.argv.slice(2);
if (!server || !issuer || !['signin', 'wrong-state'].includes(mode)) {
  console.error('usage: node oidc.mjs <server URL> <issuer URL> [signin|wrong-state]');
  process.exit(2);
}
const origin = new URL(server).origin;
const issuerOrigin = new URL(issuer).origin;

await drive('oidc.mjs', run);

async function run(browser) {
  const discoveryStatuses = [];
  const authorizeURLs = [];
  const tokenRequests = [];
  const meStatuses = [];
  const pageErrors = [];
  const consoleErrors = [];
  const failedRequests = [];
  const errorResponses = [];
  let returnURL = '';

  const ctx = await browser.newContext();
  const isReturn = (u) => u.origin === origin && u.pathname === '/app/signin' && (u.searchParams.has('code') || u.searchParams.has('error'));
  ctx.on('request', (req) => {
    const u = new URL(req.url());
    if (u.origin === issuerOrigin && u.pathname === '/authorize') authorizeURLs.push(req.url());
    if (isReturn(u) && req.isNavigationRequest()) returnURL = req.url();
    if (u.origin === issuerOrigin && req.method() === 'POST' && u.pathname === '/token') {
      const entry = { url: req.url(), status: 0, form: Object.fromEntries(new URLSearchParams(req.postData() || '')) };
      tokenRequests.push(entry);
      req.response().then((res) => { if (res) entry.status = res.status(); }, () => {});
    }
  });
  ctx.on('response', (res) => {
    const u = new URL(res.url());
    if (u.origin === issuerOrigin && u.pathname === '/.well-known/openid-configuration') discoveryStatuses.push(res.status());
    if (u.origin === origin && u.pathname === '/me') meStatuses.push(res.status());
    if (res.status() >= 400) errorResponses.push(`${res.status()} ${res.url()}`);
  });
  ctx.on('requestfailed', (req) => failedRequests.push(`${req.method()} ${req.url()}: ${req.failure() && req.failure().errorText}`));

  if (mode === 'wrong-state') {
    // The issuer answers as usual; the browser gets its redirect with
    // another state.
    await ctx.route(`${issuerOrigin}/authorize*`, async (route) => {
      const res = await route.fetch({ maxRedirects: 0 });
      const back = new URL(res.headers()['location'], issuer);
      back.searchParams.set('state', 'forged-' + (back.searchParams.get('state') || ''));
      await route.fulfill({ status: 302, headers: { location: back.href } });
    });
  }

  const page = await ctx.newPage();
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  await page.goto(`${origin}/app/signin`, { waitUntil: 'networkidle', timeout: stepTimeout });

  await page.getByRole('button', { name: 'Sign in' }).click({ timeout: stepTimeout });
  // Off to the issuer and back; the wait goes on across the navigations.
  await settled(page);
  // Let any request the page still sends be seen and answered.
  await page.waitForLoadState('networkidle', { timeout: stepTimeout });

  const finalURL = page.url();
  const seen = await page.evaluate(() => {
    const msg = document.getElementById('msg');
    let token = '', pending = '';
    try {
      token = sessionStorage.getItem('loupe.token') || '';
      pending = sessionStorage.getItem('loupe.oidc') || '';
    } catch (e) { /* storage disabled */ }
    return {
      token,
      pending,
      state: (document.body && document.body.getAttribute('data-state')) || '',
      screen: (document.body && document.body.getAttribute('data-screen')) || '',
      message: msg ? msg.textContent : '',
    };
  });

  const backURL = await backFrom(page);
  await ctx.close();

  return {
    discovery_statuses: discoveryStatuses,
    authorize_urls: authorizeURLs,
    return_url: returnURL,
    token_requests: tokenRequests,
    me_statuses: meStatuses,
    final_url: finalURL,
    url_has_code: new URL(finalURL).searchParams.has('code'),
    back_url: backURL,
    session_token: seen.token,
    pending: seen.pending,
    app_state: seen.state,
    screen: seen.screen,
    message: seen.message,
    page_errors: pageErrors,
    console_errors: consoleErrors,
    failed_requests: failedRequests,
    error_responses: errorResponses,
  };
}
