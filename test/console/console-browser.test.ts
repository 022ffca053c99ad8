import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startHarness, TEST_CREDENTIALS, type Harness } from '../helpers/flint-harness.js';
import { makeZip } from '../helpers/zip.js';
import { rootSignedRequest } from '../../src/cli/signed-request.js';

/**
 * The web console in a real browser: Debian's chromium driven by playwright-core, against a real
 * Flint. Skips (with the reason) when chromium is not installed: scripts/install.sh installs it.
 */
const CHROMIUM = process.env['FLINT_CHROMIUM'] ?? '/usr/bin/chromium';
const BUILT = 'dist/web-console/index.html';
const SHOTS = 'docs/console';
const skip = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM}: install Debian's chromium (scripts/install.sh does) or set FLINT_CHROMIUM`;

let h: Harness;
let browser: Browser;
let ctx: BrowserContext;
let page: Page;
let base: string;
const FN = 'console-demo';

before(async () => {
  if (skip) return;
  if (!existsSync(BUILT)) {
    const r = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'console/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
    assert.equal(r.status, 0, 'the console builds');
  }
  mkdirSync(SHOTS, { recursive: true });
  h = await startHarness();
  base = `${h.endpoint}/console/`;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  // Cumulative Layout Shift of each document (the Layout Instability API), for the no-shift check.
  await ctx.addInitScript(() => {
    const w = window as unknown as { __cls: number };
    w.__cls = 0;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as unknown as Array<{ value: number; hadRecentInput: boolean }>) if (!e.hadRecentInput) w.__cls += e.value;
    }).observe({ type: 'layout-shift', buffered: true });
  });
  page = await ctx.newPage();
});

after(async () => {
  await browser?.close();
  await h?.stop();
});

/** Signs in with the keyboard only: type, Tab to the next field, Enter submits. */
async function signIn(p: Page, creds: { accessKeyId: string; secretAccessKey: string }): Promise<void> {
  await p.goto(base);
  await p.getByLabel('Access key ID').focus();
  await p.keyboard.type(creds.accessKeyId);
  await p.keyboard.press('Tab');
  await p.keyboard.type(creds.secretAccessKey);
  await p.keyboard.press('Enter');
}

test('sign in with a key pair; the functions page loads within the JavaScript budget', { skip }, async () => {
  // First load of the functions page: count the compressed bytes of every script fetched.
  let jsBytes = 0;
  page.on('response', (r) => {
    if (r.url().endsWith('.js')) jsBytes += Number(r.headers()['content-length'] ?? 0);
  });
  const t0 = performance.now();
  await signIn(page, TEST_CREDENTIALS);
  await page.getByRole('heading', { name: 'Functions', exact: true }).waitFor();
  await page.getByText('0 functions').waitFor();
  const ms = performance.now() - t0;
  assert.ok(jsBytes > 0 && jsBytes < 200_000, `first-load JavaScript is ${jsBytes} compressed bytes (budget 200 000)`);
  const nav = await page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    return Math.round(n.loadEventEnd - n.startTime);
  });
  process.stdout.write(`bench: console first load: ${jsBytes} B compressed JS; page load event ${nav} ms; keyboard sign-in (typed) to list ${Math.round(ms)} ms\n`);
  // The credentials live in sessionStorage, nowhere else.
  const stored = await page.evaluate(() => ({ session: sessionStorage.length, local: Object.keys(localStorage).filter((k) => /credential/.test(k)).length, cookie: document.cookie }));
  assert.deepEqual(stored, { session: 1, local: 0, cookie: '' });
});

test('create a function from an uploaded zip, invoke it, see the log line and the REPORT', { skip }, async () => {
  const zip = await makeZip({ 'index.js': 'exports.handler = async (e) => { console.log("hello from the console test", JSON.stringify(e)); return { ok: true, got: e }; };' });
  await page.getByRole('button', { name: 'Create function' }).click();
  await page.getByLabel('Name').fill(FN);
  await page.getByLabel('Code (.zip)').setInputFiles({ name: 'fn.zip', mimeType: 'application/zip', buffer: zip });
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await page.getByRole('heading', { name: FN }).waitFor();
  await page.getByRole('tab', { name: 'Test' }).click();
  await page.getByLabel('Event JSON').fill('{"color":"green"}');
  // Right after CreateFunction the function may still be Pending (ResourceConflictException): retry.
  for (let i = 0; i < 50; i++) {
    await page.getByRole('button', { name: 'Invoke' }).click();
    const done = await Promise.race([
      page.getByTestId('invoke-log').waitFor({ timeout: 5000 }).then(() => true),
      page.getByRole('alert').waitFor({ timeout: 5000 }).then(() => false),
    ]).catch(() => false);
    if (done) break;
    await page.waitForTimeout(200);
  }
  const log = await page.getByTestId('invoke-log').textContent();
  assert.match(log ?? '', /hello from the console test/);
  assert.match(log ?? '', /REPORT RequestId/);
  assert.match((await page.getByTestId('invoke-response').textContent()) ?? '', /"color": "green"/);
  assert.ok(await page.getByLabel('REPORT figures').getByText('Billed Duration').isVisible());
  await page.screenshot({ path: `${SHOTS}/test-invoke.png`, fullPage: true });
});

test('live logs show the line; metrics show the invocation; the environment is listed', { skip }, async () => {
  await page.goto(`${base}#/environments`);
  await page.getByRole('link', { name: FN }).waitFor();
  // Memory used comes from the environment's own REPORT line (Max Memory Used).
  await page.getByRole('cell', { name: /^\d+ of 128 MB$/ }).waitFor();
  await page.screenshot({ path: `${SHOTS}/environments.png` });
  await page.goto(`${base}#/logs?fn=${FN}`);
  await page.getByTestId('log-lines').getByText('hello from the console test').first().waitFor();
  await page.screenshot({ path: `${SHOTS}/logs.png` });
  await page.goto(`${base}#/metrics?fn=${FN}`);
  await page.getByRole('img', { name: /Invocations and errors: Invocations total 1\b/ }).waitFor();
  await page.getByRole('cell', { name: '1' }).first().waitFor();
  await page.screenshot({ path: `${SHOTS}/metrics.png`, fullPage: true });
});

test('change the memory; see the audit entry and the history diff', { skip }, async () => {
  await page.goto(`${base}#/functions/${FN}/configuration`);
  await page.getByLabel('Memory (MB)').fill('256');
  await page.getByRole('form', { name: 'Edit configuration' }).getByRole('button', { name: 'Save' }).click();
  await page.getByText('Saved.').waitFor();
  const cfg = await h.client.send(new GetFunctionConfigurationCommand({ FunctionName: FN }));
  assert.equal(cfg.MemorySize, 256);
  await page.screenshot({ path: `${SHOTS}/function.png`, fullPage: true });

  await page.goto(`${base}#/audit`);
  await page.getByLabel('Resource').fill(FN);
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByRole('cell', { name: /UpdateFunctionConfiguration/ }).first().waitFor();
  await page.getByTestId('integrity').waitFor();
  await page.screenshot({ path: `${SHOTS}/audit.png`, fullPage: true });

  await page.goto(`${base}#/history/${FN}`);
  const row = page.getByRole('row', { name: /memorySize/i });
  await row.first().waitFor();
  assert.match((await row.first().textContent()) ?? '', /128.*256/);
  await page.screenshot({ path: `${SHOTS}/history.png`, fullPage: true });
});

test('the async queue page; the functions list with its sparkline; a phone-sized view', { skip }, async () => {
  await page.goto(`${base}#/queue`);
  await page.getByRole('region', { name: 'Queued events' }).getByRole('cell', { name: 'running' }).waitFor();
  await page.screenshot({ path: `${SHOTS}/queue.png` });
  await page.goto(`${base}#/functions`);
  const t0 = performance.now();
  await page.reload();
  await page.getByRole('link', { name: FN }).waitFor();
  const listed = performance.now() - t0;
  await page.getByRole('img', { name: '1 invocations in the last hour' }).waitFor();
  process.stdout.write(`bench: console functions page reload: list shown ${Math.round(listed)} ms, sparklines ${Math.round(performance.now() - t0)} ms\n`);
  // No layout shift while the list and then its sparklines arrive (Web Vitals' "good" is < 0.1).
  const cls = await page.evaluate(() => (window as unknown as { __cls: number }).__cls);
  assert.ok(cls < 0.1, `cumulative layout shift ${cls}`);
  await page.screenshot({ path: `${SHOTS}/functions.png` });
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const p = await phone.newPage();
  await signIn(p, TEST_CREDENTIALS);
  await p.getByRole('link', { name: FN }).waitFor();
  // Usable on a phone: nothing wider than the screen but the scrollable table and nav.
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page overflows the phone's width by ${overflow}px`);
  await p.screenshot({ path: `${SHOTS}/functions-phone.png` });
  await phone.close();
});

test('a user without permissions sees the denial in plain words', { skip }, async () => {
  const iam = new IAMClient({ endpoint: h.endpoint, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  await iam.send(new CreateUserCommand({ UserName: 'console-nobody' }));
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: 'console-nobody' }))).AccessKey!;
  iam.destroy();
  const other = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const p = await other.newPage();
  // STS GetCallerIdentity needs no permission (as on AWS): sign-in succeeds, the list is refused.
  await signIn(p, { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! });
  const alert = p.getByRole('alert');
  await alert.waitFor();
  assert.match((await alert.textContent()) ?? '', /You are not allowed to do this\..*lambda:ListFunctions/);
  await p.screenshot({ path: `${SHOTS}/denied.png` });
  await other.close();
});

test('a one-time login link signs in once', { skip }, async () => {
  const target = { endpoint: h.endpoint, endpointSource: 'test', region: 'us-east-1', credentials: TEST_CREDENTIALS, credentialSource: 'test' };
  const answer = await rootSignedRequest(target, { method: 'POST', path: '/console/api/login-link', service: 'lambda', body: '{}' });
  assert.equal(answer?.status, 200);
  const { Token } = JSON.parse(answer!.body) as { Token: string };
  const other = await browser.newContext();
  const p = await other.newPage();
  await p.goto(`${base}#login=${Token}`);
  await p.getByRole('link', { name: FN }).waitFor();
  assert.ok(!p.url().includes(Token), 'the token leaves the address bar');
  const creds = await p.evaluate(() => JSON.parse(sessionStorage.getItem('flint.console.credentials')!));
  assert.match(creds.accessKeyId, /^ASIA/);
  const again = await other.newPage();
  await again.goto(`${base}#login=${Token}`);
  await again.getByRole('alert').getByText('This login link is not valid').waitFor();
  await other.close();
});
