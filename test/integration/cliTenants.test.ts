import assert from 'node:assert/strict';
import { createLogger } from '../../src/log';
import { unique, useKit } from '../helpers/kit';
import { listen } from '../helpers/listen';
import { runCli, runCliOk } from '../helpers/cliRunner';
import { apiOn } from '../helpers/stack';

/**
 * `callbacks tenants …`, `callbacks keys …` and `--tenant`, as the binary against the running
 * service: a tenant made, keyed and deleted from the command line, and its key acting for it alone.
 */

const SERVICE_KEY = 'cli-tenants-service-key';

describe('the callbacks CLI: tenants and keys', function () {
  this.timeout(120_000);
  const kit = useKit();
  let base = '';
  let close: (() => Promise<void>) | undefined;

  before(async () => {
    const app = apiOn(kit.stack, { apiKeys: [{ key: SERVICE_KEY, role: 'admin' }], recoverPerSecond: 20, log: createLogger('error', 'cli-tenants-test') });
    ({ base, close } = await listen(app));
  });
  after(async () => close?.());

  const as = (key: string) => ({ env: { CALLBACKS_URL: base, CALLBACKS_API_KEY: key } });
  const cli = (args: string[], key = SERVICE_KEY) => runCli(args, as(key));
  const ok = (args: string[], key = SERVICE_KEY) => runCliOk(args, as(key));

  it('creates, lists, updates and deletes a tenant; its key acts for it alone, and --tenant acts for it with a service key', async () => {
    const tenant = unique('tn');
    const created = await ok(['tenants', 'create', '--id', tenant, '--name', 'Acme Insurance', '--metadata', 'plan=pro']);
    assert.match(created.stdout, new RegExp(`^id:\\s+${tenant}$`, 'm'));
    assert.match(created.stdout, /^metadata:\s+\{"plan":"pro"\}$/m);
    assert.match((await ok(['tenants', 'list'])).stdout, new RegExp(`^${tenant}\\s+Acme Insurance\\s`, 'm'));
    await ok(['tenants', 'update', tenant, '--name', 'Acme Mutual']);
    assert.equal(JSON.parse((await ok(['tenants', 'get', tenant, '--json'])).stdout).name, 'Acme Mutual');

    const made = await ok(['keys', 'create', tenant, '--role', 'admin', '--label', 'ops']);
    const key = /^key:\s+(\S+)$/m.exec(made.stdout)?.[1];
    const keyId = /^id:\s+(\S+)$/m.exec(made.stdout)?.[1];
    assert.ok(key && keyId, made.stdout);
    const listed = await ok(['keys', 'list', tenant]);
    assert.match(listed.stdout, new RegExp(`^${keyId}\\s+admin\\s+ops\\s`, 'm'));
    assert.equal(listed.stdout.includes(key), false, 'a listed key never shows its material');

    // The tenant's key makes an endpoint of that tenant, its id in the tenant's namespace; the
    // service key sees it only with --tenant.
    const chosen = unique('ep');
    const endpointId = `${tenant}.${chosen}`;
    const endpoint = await ok(['endpoints', 'create', '--id', chosen, '--url', 'http://127.0.0.1:9/none'], key);
    assert.ok(endpoint.stdout.includes(endpointId), endpoint.stdout);
    assert.match((await ok(['endpoints', 'list'], key)).stdout, new RegExp(`^${endpointId}\\s`, 'm'));
    assert.equal((await ok(['endpoints', 'list'])).stdout.includes(endpointId), false);
    assert.match((await ok(['endpoints', 'list', '--tenant', tenant])).stdout, new RegExp(`^${endpointId}\\s`, 'm'));
    const unknownTenant = await cli(['endpoints', 'list', '--tenant', 'no-such-tenant']);
    assert.equal(unknownTenant.code, 1);
    assert.match(unknownTenant.stderr, /^error: not_found: .*no-such-tenant.*\n$/);

    await ok(['keys', 'delete', tenant, keyId]);
    const revoked = await cli(['endpoints', 'list'], key);
    assert.equal(revoked.code, 1);
    assert.match(revoked.stderr, /^error: unauthorized: /);

    const deleted = await ok(['tenants', 'delete', tenant]);
    assert.match(deleted.stdout, new RegExp(`^deleted tenant ${tenant} \\(job-`, 'm'));
    assert.match(deleted.stderr.trim().split('\n').at(-1) ?? '', new RegExp(` ${tenant}: \\d+/\\d+ done, 0 failed \\(completed\\)$`));
    const gone = await cli(['tenants', 'get', tenant]);
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr, `error: not_found: Tenant "${tenant}" does not exist.\n`);
  });
});
