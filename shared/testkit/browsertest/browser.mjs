// What the browser scripts of this folder (signin.mjs, oidc.mjs, app.mjs)
// share: launching Chromium, printing the result, and waiting for Loupe's
// sign-in page, staff app or dashboard to settle.
import { chromium } from 'playwright-core';

// stepTimeout bounds every step of a script, in milliseconds.
export const stepTimeout = 20_000;

// drive launches headless Chromium (process.env.LOUPE_CHROMIUM, else
// /usr/bin/chromium), awaits run(browser) and writes its result to stdout as
// one JSON line, then closes the browser. When run or the launch fails it
// writes "<name>: <reason>" to stderr and sets the exit code to 1.
export async function drive(name, run) {
  let browser;
  try {
    browser = await chromium.launch({
      executablePath: process.env.LOUPE_CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox'],
      timeout: stepTimeout,
    });
    const out = await run(browser);
    process.stdout.write(JSON.stringify(out) + '\n');
  } catch (err) {
    console.error(`${name}: ${err && err.stack ? err.stack : err}`);
    process.exitCode = 1;
  } finally {
    if (browser) await browser.close();
  }
}

// settled waits, across navigations, until page shows either the staff app
// (/app and below but /app/signin) or the dashboard settled (body data-state
// ready, error or signin) or a message on the sign-in page (#msg). It throws
// after stepTimeout.
export async function settled(page) {
  await page.waitForFunction(() => {
    const p = location.pathname;
    if (p === '/dashboard' || (/^\/app(\/|$)/.test(p) && !/^\/app\/signin/.test(p))) {
      return ['ready', 'error', 'signin'].includes(document.body && document.body.getAttribute('data-state'));
    }
    const msg = document.getElementById('msg');
    return Boolean(msg && msg.textContent);
  }, null, { timeout: stepTimeout, polling: 100 });
}

// backFrom returns where the browser's Back button leads from page when it
// is on the staff app or the dashboard, "" elsewhere (it does not go back
// then).
export async function backFrom(page) {
  const p = new URL(page.url()).pathname;
  if (p !== '/dashboard' && !/^\/app(\/|$)/.test(p) || p.startsWith('/app/signin')) return '';
  await page.goBack({ waitUntil: 'load', timeout: stepTimeout });
  return page.url();
}
