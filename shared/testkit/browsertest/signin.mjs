// Drives Loupe's staff sign-in page (GET /app/signin, CONTRACT section 3
// "Sign-in") in headless Chromium with real clicks, for
// shared/httpapi/signin_browser_test.go.
//
//   node shared/testkit/browsertest/signin.mjs <server URL> <sign-in link>
//
// 1. A mail scanner opens the link in its own browser context and leaves
//    once the page is quiet (no request for 500 ms).
// 2. The person opens the link in another context, the page goes quiet.
// 3. The person clicks "Sign in"; the script waits until either the
//    dashboard has settled (body data-state ready, error or signin) or the
//    sign-in page shows a message (#msg).
//
// Every request to <server>/auth/token and /compliance is recorded with its
// phase (scanner, load, click) and status. One JSON object goes to stdout:
//
//   {"token_requests": {"scanner": 0, "load": 0, "click": 1},
//    "token_statuses": [200], "compliance_statuses": [200],
//    "final_url": "...", "url_has_code": false, "back_url": "...",
//    "session_token": "...", "dashboard_state": "ready",
//    "totals": {"take_ins": "3", "with_email": "2", "rate": "0.6667"},
//    "message": "", "page_errors": []}
//
// back_url is where the browser's Back button leads from the dashboard (the
// code must not be in the history either); session_token is
// sessionStorage["loupe.token"] on the page reached ("" for none).
//
// Chromium is process.env.LOUPE_CHROMIUM, else /usr/bin/chromium. Exits 2
// for bad arguments and 1, with the reason on stderr, when a step times out
// or the browser fails.
import { backFrom, drive, settled, stepTimeout } from './browser.mjs';

const [server, link] = process.argv.slice(2);
if (!server || !link) {
  console.error('usage: node signin.mjs <server URL> <sign-in link>');
  process.exit(2);
}
const origin = new URL(server).origin;

await drive('signin.mjs', run);

async function run(browser) {
  let phase = 'scanner';
  const tokenRequests = { scanner: 0, load: 0, click: 0 };
  const tokenStatuses = [];
  const complianceStatuses = [];
  const pageErrors = [];

  // watch records the API calls of every page of ctx.
  const watch = (ctx) => {
    ctx.on('request', (req) => {
      const u = new URL(req.url());
      if (u.origin === origin && u.pathname === '/auth/token') tokenRequests[phase]++;
    });
    ctx.on('response', (res) => {
      const u = new URL(res.url());
      if (u.origin !== origin) return;
      if (u.pathname === '/auth/token') tokenStatuses.push(res.status());
      if (u.pathname === '/compliance') complianceStatuses.push(res.status());
    });
  };

  // 1. The scanner: opens the link, waits for the page to be quiet, leaves.
  const scanner = await browser.newContext();
  watch(scanner);
  const scan = await scanner.newPage();
  await scan.goto(link, { waitUntil: 'networkidle', timeout: stepTimeout });
  await scanner.close();

  // 2. The person opens the same link.
  phase = 'load';
  const ctx = await browser.newContext();
  watch(ctx);
  const page = await ctx.newPage();
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  await page.goto(link, { waitUntil: 'networkidle', timeout: stepTimeout });

  // 3. ... and taps Sign in.
  phase = 'click';
  await page.getByRole('button', { name: 'Sign in' }).click({ timeout: stepTimeout });
  await settled(page);

  const finalURL = page.url();
  const seen = await page.evaluate(() => {
    const attr = (id, name) => {
      const e = document.getElementById(id);
      return e ? e.getAttribute(name) || '' : '';
    };
    const msg = document.getElementById('msg');
    let token = '';
    try { token = sessionStorage.getItem('loupe.token') || ''; } catch (e) { /* storage disabled */ }
    return {
      token,
      state: (document.body && document.body.getAttribute('data-state')) || '',
      totals: { take_ins: attr('totals', 'data-take-ins'), with_email: attr('totals', 'data-with-email'), rate: attr('totals', 'data-rate') },
      message: msg ? msg.textContent : '',
    };
  });

  const backURL = await backFrom(page);
  await ctx.close();

  return {
    token_requests: tokenRequests,
    token_statuses: tokenStatuses,
    compliance_statuses: complianceStatuses,
    final_url: finalURL,
    url_has_code: finalURL.includes('code='),
    back_url: backURL,
    session_token: seen.token,
    dashboard_state: seen.state,
    totals: seen.totals,
    message: seen.message,
    page_errors: pageErrors,
  };
}
