import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { unique } from '../helpers/kit';
import { launchBrowser, type TestBrowser } from '../helpers/browser';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { eventually } from '../helpers/stack';
import { SERVICE_ADMIN, startTenantStack, type TenantStack } from '../helpers/tenantStack';

/**
 * The web console in Debian's chromium, a whole operator's task against the real service (API,
 * worker, Temporal, SQLite) and real receivers: log in with a key, create an endpoint that points
 * at a receiver answering 500, send it a test event, find the failed delivery and its attempt log,
 * point the endpoint at a live receiver, resend, and see it delivered with a signature that
 * verifies. Then a tenant's own key (it sees only its tenant), a preview, the catalog, and the
 * recovery of a window with its progress. Screenshots of each step: test-artifacts/console/.
 */

const shot = (b: TestBrowser, page: Page, name: string) => b.screenshot(page, `console/${name}`);

/** Logs in with `key`, logging out first whoever the browser's session was. */
async function logIn(page: Page, base: string, key: string, landing = 'Endpoints') {
  await page.goto(`${base}/console`);
  const logOut = page.getByRole('button', { name: 'Log out' });
  await page.getByLabel('API key').or(logOut).waitFor();
  if (await logOut.isVisible()) await logOut.click();
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Log in' }).click();
  if (landing) await page.getByRole('heading', { name: landing }).waitFor();
}

describe('web console (chromium)', function () {
  this.timeout(240_000);
  let t: TenantStack;
  let browser: TestBrowser;
  let page: Page;
  /** What the page did that it should not: script errors, CSP refusals, requests to another origin. */
  let trouble: string[] = [];
  const receivers: Receiver[] = [];
  const receiver = async (status: number, body = '') => {
    const r = await startReceiver(() => ({ status, body }));
    receivers.push(r);
    return r;
  };

  before(async function () {
    this.timeout(240_000);
    t = await startTenantStack('sqlite');
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (err) => trouble.push(`page error: ${err.message}`));
    page.on('console', (m) => {
      if (/Content[- ]Security[- ]Policy/i.test(m.text())) trouble.push(`CSP: ${m.text()}`);
    });
    // Offline: the console asks this server for everything, and nothing else.
    page.on('request', (r) => {
      if (!r.url().startsWith(`${t.base}/`)) trouble.push(`request elsewhere: ${r.url()}`);
    });
  });
  beforeEach(() => {
    trouble = [];
  });
  afterEach(() => {
    assert.deepEqual(trouble, [], 'the page misbehaved');
  });
  after(async () => {
    await browser?.close();
    await Promise.all(receivers.map((r) => r.close()));
    await t?.close();
  });

  it('an operator with a service key: a failing test send, its attempt log, a fixed url, a resend that is delivered and verifies', async () => {
    const tenant = await t.tenant('console-ops');
    const dead = await receiver(500, 'receiver down for maintenance');
    const live = await receiver(204);
    const slug = unique('console-ep');

    // A wrong key: the API's error, as it answered it.
    await page.goto(`${t.base}/console`);
    await page.getByLabel('API key').fill('not-a-key');
    await page.getByRole('button', { name: 'Log in' }).click();
    const refused = page.getByRole('alert');
    await refused.waitFor();
    assert.match(await refused.innerText(), /unauthorized/);
    await shot(browser, page, '01-login-refused');

    await page.getByLabel('API key').fill(SERVICE_ADMIN);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Endpoints' }).waitFor();
    // The key went to the server once; the page holds it nowhere, and the session cookie is HttpOnly.
    const held = await page.evaluate(() => {
      // Runs in the page (the test's own types know no DOM).
      const w = globalThis as unknown as { localStorage: object; sessionStorage: object; document: { cookie: string } };
      return JSON.stringify({ ...w.localStorage }) + JSON.stringify({ ...w.sessionStorage }) + w.document.cookie;
    });
    assert.ok(!held.includes(SERVICE_ADMIN), held);
    assert.ok(!held.includes('callbacks_session'), held);
    assert.equal(await page.getByLabel('API key').count(), 0);

    // A service key picks the tenant it acts for.
    await page.getByLabel('Tenant').selectOption(tenant.id);
    await page.locator('code[data-tenant]', { hasText: tenant.id }).waitFor();
    await shot(browser, page, '02-logged-in');

    await page.getByText('New endpoint').click();
    const form = page.getByRole('form', { name: 'New endpoint' });
    await form.locator('input[name=url]').fill(dead.url);
    await form.locator('input[name=id]').fill(slug);
    // Outside `default`, a chosen id lives in the tenant's namespace.
    const endpointId = `${tenant.id}.${slug}`;
    await form.locator('input[name=description]').fill('CRM webhook');
    await form.getByRole('button', { name: 'Create endpoint' }).click();
    const created = page.locator('article.created');
    await created.waitFor();
    const secret = (await created.locator('pre.secret').innerText()).trim();
    assert.match(secret, /^whsec_/);
    await page.locator(`tr[data-endpoint="${endpointId}"]`).waitFor();
    await shot(browser, page, '03-endpoint-created');
    // It was created in the picked tenant, through the public API.
    assert.equal((await t.api(SERVICE_ADMIN, 'GET', `/v1/endpoints/${endpointId}`, undefined, tenant.id)).status, 200);
    assert.equal((await t.api(SERVICE_ADMIN, 'GET', `/v1/endpoints/${endpointId}`)).status, 404);

    // A test send of a call_completed to the receiver that answers 500.
    await created.getByRole('link', { name: endpointId }).click();
    await page.getByRole('heading', { name: endpointId }).waitFor();
    await page.locator('select[name=testType]').selectOption('call_completed');
    await page.getByRole('button', { name: 'Send test' }).click();
    const outcome = page.locator('article.test-result');
    await outcome.waitFor({ timeout: 30_000 });
    assert.match(await outcome.innerText(), /Not delivered · HTTP 500/);
    assert.equal(dead.requests.length, 1);
    await shot(browser, page, '04-test-failed');

    // The failed delivery in the list (from Temporal visibility: refreshed until it shows).
    await page.getByRole('button', { name: 'Deliveries' }).click();
    await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
    await page.getByRole('switch').check();
    const failedRow = page.locator('tr[data-status="discarded"]');
    await failedRow.waitFor({ timeout: 45_000 });
    assert.equal(await page.locator('tr[data-delivery]').count(), 1);
    assert.match(await failedRow.innerText(), /call_completed/);
    await shot(browser, page, '05-deliveries-failed');

    // Its attempt log shows the receiver's 500 and its answer.
    await failedRow.getByRole('link').first().click();
    const attempt = page.locator('tr[data-attempt="1"]');
    await attempt.waitFor();
    assert.match(await attempt.innerText(), /500/);
    assert.match(await attempt.innerText(), /receiver down for maintenance/);
    const deliveryHash = new URL(page.url()).hash;
    const deliveryId = decodeURIComponent(deliveryHash.split('/')[2]);
    await shot(browser, page, '06-attempt-log');

    // Point the endpoint at the live receiver.
    await page.locator('section.delivery hgroup').getByRole('link', { name: endpointId }).click();
    await page.getByText('Edit', { exact: true }).click();
    const edit = page.getByRole('form', { name: 'Edit endpoint' });
    await edit.locator('input[name=url]').fill(live.url);
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.locator('p.url', { hasText: live.url }).waitFor();
    await shot(browser, page, '07-endpoint-edited');
    live.trust('/hook', secret);

    // Resend: delivered, and the page follows it there by itself.
    await page.goto(`${t.base}/console${deliveryHash}`);
    await page.getByRole('button', { name: 'Resend' }).click();
    await page.locator('h2 [data-status="delivered"]').waitFor({ timeout: 45_000 });
    await page.locator('tr[data-attempt="2"]').waitFor();
    assert.match(await page.locator('tr[data-attempt="2"]').innerText(), /204/);
    await shot(browser, page, '08-delivered');

    const [got] = await live.waitFor(1);
    assert.equal(got.signatureValid, true);
    // As a customer's receiver checks it, with the secret the console showed.
    const body = new Webhook(secret).verify(got.body, {
      'webhook-id': String(got.headers['webhook-id']),
      'webhook-timestamp': String(got.headers['webhook-timestamp']),
      'webhook-signature': String(got.headers['webhook-signature']),
    }) as { type: string; test?: boolean };
    assert.equal(body.type, 'call_completed');
    assert.equal(body.test, true);
    assert.equal(dead.requests.length, 1);
    const api = await t.api(SERVICE_ADMIN, 'GET', `/v1/deliveries/${encodeURIComponent(deliveryId)}`, undefined, tenant.id);
    assert.equal(api.body.status, 'delivered');
    assert.deepEqual(api.body.attempts.map((a: { statusCode?: number }) => a.statusCode), [500, 204]);
  });

  it("a tenant's own key sees only its tenant: its endpoints, a transform's preview, the catalog", async () => {
    const mine = await t.tenant('console-mine');
    const theirs = await t.tenant('console-theirs');
    const mySlug = unique('mine');
    const theirSlug = unique('theirs');
    const make = (key: string, id: string, extra: Record<string, unknown> = {}) =>
      t.api(key, 'POST', '/v1/endpoints', { id, url: 'http://127.0.0.1:9/hook', ...extra });
    const madeMine = await make(mine.admin, mySlug, { transform: { jsonata: '{ "kind": type, "call": data.callId }' } });
    assert.equal(madeMine.status, 201);
    const madeTheirs = await make(theirs.admin, theirSlug);
    assert.equal(madeTheirs.status, 201);
    const myEndpoint: string = madeMine.body.id;
    const theirEndpoint: string = madeTheirs.body.id;

    await logIn(page, t.base, mine.admin);
    await page.locator(`tr[data-endpoint="${myEndpoint}"]`).waitFor();
    assert.equal(await page.locator('tr[data-endpoint]').count(), 1);
    assert.equal(await page.getByLabel('Tenant').count(), 0);
    assert.equal(await page.locator('code[data-tenant]').innerText(), mine.id);
    await shot(browser, page, '09-tenant-key');

    // Another tenant's endpoint, asked for by its id, does not exist for this key.
    await page.goto(`${t.base}/console#/endpoints/${theirEndpoint}`);
    assert.match(await page.getByRole('alert').innerText(), /not_found/);

    await page.goto(`${t.base}/console#/endpoints/${myEndpoint}`);
    // Disable, then enable: the endpoint's state follows, in the page and in the API.
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.locator('h2 [data-state]', { hasText: 'disabled' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Send test' }).isDisabled(), true);
    assert.equal((await t.api(mine.admin, 'GET', `/v1/endpoints/${myEndpoint}`)).body.disabled, true);
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.locator('h2 [data-state]', { hasText: 'enabled' }).waitFor();
    assert.equal((await t.api(mine.admin, 'GET', `/v1/endpoints/${myEndpoint}`)).body.disabled, false);

    // Rotate the secret at once: the page shows the new one, the one the API now holds.
    const before = (await t.api(mine.admin, 'GET', `/v1/endpoints/${myEndpoint}/secret`)).body.secret;
    await page.getByText('Signing secret').click();
    await page.locator('input[name=graceSeconds]').fill('0');
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = (await page.locator('details.secret pre.secret').innerText()).trim();
    const after = (await t.api(mine.admin, 'GET', `/v1/endpoints/${myEndpoint}/secret`)).body.secret;
    assert.notEqual(after, before);
    assert.equal(rotated, after);

    await page.getByText('Preview a delivery').click();
    await page.locator('select[name=previewType]').selectOption('call_started');
    // The form starts from the type's catalog example: once it is there, it cannot overwrite what is typed.
    const previewData = page.locator('textarea[name=previewData]');
    await eventually(async () => (await previewData.inputValue()).includes('"callId"'), 30_000, "the type's example in the preview form");
    await previewData.fill(JSON.stringify({ callId: 'call_console_preview', direction: 'inbound', from: '+15550100', to: '+15550101', startedAt: '2026-11-30T10:00:00Z' }));
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    const preview = page.locator('.preview-result');
    // Whichever comes: the result, or the API's error, which the assertion then shows.
    await preview.or(page.locator('details.preview [role=alert]')).first().waitFor({ timeout: 60_000 });
    assert.equal(await preview.count(), 1, await page.locator('details.preview').innerText());
    assert.deepEqual(JSON.parse(await preview.locator('pre').first().innerText()), { kind: 'call_started', call: 'call_console_preview' });
    await shot(browser, page, '10-preview');

    // A transform that does not compile is refused with the API's own error; a good one is saved and previewed at once.
    const transform = page.locator('textarea[name=transform]');
    await transform.fill('{ "only": ');
    await page.getByRole('button', { name: 'Save transform' }).click();
    assert.match(await page.locator('details.preview [role=alert]').innerText(), /invalid_transform/);
    await transform.fill('{ "only": data.callId }');
    await page.getByRole('button', { name: 'Save transform' }).click();
    await page.locator('details.preview .saved').waitFor();
    assert.deepEqual((await t.api(mine.admin, 'GET', `/v1/endpoints/${myEndpoint}`)).body.transform, { jsonata: '{ "only": data.callId }' });
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    await eventually(async () => (await preview.locator('pre').first().innerText()).includes('"only"'), 10_000, 'the new transform previewed');
    assert.deepEqual(JSON.parse(await preview.locator('pre').first().innerText()), { only: 'call_console_preview' });

    await page.getByRole('link', { name: 'Event catalog' }).click();
    const completed = page.locator('#type-call_completed');
    await completed.waitFor();
    assert.match(await completed.innerText(), /"callId"/);
    assert.match(await completed.innerText(), /transcript/);
    await shot(browser, page, '11-catalog');
  });

  it('recovers a window of an endpoint with live progress', async () => {
    const tenant = await t.tenant('console-recover');
    const dead = await receiver(503);
    const live = await receiver(200);
    const created = await t.api(tenant.admin, 'POST', '/v1/endpoints', { id: unique('recover'), url: dead.url });
    const id: string = created.body.id;
    assert.equal(created.status, 201);
    for (let i = 0; i < 3; i++) assert.equal((await t.api(tenant.admin, 'POST', `/v1/endpoints/${id}/test`, {})).body.delivered, false);
    // The job finds them through Temporal visibility: wait until it lists all three.
    await eventually(async () => {
      const listed = await t.api(tenant.admin, 'GET', `/v1/deliveries?endpointId=${id}&status=discarded`);
      return listed.body.data?.length === 3;
    }, 45_000, 'three discarded deliveries listed');
    assert.equal((await t.api(tenant.admin, 'PATCH', `/v1/endpoints/${id}`, { url: live.url })).status, 200);
    live.trust('/hook', created.body.secret);

    await logIn(page, t.base, tenant.admin);
    await page.getByRole('link', { name: 'Recover', exact: true }).click();
    await page.locator('select[name=endpointId]').selectOption(id);
    for (const status of ['awaiting_review', 'expired']) await page.locator(`input[name=status][value=${status}]`).uncheck();
    await page.locator('input[name=status][value=discarded]').check();
    await page.getByRole('button', { name: 'Start recovery' }).click();
    const job = page.locator('article.job');
    await job.waitFor();
    assert.equal(await job.locator('progress').count(), 1);
    await shot(browser, page, '12-recover-running');
    await page.locator('article.job[data-status="completed"]').waitFor({ timeout: 45_000 });
    assert.match(await job.locator('.counts').innerText(), /^3 of 3 done$/);
    assert.equal(await job.locator('progress').evaluate((p) => (p as unknown as { position: number }).position), 1);
    await shot(browser, page, '13-recover-done');

    const got = await live.waitFor(3, 30_000);
    assert.ok(got.every((r) => r.signatureValid === true));
    assert.equal(new Set(got.map((r) => r.webhookId)).size, 3);

    // The list, filtered by endpoint and status in the page's form: the three, delivered now.
    await page.getByRole('link', { name: 'Deliveries', exact: true }).click();
    const filters = page.getByRole('form', { name: 'Filters' });
    await filters.locator('input[name=endpointId]').fill(id);
    await filters.locator('select[name=status]').selectOption('delivered');
    await filters.getByRole('button', { name: 'Apply filters' }).click();
    const applied = new URLSearchParams(new URL(page.url()).hash.split('?')[1]);
    assert.deepEqual([applied.get('endpointId'), applied.get('status')], [id, 'delivered']);
    await page.getByRole('switch').check();
    await eventually(async () => (await page.locator('tr[data-status="delivered"]').count()) === 3, 45_000, 'three delivered rows');
    assert.equal(await page.locator('tr[data-delivery]').count(), 3);
    await shot(browser, page, '14-deliveries-filtered');
  });

  it('an ingest key logs in but is offered nothing: it may only post events', async () => {
    const tenant = await t.tenant('console-ingest');
    await logIn(page, t.base, tenant.ingest, '');
    assert.match(await page.getByRole('alert').innerText(), /ingest key: it may only post events/);
    assert.equal(await page.getByRole('heading', { name: 'Endpoints' }).count(), 0);
    assert.equal(await page.getByLabel('Tenant').count(), 0);
  });

  it('after logging in goes on to the page that sent the browser here, on this origin only', async () => {
    const tenant = await t.tenant('console-next');
    const loginVia = async (next: string) => {
      await page.request.delete(`${t.base}/v1/session`);
      await page.goto(`${t.base}/console?next=${encodeURIComponent(next)}`);
      await page.getByLabel('API key').fill(tenant.admin);
      await page.getByRole('button', { name: 'Log in' }).click();
    };
    // Off-site, however spelled: ignored, the console opens.
    for (const next of ['//example.com/x', 'https://example.com/x', '/\\example.com/x']) {
      await loginVia(next);
      await page.getByRole('heading', { name: 'Endpoints' }).waitFor();
      assert.equal(new URL(page.url()).origin, t.base, next);
    }
    // A page of this origin (the Temporal UI at /ui sends browsers here so): followed once logged in.
    await loginVia('/v1/session?from=console');
    await page.waitForURL(`${t.base}/v1/session?from=console`);
    assert.equal(JSON.parse(await page.locator('body').innerText()).tenantId, tenant.id);
  });
});
