import assert from 'node:assert/strict';
import { CliConfigError, DEFAULT_URL, loadCliConfig } from '../../src/cli/config';

/** The CLI's config: CALLBACKS_URL and CALLBACKS_API_KEY, each overridden by its flag, checked once. */

function assertInvalid(env: Record<string, string>, flags: Parameters<typeof loadCliConfig>[0], ...named: string[]): void {
  assert.throws(
    () => loadCliConfig(flags, env),
    (err: unknown) => {
      assert.ok(err instanceof CliConfigError, String(err));
      for (const name of named) assert.ok(err.message.includes(name), `${JSON.stringify(err.message)} should name ${name}`);
      return true;
    },
  );
}

describe('loadCliConfig', () => {
  it('defaults to the local service, without a key or tenant', () => {
    assert.deepEqual(loadCliConfig({}, {}), { url: DEFAULT_URL, apiKey: undefined, tenant: undefined, json: false });
  });

  it('reads the variables, and the flags win over them', () => {
    const env = { CALLBACKS_URL: 'https://callbacks.example.com/', CALLBACKS_API_KEY: 'from-env' };
    assert.deepEqual(loadCliConfig({}, env), { url: 'https://callbacks.example.com', apiKey: 'from-env', tenant: undefined, json: false });
    const flagged = loadCliConfig({ apiUrl: 'http://10.0.0.5:3000', apiKey: 'from-flag', tenant: 'acme', json: true }, env);
    assert.deepEqual(flagged, { url: 'http://10.0.0.5:3000', apiKey: 'from-flag', tenant: 'acme', json: true });
  });

  it('treats an empty variable as unset, as the service does', () => {
    assert.equal(loadCliConfig({}, { CALLBACKS_URL: ' ', CALLBACKS_API_KEY: '' }).apiKey, undefined);
    assert.equal(loadCliConfig({}, { CALLBACKS_URL: ' ' }).url, DEFAULT_URL);
  });

  it('takes the service\'s own `role:KEY` form of one key as the key', () => {
    assert.equal(loadCliConfig({}, { CALLBACKS_API_KEY: 'admin:k1' }).apiKey, 'k1');
    assert.equal(loadCliConfig({ apiKey: 'ingest:k2' }, {}).apiKey, 'k2');
  });

  it('refuses what it cannot use, naming where it came from', () => {
    assertInvalid({ CALLBACKS_URL: 'ftp://example.com' }, {}, 'CALLBACKS_URL', 'http or https');
    assertInvalid({ CALLBACKS_URL: 'http://fine.example.com' }, { apiUrl: 'not a url' }, '--api-url');
    assertInvalid({ CALLBACKS_API_KEY: 'admin:k1,ingest:k2' }, {}, 'CALLBACKS_API_KEY', 'one key');
    assertInvalid({}, { apiKey: 'two words' }, '--api-key');
  });
});
