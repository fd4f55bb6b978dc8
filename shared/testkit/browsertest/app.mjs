// Drives Loupe's staff app (GET /app, CONTRACT section 3) on the demo chain
// in headless Chromium with real taps, for cmd/loupe/app_browser_test.go.
//
//   node shared/testkit/browsertest/app.mjs '<config JSON>'
//
// The config: {"server": "http://127.0.0.1:PORT", "associate_link": "...",
// "manager_link": "...", "batch": "<reassignment id>", "claim": "<customer
// id of the batch placed with someone else>", "claim_for": "<associate id
// the manager tries to give it to>", "foreign": "<customer id of another
// store>", "artifacts": "<directory for screenshots and PDFs>"}.
//
// 1. The demo associate opens their sign-in link on a phone-sized window
//    (390x844) and taps Sign in: the app opens on Today.
// 2. They tap "Reached" on the first task, then open that client's page
//    (the task's name) and read its contact history and repairs.
// 3. The manager signs in on a desk-sized window (1280x900) in a second
//    browser context and opens the review list; the associate opens it too
//    (Reviews, then the batch), and claims "claim" for themselves; the
//    manager, on the page loaded before that claim, chooses "claim_for" and
//    taps Claim on the same client: the app shows the conflict.
// 4. The manager opens Team, Compliance and Coverage; the associate opens
//    the foreign client's page.
// 5. The manager opens the print view; with print media emulated the script
//    reads the client names printed, and prints the page to PDF on A4 and
//    on Letter.
// 6. With the CPU throttled 4x (CDP Emulation.setCPUThrottlingRate), the
//    associate loads /app again: the time until the app has drawn Today
//    (performance mark "loupe-ready", from navigation start) and until its
//    first outcome button is present (from the script), and the bytes of
//    every response of that load (CDP Network.loadingFinished
//    encodedDataLength, headers included).
//
// On every screen it reads Chromium's accessibility tree (CDP
// Accessibility.getFullAXTree): the landmarks present and every button,
// input, select and link without a name. Screenshots of Today, the review,
// the print view and Team at 390x844 and 1280x900 go to artifacts.
//
// One JSON object goes to stdout with what each step saw (see the fields of
// appRun in cmd/loupe/app_browser_test.go). Chromium is
// process.env.LOUPE_CHROMIUM, else /usr/bin/chromium. Exits 2 for bad
// arguments and 1, with the reason on stderr, when a step fails.
import fs from 'node:fs';
import path from 'node:path';
import { drive, settled, stepTimeout } from './browser.mjs';

let cfg;
try {
  cfg = JSON.parse(process.argv[2] || '');
} catch (e) {
  console.error('usage: node app.mjs \'{"server": ..., "associate_link": ..., ...}\'');
  process.exit(2);
}
for (const k of ['server', 'associate_link', 'manager_link', 'batch', 'claim', 'claim_for', 'foreign', 'artifacts']) {
  if (!cfg[k]) {
    console.error(`app.mjs: config has no ${k}`);
    process.exit(2);
  }
}
const origin = new URL(cfg.server).origin;
const phone = { width: 390, height: 844 };
const desk = { width: 1280, height: 900 };
const named = new Set(['button', 'textbox', 'searchbox', 'combobox', 'Date', 'DateTime', 'spinbutton', 'checkbox', 'radio', 'slider', 'switch', 'link']);

await drive('app.mjs', run);

async function run(browser) {
  const out = { page_errors: [], error_responses: [], screenshots: [], a11y: [], pdfs: [] };

  // person opens a context of the given size and signs in with link. With
  // deep, the person first opens that app path without a token (as from a
  // mail's link: the app sends them to sign in) in one tab, and the sign-in
  // link in another, as a mail app does.
  const person = async (who, link, viewport, deep) => {
    const ctx = await browser.newContext({ viewport });
    if (deep) {
      const first = await ctx.newPage();
      await first.goto(origin + deep, { waitUntil: 'load', timeout: stepTimeout });
      await first.waitForURL((u) => u.pathname === '/app/signin', { timeout: stepTimeout });
      out.deep_redirect = new URL(first.url()).pathname;
      await first.close();
    }
    const page = await ctx.newPage();
    page.on('pageerror', (err) => out.page_errors.push(`${who}: ${err}`));
    ctx.on('response', (res) => {
      if (res.status() >= 400) out.error_responses.push(`${who} ${res.status()} ${res.request().method()} ${new URL(res.url()).pathname}`);
    });
    await page.goto(link, { waitUntil: 'networkidle', timeout: stepTimeout });
    await page.getByRole('button', { name: 'Sign in' }).click({ timeout: stepTimeout });
    await settled(page);
    return { ctx, page, cdp: await ctx.newCDPSession(page) };
  };
  // screen waits until the app has drawn screen name (or an error).
  const screen = async (page, name) => {
    await page.waitForFunction((n) => {
      const s = document.body.getAttribute('data-state');
      return s === 'error' || (s === 'ready' && document.body.getAttribute('data-screen') === n);
    }, name, { timeout: stepTimeout, polling: 50 });
    return page.evaluate(() => ({ state: document.body.getAttribute('data-state'), title: document.querySelector('main h1') ? document.querySelector('main h1').textContent : '' }));
  };
  const open = async (page, p, name) => {
    await page.goto(origin + p, { waitUntil: 'load', timeout: stepTimeout });
    return screen(page, name);
  };
  const shoot = async (page, name) => {
    for (const [size, vp] of [['390x844', phone], ['1280x900', desk]]) {
      const before = page.viewportSize();
      await page.setViewportSize(vp);
      await page.evaluate(() => window.scrollTo(0, 0));
      const file = path.join(cfg.artifacts, `app-${name}-${size}.png`);
      await page.screenshot({ path: file });
      out.screenshots.push(file);
      await page.setViewportSize(before);
    }
  };
  const a11y = async (who, p, name) => {
    const { nodes } = await p.cdp.send('Accessibility.getFullAXTree');
    const roles = new Set();
    const unnamed = [];
    let controls = 0;
    for (const n of nodes) {
      if (n.ignored || !n.role) continue;
      const role = n.role.value;
      roles.add(role);
      if (!named.has(role)) continue;
      controls++;
      if (!n.name || !String(n.name.value || '').trim()) {
        let what = role;
        try {
          const d = await p.cdp.send('DOM.describeNode', { backendNodeId: n.backendDOMNodeId });
          what += ` <${d.node.localName} ${(d.node.attributes || []).join(' ')}>`;
        } catch (e) { /* not a DOM node */ }
        unnamed.push(what);
      }
    }
    out.a11y.push({ who, screen: name, controls, unnamed, main: roles.has('main'), navigation: roles.has('navigation'), banner: roles.has('banner') });
  };

  // 1. The associate signs in on a phone.
  const a = await person('associate', cfg.associate_link, phone);
  out.landed = a.page.url();
  out.landed_screen = await a.page.evaluate(() => document.body.getAttribute('data-screen') || '');
  await screen(a.page, 'today');
  out.today = await a.page.evaluate(() => ({
    tasks: document.getElementById('today-summary').getAttribute('data-tasks'),
    items: Array.from(document.querySelectorAll('#tasks > li'), (li) => ({
      task_id: li.getAttribute('data-task-id'), customer_id: li.getAttribute('data-customer-id'),
      reason: li.getAttribute('data-reason'), name: li.querySelector('h2').textContent,
      outcome: li.getAttribute('data-outcome') || '', buttons: li.querySelectorAll('button[data-outcome]').length,
      links: Array.from(li.querySelectorAll('.reach a'), (x) => x.getAttribute('href').split(':')[0]),
    })),
    nav: Array.from(document.querySelectorAll('nav a'), (x) => x.textContent),
  }));
  await a11y('associate', a, 'today');
  await shoot(a.page, 'today');

  // 2. Reached on the first task, then its client's history.
  const first = a.page.locator('#tasks > li').first();
  await first.getByRole('button', { name: 'Reached', exact: true }).click({ timeout: stepTimeout });
  await a.page.waitForSelector('#tasks > li:first-child[data-outcome]', { timeout: stepTimeout });
  out.after_outcome = await a.page.evaluate(() => ({
    outcome: document.querySelector('#tasks > li').getAttribute('data-outcome'),
    mark: document.querySelector('#tasks > li .done-mark') ? document.querySelector('#tasks > li .done-mark').textContent : '',
    buttons: document.querySelectorAll('#tasks > li:first-child button').length,
    done: document.getElementById('today-summary').getAttribute('data-done'),
    status: document.getElementById('status').textContent,
  }));
  await first.locator('h2 a').click({ timeout: stepTimeout });
  await screen(a.page, 'client');
  out.client = await a.page.evaluate(() => ({
    url: location.pathname,
    title: document.querySelector('main h1').textContent,
    history: Array.from(document.querySelectorAll('#history > li[data-channel]'), (li) => ({
      channel: li.getAttribute('data-channel'), outcome: li.getAttribute('data-outcome') || '', by: li.getAttribute('data-by'), text: li.textContent,
    })),
    repairs_heading: document.getElementById('repairs-h') ? document.getElementById('repairs-h').textContent : '',
    repairs: Array.from(document.querySelectorAll('#repairs > li[data-repair-id]'), (li) => li.getAttribute('data-repair-id')),
    repairs_text: document.getElementById('repairs') ? document.getElementById('repairs').textContent : '',
  }));
  await a11y('associate', a, 'client');

  // 3. The manager opens the review list before the associate claims.
  const m = await person('manager', cfg.manager_link, desk, `/app/reassignments/${encodeURIComponent(cfg.batch)}`);
  out.manager_landed = m.page.url();
  out.manager_nav = await m.page.evaluate(() => Array.from(document.querySelectorAll('nav a'), (x) => x.textContent));
  await open(m.page, `/app/reassignments/${encodeURIComponent(cfg.batch)}`, 'review');

  await a.page.getByRole('link', { name: 'Reviews' }).click({ timeout: stepTimeout });
  await screen(a.page, 'reviews');
  await a.page.locator(`li[data-batch="${cfg.batch}"] a`).click({ timeout: stepTimeout });
  await screen(a.page, 'review');
  const row = (page) => page.locator(`li[data-customer-id="${cfg.claim}"]`);
  await row(a.page).getByRole('button', { name: /^Claim / }).click({ timeout: stepTimeout });
  await a.page.waitForSelector(`li[data-customer-id="${cfg.claim}"][data-claimed="true"]`, { timeout: stepTimeout });
  out.claim = { state: await row(a.page).locator('.state').textContent(), status: await a.page.locator('#status').textContent() };
  await a11y('associate', a, 'review');
  await shoot(a.page, 'review');

  await m.page.getByLabel('Claim for').selectOption(cfg.claim_for, { timeout: stepTimeout });
  await row(m.page).getByRole('button', { name: /^Claim / }).click({ timeout: stepTimeout });
  await m.page.waitForSelector(`li[data-customer-id="${cfg.claim}"] .conflict`, { timeout: stepTimeout });
  out.conflict = { state: await row(m.page).locator('.state').textContent(), status: await m.page.locator('#status').textContent() };
  await a11y('manager', m, 'review');

  // 4. The manager's screens; the associate at another store's client.
  await m.page.getByRole('link', { name: 'Team' }).click({ timeout: stepTimeout });
  await screen(m.page, 'team');
  out.team = await m.page.evaluate(() => Array.from(document.querySelectorAll('tr[data-associate]'), (tr) => ({
    associate_id: tr.getAttribute('data-associate'), name: tr.querySelector('th').textContent,
    listed: Number(tr.getAttribute('data-listed')), worked: Number(tr.getAttribute('data-worked')), reached: Number(tr.getAttribute('data-reached')),
    cells: Array.from(tr.querySelectorAll('td'), (td) => td.textContent),
  })));
  await a11y('manager', m, 'team');
  await shoot(m.page, 'team');
  for (const [p, name] of [['/app/compliance', 'compliance'], ['/app/coverage', 'coverage'], ['/app/clients', 'clients']]) {
    const s = await open(m.page, p, name);
    if (s.state !== 'ready') throw new Error(`manager: ${p} ended in ${s.state}: ${s.title}`);
    await a11y('manager', m, name);
    if (name !== 'compliance') continue;
    out.compliance = await m.page.evaluate(() => {
      const t = document.getElementById('totals');
      return {
        from: document.querySelectorAll('main form input[type=date]')[0].value, to: document.querySelectorAll('main form input[type=date]')[1].value,
        take_ins: Number(t.getAttribute('data-take-ins')), with_email: Number(t.getAttribute('data-with-email')), rate: Number(t.getAttribute('data-rate')),
        missing: Array.from(document.querySelectorAll('tr[data-repair]'), (tr) => ({ repair_id: tr.getAttribute('data-repair'), client: tr.querySelector('td').textContent })),
      };
    });
    await shoot(m.page, name);
  }
  out.foreign = await open(a.page, `/app/clients/${encodeURIComponent(cfg.foreign)}`, 'client');

  // 5. The print view, as printed.
  await open(m.page, `/app/reassignments/${encodeURIComponent(cfg.batch)}/print`, 'print');
  await a11y('manager', m, 'print');
  await shoot(m.page, 'print');
  await m.page.emulateMedia({ media: 'print' });
  out.print = await m.page.evaluate(() => {
    const seen = (e) => e.offsetParent !== null || e.getClientRects().length > 0;
    return {
      names: Array.from(document.querySelectorAll('main td.client'), (td) => td).filter(seen).map((td) => td.textContent),
      groups: Array.from(document.querySelectorAll('main section.group h2'), (x) => x.textContent),
      text: document.querySelector('main').innerText,
      chrome_hidden: !seen(document.querySelector('header')) && !seen(document.querySelector('.toolbar')),
      notes_width: document.querySelector('main th.notes').getBoundingClientRect().width / document.querySelector('main table').getBoundingClientRect().width,
    };
  });
  for (const format of ['A4', 'Letter']) {
    const file = path.join(cfg.artifacts, `app-print-${format}.pdf`);
    await m.page.pdf({ path: file, format, printBackground: false });
    const bytes = fs.readFileSync(file).toString('latin1');
    out.pdfs.push({ format, file, size: bytes.length, pages: (bytes.match(/\/Type\s*\/Page(?![s\w])/g) || []).length });
  }
  await m.page.emulateMedia({ media: 'screen' });

  // 6. Today again, CPU throttled 4x.
  await a.cdp.send('Network.enable');
  await a.cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await a.cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  // A shop's Wi-Fi: 40 ms round trips, 10 Mbit/s down, 5 up.
  await a.cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 40,
    downloadThroughput: 10e6 / 8, uploadThroughput: 5e6 / 8 });
  const responses = new Map();
  let bytes = 0;
  a.cdp.on('Network.responseReceived', (e) => responses.set(e.requestId, e.response.url));
  a.cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
  const start = Date.now();
  await a.page.goto(origin + '/app', { waitUntil: 'commit', timeout: stepTimeout });
  await a.page.waitForSelector('#tasks button[data-outcome]', { timeout: stepTimeout });
  const wall = Date.now() - start;
  await a.page.waitForLoadState('networkidle', { timeout: stepTimeout });
  const mark = await a.page.evaluate(() => {
    const m = performance.getEntriesByName('loupe-ready');
    return m.length ? m[0].startTime : -1;
  });
  await a.cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
  await a.cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  out.speed = { interactive_ms: Math.round(mark), wall_ms: wall, bytes, requests: Array.from(responses.values(), (u) => new URL(u).pathname) };

  await a.ctx.close();
  await m.ctx.close();
  return out;
}
