// Drives Loupe's staff sign-in page (GET /app/signin, CONTRACT section 3
// "Sign-in") in headless Chromium with real clicks, for
// shared/httpapi/signin_browser_test.go.
//
//   node shared/testkit/browsertest/signin.mjs <server URL> <sign-in link>
//
// 1. A mail scanner opens the link in its own browser context and leaves
//    once the page is quiet (no request for 500 ms).
// 2. The person opens the link in another context, the page goes quiet.
// 3. The person clicks "Sign in"; the script waits until either the staff
//    app has settled (body data-state ready, error or signin) or the
//    sign-in page shows a message (#msg).
//
// Every request to <server>/auth/token is recorded with its phase (scanner,
// load, click), and the statuses of /auth/token, /me and /me/today. One JSON
// object goes to stdout:
//
//   {"token_requests": {"scanner": 0, "load": 0, "click": 1},
//    "token_statuses": [200], "me_statuses": [200], "today_statuses": [200],
//    "final_url": "...", "url_has_code": false, "back_url": "...",
//    "session_token": "...", "app_state": "ready", "screen": "today",
//    "tasks": "3", "nav": ["Today", "My clients", ...],
//    "message": "", "page_errors": []}
//
// back_url is where the browser's Back button leads from the app (the code
// must not be in the history either); session_token is
// sessionStorage["loupe.token"] on the page reached ("" for none); tasks is
// the Today screen's count (#today-summary data-tasks), nav the names of
// the app's navigation links.
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
  const meStatuses = [];
  const todayStatuses = [];
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
      if (u.pathname === '/me') meStatuses.push(res.status());
      if (u.pathname === '/me/today') todayStatuses.push(res.status());
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
    const summary = document.getElementById('today-summary');
    const msg = document.getElementById('msg');
    let token = '';
    try { token = sessionStorage.getItem('loupe.token') || ''; } catch (e) { /* storage disabled */ }
    return {
      token,
      state: (document.body && document.body.getAttribute('data-state')) || '',
      screen: (document.body && document.body.getAttribute('data-screen')) || '',
      tasks: summary ? summary.getAttribute('data-tasks') || '' : '',
      nav: Array.from(document.querySelectorAll('nav a'), (a) => a.textContent),
      message: msg ? msg.textContent : '',
    };
  });

  const backURL = await backFrom(page);
  await ctx.close();

  return {
    token_requests: tokenRequests,
    token_statuses: tokenStatuses,
    me_statuses: meStatuses,
    today_statuses: todayStatuses,
    final_url: finalURL,
    url_has_code: finalURL.includes('code='),
    back_url: backURL,
    session_token: seen.token,
    app_state: seen.state,
    screen: seen.screen,
    tasks: seen.tasks,
    nav: seen.nav,
    message: seen.message,
    page_errors: pageErrors,
  };
}
