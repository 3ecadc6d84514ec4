import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../helpers/browser';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { serviceEnv, startService, type ServiceProcess } from '../helpers/service';
import { call, eventually } from '../helpers/stack';

/**
 * The operator's path with API keys set, in headless chromium against `npm start` as a real
 * process tree: log in once (the console's key field), then the Temporal UI at the API's
 * /ui shows the event workflow decoded through the same-origin /codec: its summary (the event
 * type) and its input. A browser without the login is sent to the console and sees neither.
 */

const ADMIN_KEY = 'ui-test-admin-key';

describe('the Temporal UI under the API, with API keys set', function () {
  this.timeout(300_000);
  let dataDir: string;
  let service: ServiceProcess | undefined;
  let receiver: Receiver | undefined;
  let browser: TestBrowser | undefined;
  let env: Record<string, string>;
  let api: string;
  let running: string;
  let failed = false;
  const endpointId = `crm-ui-${Date.now().toString(36)}`;
  const eventType = 'disposition_updated';
  let workflowId: string;

  const auth = { authorization: `Bearer ${ADMIN_KEY}` };
  /** The text a person sees, frames included (the UI renders summaries as Markdown in a sandboxed frame). */
  const pageText = async (page: Page) => {
    const texts = await Promise.all(page.frames().map((f) => f.locator('body').innerText().catch(() => '')));
    return texts.join('\n');
  };

  before(async function () {
    this.timeout(240_000);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callback-events-ui-'));
    env = { ...(await serviceEnv(dataDir)), CALLBACKS_API_KEY: `admin:${ADMIN_KEY}`, LOG_LEVEL: 'info' };
    api = `http://127.0.0.1:${env.PORT}`;
    receiver = await startReceiver();
    service = startService(env);
    running = await service.waitForLine(/callback-events is running/, 180_000);
    browser = await launchBrowser();

    assert.equal((await call(api, 'POST', '/v1/endpoints', { id: endpointId, url: receiver.url, eventTypes: [eventType] }, auth)).status, 201);
    const sent = await call(api, 'POST', '/v1/events', { type: eventType, data: { callId: 'call-ui-1', disposition: 'booked' } }, auth);
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    workflowId = sent.body.workflowId;
    await receiver.waitFor(1, 60_000);
  });
  afterEach(function () {
    if (this.currentTest?.state === 'failed') failed = true;
  });
  after(async function () {
    this.timeout(60_000);
    await browser?.close();
    await service?.stop('SIGTERM');
    await receiver?.close();
    if (failed) console.log(`kept ${dataDir} (logs)`);
    else fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('logs the UI as the API’s /ui, and runs the UI’s own server on loopback under /ui', async () => {
    assert.match(running, new RegExp(`Temporal UI ${api}/ui`));
    assert.match(running, new RegExp(`"temporalUi":"${api}/ui"`));
    const direct = await fetch(`http://127.0.0.1:${env.TEMPORAL_UI_PORT}/ui/api/v1/settings`);
    const settings = (await direct.json()) as { Codec: { Endpoint: string } };
    assert.equal(settings.Codec.Endpoint, '/codec');
  });

  it('shows a logged-in browser the workflow decoded: the event type in its summary and input, and the endpoint id', async () => {
    const page = await browser!.newPage();
    // The operator's path: the UI sends a browser without the login to the console, whose key
    // field (a password input) logs in once and goes back to the page asked for.
    const workflowPage = `${api}/ui/namespaces/default/workflows/${encodeURIComponent(workflowId)}`;
    await page.goto(workflowPage);
    const keyField = page.getByLabel('API key');
    await keyField.waitFor();
    assert.equal(await keyField.getAttribute('type'), 'password');
    await keyField.fill(ADMIN_KEY);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/ui/namespaces/default/workflows/'), { timeout: 30_000 });
    assert.equal(new URL(page.url()).pathname, new URL(workflowPage).pathname);

    // As the UI prints decoded JSON: the input's event type and the result's endpoint id exist
    // only inside the encrypted payloads (search attributes and ids would not spell them so).
    const decoded = [`"type": "${eventType}"`, `"endpointId": "${endpointId}"`, '"disposition": "booked"'];
    const text = await eventually(async () => {
      const t = await pageText(page);
      return decoded.every((d) => t.includes(d)) ? t : undefined;
    }, 90_000, 'the decoded input and result on the workflow page').catch(async (err) => {
      await browser!.screenshot(page, 'temporal-ui-logged-in-failed');
      throw new Error(`${(err as Error).message}; the page shows: ${(await pageText(page)).slice(0, 3000)}`);
    });
    assert.doesNotMatch(text, /Codec Server could not connect/i);
    await browser!.screenshot(page, 'temporal-ui-decoded');

    // The summary naming the event type (user metadata, encrypted like any payload).
    await page.getByText('User Metadata', { exact: true }).click();
    await eventually(async () => (await pageText(page)).includes(`${eventType} (call call-ui-1)`), 30_000, 'the decoded summary').catch(async (err) => {
      await browser!.screenshot(page, 'temporal-ui-summary-failed');
      throw err;
    });
    await browser!.screenshot(page, 'temporal-ui-summary');

    // The UI's own write calls pass the proxy (the login cookie from the API's origin, the UI's CSRF token):
    // Temporal itself answers, here that the workflow has completed.
    const csrf = (await page.context().cookies(api)).find((c) => c.name === '_csrf')?.value ?? '';
    assert.ok(csrf, 'the UI set its CSRF cookie');
    const signal = await page.evaluate(async ({ wf, csrf }) => {
      const res = await fetch(`/ui/api/v1/namespaces/default/workflows/${encodeURIComponent(wf)}/signal/resend`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify({ workflowExecution: { workflowId: wf } }),
      });
      return { status: res.status, body: await res.text() };
    }, { wf: workflowId, csrf });
    assert.match(signal.body, /completed/i, `${signal.status} ${signal.body}`);
  });

  it('shows a browser without the login neither: pages go to the console, the UI’s API and the codec answer 401', async () => {
    const page = await browser!.newPage();
    const res = await page.goto(`${api}/ui/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
    assert.equal(new URL(page.url()).pathname, '/console');
    assert.equal(new URL(page.url()).searchParams.get('next'), `/ui/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
    assert.ok(res);
    const text = await pageText(page);
    assert.ok(!text.includes(eventType) && !text.includes(endpointId), text.slice(0, 2000));
    await browser!.screenshot(page, 'temporal-ui-not-logged-in');

    const fromPage = await page.evaluate(async (wf) => {
      const history = await fetch(`/ui/api/v1/namespaces/default/workflows/${encodeURIComponent(wf)}/history`);
      const codec = await fetch('/codec/decode', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"payloads":[]}' });
      return { history: history.status, historyBody: await history.text(), codec: codec.status };
    }, workflowId);
    assert.equal(fromPage.history, 401);
    assert.ok(!fromPage.historyBody.includes(endpointId));
    assert.equal(fromPage.codec, 401);
  });

  it('lets a service admin key in as a bearer too, and keeps tenant keys and ingest keys out (it shows every tenant)', async () => {
    const settings = `${api}/ui/api/v1/settings`;
    assert.equal((await fetch(settings, { headers: auth })).status, 200);
    assert.equal((await fetch(settings)).status, 401);
    const tenant = `ui-${Date.now().toString(36)}`;
    assert.equal((await call(api, 'POST', '/v1/tenants', { id: tenant, name: tenant }, auth)).status, 201);
    const key = (await call(api, 'POST', `/v1/tenants/${tenant}/keys`, { role: 'admin' }, auth)).body.key as string;
    const login = await call(api, 'POST', '/v1/session', { key });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    assert.equal(login.status, 200);
    const refused = await fetch(settings, { headers: { cookie } });
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'forbidden');
    assert.equal((await fetch(settings, { headers: { authorization: `Bearer ${key}` } })).status, 403);
  });

  it('answers the UI\'s render page itself, the text escaped in a page that may load nothing', async () => {
    const res = await fetch(`${api}/ui/render?content=${encodeURIComponent('<script>alert(1)</script> **x**')}&theme=dark`, { headers: auth });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    const html = await res.text();
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt; **x**'), html);
    assert.ok(!html.includes('<script>'), html);
    assert.equal((await fetch(`${api}/ui/render?content=x`)).status, 401);
  });
});
