import assert from 'node:assert/strict';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { CallbackEventsError } from '../../src/errors';

/** Asserts that loadConfig(env) throws an `invalid_config` error whose message names every given variable. */
function assertInvalid(env: Record<string, string | undefined>, ...variables: string[]): CallbackEventsError {
  let caught: unknown;
  try {
    loadConfig(env);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof CallbackEventsError, `expected an invalid_config error for ${JSON.stringify(env)}, got ${String(caught)}`);
  assert.equal(caught.code, 'invalid_config');
  for (const v of variables) assert.ok(caught.message.includes(v), `message ${JSON.stringify(caught.message)} should name ${v}`);
  return caught;
}

describe('loadConfig', () => {
  it('applies the defaults to an empty environment', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.equal(c.host, '127.0.0.1');
    assert.ok(path.isAbsolute(c.dataDir), c.dataDir);
    assert.equal(path.basename(c.dataDir), '.data');
    assert.equal(c.dataDir, path.resolve(process.cwd(), '.data'));
    assert.equal(c.temporal.address, undefined);
    assert.equal(c.temporal.namespace, 'default');
    assert.equal(c.temporal.taskQueue, 'callback-events');
    assert.equal(c.temporal.devServerPort, 7233);
    assert.equal(c.temporal.devServerUiPort, 8233);
    assert.equal(c.temporal.cliPath, undefined);
    assert.equal(c.temporal.workflowBundlePath, path.resolve(__dirname, '../../dist/workflow-bundle.js'));
    assert.deepEqual(c.apiKeys, []);
    assert.equal(c.allowPrivateTargets, false);
    assert.equal(c.allowHttp, false);
    assert.equal(c.logLevel, 'info');
    assert.equal(c.publicUrl, 'http://127.0.0.1:3000');
  });

  it('reads every variable', () => {
    const c = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATA_DIR: '/var/lib/callbacks',
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'calls',
      TEMPORAL_PORT: '17233',
      TEMPORAL_UI_PORT: '18233',
      TEMPORAL_CLI_PATH: '/opt/temporal/bin/temporal',
      TEMPORAL_TASK_QUEUE: 'cb-queue',
      CALLBACKS_WORKFLOW_BUNDLE: '/opt/callbacks/workflow-bundle.js',
      CALLBACKS_API_KEY: 'k1',
      CALLBACKS_ALLOW_PRIVATE_TARGETS: 'true',
      CALLBACKS_ALLOW_HTTP: '1',
      CALLBACKS_ATTEMPT_RETENTION_DAYS: '7',
      CALLBACKS_RECOVER_RPS: '50',
      CALLBACKS_PUBLIC_URL: 'https://callbacks.example.com/',
      DATABASE_URL: 'postgres://callbacks:pw@db.internal:5432/callbacks',
      DATABASE_POOL_SIZE: '25',
      CALLBACKS_MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
      CALLBACKS_PAYLOAD_KEY: Buffer.alloc(32, 2).toString('base64'),
      LOG_LEVEL: 'debug',
      CALLBACKS_METRICS_TOKEN: 'scrape-token-0123456789',
      CALLBACKS_WORKER_METRICS_PORT: '9101',
      CALLBACKS_SDK_METRICS_PORT: '9102',
      CALLBACKS_METRICS_CACHE_SECONDS: '30',
      CALLBACKS_WORKFLOW_TASK_SLOTS: '8',
      CALLBACKS_ACTIVITY_TASK_SLOTS: '200',
      CALLBACKS_LOCAL_FIRST_ATTEMPT: 'false',
    });
    assert.deepEqual(c, {
      port: 8080,
      host: '0.0.0.0',
      dataDir: '/var/lib/callbacks',
      temporal: {
        address: 'temporal.internal:7233',
        namespace: 'calls',
        taskQueue: 'cb-queue',
        devServerPort: 17233,
        devServerUiPort: 18233,
        cliPath: '/opt/temporal/bin/temporal',
        workflowBundlePath: '/opt/callbacks/workflow-bundle.js',
      },
      database: { url: 'postgres://callbacks:pw@db.internal:5432/callbacks', poolSize: 25 },
      production: false,
      apiKeys: [{ key: 'k1', role: 'admin' }],
      masterKeys: [Buffer.alloc(32, 1)],
      payloadKeys: [Buffer.alloc(32, 2)],
      allowedCidrs: [],
      maxEventBytes: 262144,
      ingestRps: 500,
      allowPrivateTargets: true,
      allowHttp: true,
      attemptRetentionDays: 7,
      recoverPerSecond: 50,
      publicUrl: 'https://callbacks.example.com',
      logLevel: 'debug',
      workerSlots: { workflowTasks: 8, activityTasks: 200 },
      localFirstAttempt: false,
      metrics: { token: 'scrape-token-0123456789', workerPort: 9101, sdkPort: 9102, visibilityCacheMs: 30_000 },
    });
  });

  it('defaults the worker to 4 workflow tasks and 100 activities at once, and refuses fewer than 2 workflow tasks', () => {
    assert.deepEqual(loadConfig({}).workerSlots, { workflowTasks: 4, activityTasks: 100 });
    assertInvalid({ CALLBACKS_WORKFLOW_TASK_SLOTS: '1' }, 'CALLBACKS_WORKFLOW_TASK_SLOTS');
    assertInvalid({ CALLBACKS_ACTIVITY_TASK_SLOTS: '0' }, 'CALLBACKS_ACTIVITY_TASK_SLOTS');
  });

  it('defaults CALLBACKS_PUBLIC_URL to the API\'s own address, and refuses one that is not an http(s) base', () => {
    assert.equal(loadConfig({ PORT: '4000' }).publicUrl, 'http://127.0.0.1:4000');
    assert.equal(loadConfig({ HOST: '0.0.0.0', PORT: '4000' }).publicUrl, 'http://127.0.0.1:4000');
    assert.equal(loadConfig({ HOST: '::', PORT: '4000' }).publicUrl, 'http://[::1]:4000');
    assert.equal(loadConfig({ CALLBACKS_PUBLIC_URL: 'https://proxy.example/callbacks' }).publicUrl, 'https://proxy.example/callbacks');
    for (const bad of ['ftp://x.example', 'not a url', 'https://x.example/?a=1', 'https://x.example/#f']) {
      assertInvalid({ CALLBACKS_PUBLIC_URL: bad }, 'CALLBACKS_PUBLIC_URL');
    }
  });

  it('takes the metrics settings with their defaults, and refuses a short token and port 0', () => {
    assert.deepEqual(loadConfig({}).metrics, { token: undefined, workerPort: undefined, sdkPort: undefined, visibilityCacheMs: 15_000 });
    assert.equal(loadConfig({ CALLBACKS_METRICS_CACHE_SECONDS: '0' }).metrics.visibilityCacheMs, 0);
    assert.throws(() => loadConfig({ CALLBACKS_METRICS_TOKEN: 'short' }), /CALLBACKS_METRICS_TOKEN: must be at least 16 characters/);
    assert.throws(() => loadConfig({ CALLBACKS_WORKER_METRICS_PORT: '0' }), /CALLBACKS_WORKER_METRICS_PORT/);
    assert.throws(() => loadConfig({ CALLBACKS_SDK_METRICS_PORT: 'x' }), /CALLBACKS_SDK_METRICS_PORT/);
  });

  it('resolves a relative DATA_DIR to an absolute path', () => {
    const c = loadConfig({ DATA_DIR: 'var/data' });
    assert.ok(path.isAbsolute(c.dataDir));
    assert.equal(c.dataDir, path.resolve(process.cwd(), 'var/data'));
  });

  it('splits CALLBACKS_API_KEY on commas, trimming and dropping empty entries, with roles', () => {
    assert.deepEqual(loadConfig({ CALLBACKS_API_KEY: ' old-key , ingest:new-key,,  ,admin:third ' }).apiKeys, [
      { key: 'old-key', role: 'admin' },
      { key: 'new-key', role: 'ingest' },
      { key: 'third', role: 'admin' },
    ]);
    assert.deepEqual(loadConfig({ CALLBACKS_API_KEY: 'single' }).apiKeys, [{ key: 'single', role: 'admin' }]);
    assert.deepEqual(loadConfig({ CALLBACKS_API_KEY: '' }).apiKeys, []);
    assert.deepEqual(loadConfig({ CALLBACKS_API_KEY: ' , ' }).apiKeys, []);
  });

  it('reads the keys, ranges and limits of the security settings', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const other = Buffer.alloc(32, 9).toString('base64');
    const c = loadConfig({
      CALLBACKS_MASTER_KEY: `${key},${other}`,
      CALLBACKS_PAYLOAD_KEY: key,
      CALLBACKS_ALLOWED_CIDRS: '203.0.113.0/24, 2001:db8::/32',
      CALLBACKS_MAX_EVENT_BYTES: '1048576',
      CALLBACKS_INGEST_RPS: '25',
    });
    assert.deepEqual(c.masterKeys, [Buffer.alloc(32, 7), Buffer.alloc(32, 9)]);
    assert.deepEqual(c.payloadKeys, [Buffer.alloc(32, 7)]);
    assert.deepEqual(c.allowedCidrs, ['203.0.113.0/24', '2001:db8::/32']);
    assert.equal(c.maxEventBytes, 1048576);
    assert.equal(c.ingestRps, 25);
    assertInvalid({ CALLBACKS_MASTER_KEY: Buffer.alloc(16).toString('base64') }, 'CALLBACKS_MASTER_KEY');
    assertInvalid({ CALLBACKS_ALLOWED_CIDRS: '10.0.0.0' }, 'CALLBACKS_ALLOWED_CIDRS');
    assertInvalid({ CALLBACKS_ALLOWED_CIDRS: '10.0.0.0/33' }, 'CALLBACKS_ALLOWED_CIDRS');
  });

  it('refuses production mode without keys, or with private targets open', () => {
    assertInvalid({ NODE_ENV: 'production' }, 'CALLBACKS_API_KEY', 'CALLBACKS_MASTER_KEY', 'CALLBACKS_PAYLOAD_KEY');
    const key = Buffer.alloc(32, 1).toString('base64');
    const safe = { NODE_ENV: 'production', CALLBACKS_API_KEY: 'k', CALLBACKS_MASTER_KEY: key, CALLBACKS_PAYLOAD_KEY: key };
    assert.equal(loadConfig(safe).production, true);
    assertInvalid({ ...safe, CALLBACKS_ALLOW_PRIVATE_TARGETS: 'true' }, 'CALLBACKS_ALLOW_PRIVATE_TARGETS');
  });

  it('picks PostgreSQL with DATABASE_URL (pool of 10 by default), and SQLite without it', () => {
    const key = Buffer.alloc(32, 1).toString('base64');
    const keys = { CALLBACKS_MASTER_KEY: key, CALLBACKS_PAYLOAD_KEY: key };
    assert.equal(loadConfig({}).database, undefined);
    assert.deepEqual(loadConfig({ ...keys, DATABASE_URL: 'postgresql://db/cb' }).database, { url: 'postgresql://db/cb', poolSize: 10 });
    assertInvalid({ ...keys, DATABASE_URL: 'mysql://db/cb' }, 'DATABASE_URL');
    assertInvalid({ ...keys, DATABASE_URL: 'postgres://db/cb', DATABASE_POOL_SIZE: '0' }, 'DATABASE_POOL_SIZE');
  });

  it('refuses DATABASE_URL without both keys, naming both (a generated key file is one host\'s)', () => {
    const key = Buffer.alloc(32, 1).toString('base64');
    const url = 'postgres://callbacks:s3cret-pw@db.internal/cb';
    for (const env of [{}, { CALLBACKS_MASTER_KEY: key }, { CALLBACKS_PAYLOAD_KEY: key }]) {
      const err = assertInvalid({ ...env, DATABASE_URL: url }, 'DATABASE_URL', 'CALLBACKS_MASTER_KEY', 'CALLBACKS_PAYLOAD_KEY');
      assert.doesNotMatch(err.message, /s3cret-pw/, 'the URL (and its password) is not repeated');
    }
  });

  it('reads the booleans: true/1 on, false/0/empty off', () => {
    for (const [value, expected] of [
      ['true', true],
      ['1', true],
      ['false', false],
      ['0', false],
      ['', false],
    ] as const) {
      const c = loadConfig({ CALLBACKS_ALLOW_PRIVATE_TARGETS: value, CALLBACKS_ALLOW_HTTP: value });
      assert.equal(c.allowPrivateTargets, expected, `CALLBACKS_ALLOW_PRIVATE_TARGETS=${value}`);
      assert.equal(c.allowHttp, expected, `CALLBACKS_ALLOW_HTTP=${value}`);
    }
    // The two are independent.
    const c = loadConfig({ CALLBACKS_ALLOW_PRIVATE_TARGETS: 'true', CALLBACKS_ALLOW_HTTP: 'false' });
    assert.equal(c.allowPrivateTargets, true);
    assert.equal(c.allowHttp, false);
  });

  it('accepts the port bounds', () => {
    assert.equal(loadConfig({ PORT: '0' }).port, 0);
    assert.equal(loadConfig({ PORT: '65535' }).port, 65535);
  });

  it('turns traces on with OTEL_EXPORTER_OTLP_ENDPOINT only (a base url; OTEL_SERVICE_NAME or callback-events)', () => {
    assert.equal(loadConfig({}).tracing, undefined);
    assert.equal(loadConfig({ OTEL_SERVICE_NAME: 'voice-hooks', OTEL_EXPORTER_OTLP_ENDPOINT: '' }).tracing, undefined);
    assert.deepEqual(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318/' }).tracing, {
      endpoint: 'http://otel-collector:4318',
      serviceName: 'callback-events',
    });
    assert.equal(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com', OTEL_SERVICE_NAME: 'voice-hooks' }).tracing?.serviceName, 'voice-hooks');
    assertInvalid({ OTEL_EXPORTER_OTLP_ENDPOINT: 'otel-collector:4318' }, 'OTEL_EXPORTER_OTLP_ENDPOINT');
    assertInvalid({ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://otel-collector:4317' }, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  });

  it('ignores variables it does not know', () => {
    const c = loadConfig({ PATH: '/usr/bin', HOME: '/root', SHELL: '/bin/bash', PORT: '4000' });
    assert.equal(c.port, 4000);
    assert.equal(c.host, '127.0.0.1');
  });

  describe('refuses invalid values with an invalid_config error naming the variable', () => {
    it('PORT=abc', () => {
      assertInvalid({ PORT: 'abc' }, 'PORT');
    });

    it('PORT=70000', () => {
      assertInvalid({ PORT: '70000' }, 'PORT');
    });

    it('PORT=-1 and PORT=3.5', () => {
      assertInvalid({ PORT: '-1' }, 'PORT');
      assertInvalid({ PORT: '3.5' }, 'PORT');
    });

    it('CALLBACKS_ALLOW_HTTP=yes', () => {
      assertInvalid({ CALLBACKS_ALLOW_HTTP: 'yes' }, 'CALLBACKS_ALLOW_HTTP');
    });

    it('CALLBACKS_ALLOW_PRIVATE_TARGETS=TRUE', () => {
      assertInvalid({ CALLBACKS_ALLOW_PRIVATE_TARGETS: 'TRUE' }, 'CALLBACKS_ALLOW_PRIVATE_TARGETS');
    });

    it('TEMPORAL_PORT and TEMPORAL_UI_PORT out of range', () => {
      assertInvalid({ TEMPORAL_PORT: '99999' }, 'TEMPORAL_PORT');
      assertInvalid({ TEMPORAL_UI_PORT: 'x' }, 'TEMPORAL_UI_PORT');
    });

    it('treats an empty variable as unset, so the default applies', () => {
      const c = loadConfig({ HOST: '', TEMPORAL_NAMESPACE: ' ', PORT: '' });
      assert.equal(c.host, '127.0.0.1');
      assert.equal(c.temporal.namespace, 'default');
      assert.equal(c.port, 3000);
    });

    it('an unknown LOG_LEVEL', () => {
      assertInvalid({ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL');
    });

    it('names every invalid variable at once', () => {
      assertInvalid(
        { PORT: 'abc', CALLBACKS_ALLOW_HTTP: 'yes', TEMPORAL_UI_PORT: '70000' },
        'PORT',
        'CALLBACKS_ALLOW_HTTP',
        'TEMPORAL_UI_PORT',
      );
    });

    it('does not blame valid variables', () => {
      const err = assertInvalid({ PORT: '8080', HOST: '0.0.0.0', CALLBACKS_ALLOW_HTTP: 'yes' }, 'CALLBACKS_ALLOW_HTTP');
      assert.ok(!/\bPORT\b/.test(err.message), err.message);
      assert.ok(!err.message.includes('HOST'), err.message);
    });
  });
});
