/**
 * Static checks of the scaled-out deployment (docker-compose.yml + Dockerfile).
 * Nothing is built or started: the compose file is parsed and inspected.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const repoRoot = path.resolve(__dirname, '..', '..');

type Service = Record<string, any>;

function loadCompose(): { raw: string; doc: Record<string, any> } {
  const raw = readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8');
  // `merge: true` resolves the `<<: *callbacks-env` merge keys.
  return { raw, doc: parse(raw, { merge: true }) };
}

/** `environment` as a map, whether written as a map or as a list of KEY=VALUE. */
function envOf(service: Service): Record<string, string> {
  const env = service.environment;
  if (env === undefined || env === null) return {};
  if (Array.isArray(env)) {
    const out: Record<string, string> = {};
    for (const entry of env) {
      const text = String(entry);
      const eq = text.indexOf('=');
      if (eq === -1) out[text] = '';
      else out[text.slice(0, eq)] = text.slice(eq + 1);
    }
    return out;
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** `depends_on` as a list of service names (list or map form). */
function dependsOn(service: Service): string[] {
  const deps = service.depends_on;
  if (!deps) return [];
  return Array.isArray(deps) ? deps.map(String) : Object.keys(deps);
}

function commandOf(service: Service): string {
  const cmd = service.command;
  if (cmd === undefined || cmd === null) return '';
  return Array.isArray(cmd) ? cmd.map(String).join(' ') : String(cmd).trim().replace(/\s+/g, ' ');
}

/** Container-side ports a service publishes (short "host:container[/proto]" syntax or long syntax). */
function containerPorts(service: Service): number[] {
  const ports: unknown[] = service.ports ?? [];
  return ports.map((p) => {
    if (typeof p === 'number') return p;
    if (typeof p === 'object' && p !== null) return Number((p as { target: unknown }).target);
    const withoutProto = String(p).split('/')[0];
    const parts = withoutProto.split(':');
    return Number(parts[parts.length - 1]);
  });
}

/** Named-volume mounts of a service as { source, target }. */
function volumeMounts(service: Service): { source: string; target: string }[] {
  const vols: unknown[] = service.volumes ?? [];
  return vols.map((v) => {
    if (typeof v === 'object' && v !== null) {
      const o = v as { source?: unknown; target?: unknown };
      return { source: String(o.source ?? ''), target: String(o.target ?? '') };
    }
    const parts = String(v).split(':');
    return parts.length === 1 ? { source: '', target: parts[0] } : { source: parts[0], target: parts[1] };
  });
}

function buildContext(service: Service): { context: string | undefined; dockerfile: string } {
  const build = service.build;
  if (typeof build === 'string') return { context: build, dockerfile: 'Dockerfile' };
  if (build && typeof build === 'object') return { context: build.context, dockerfile: build.dockerfile ?? 'Dockerfile' };
  return { context: undefined, dockerfile: 'Dockerfile' };
}

/** Dockerfile instructions, with comments dropped and `\` continuations joined. */
function dockerInstructions(text: string): { op: string; args: string }[] {
  const logical: string[] = [];
  let current = '';
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*#/.test(line)) continue;
    if (/\\\s*$/.test(line)) {
      current += line.replace(/\\\s*$/, ' ');
      continue;
    }
    current += line;
    if (current.trim() !== '') logical.push(current.trim());
    current = '';
  }
  if (current.trim() !== '') logical.push(current.trim());
  return logical.map((l) => {
    const m = /^(\S+)\s*(.*)$/.exec(l)!;
    return { op: m[1].toUpperCase(), args: m[2].replace(/\s+/g, ' ') };
  });
}

describe('docker-compose.yml (scaled-out deployment)', () => {
  const { raw, doc } = loadCompose();
  const services: Record<string, Service> = doc?.services ?? {};

  it('defines postgresql, temporal, temporal-ui, callbacks-db, api and worker services', () => {
    for (const name of ['postgresql', 'temporal', 'temporal-ui', 'callbacks-db', 'api', 'worker']) {
      assert.ok(services[name], `service "${name}" missing`);
    }
  });

  it('runs PostgreSQL 16 with a healthcheck and a persistent volume', () => {
    const pg = services.postgresql;
    assert.match(String(pg.image), /^postgres:16(\b|$)/);
    assert.ok(pg.healthcheck?.test, 'postgresql needs a healthcheck');
    const mounts = volumeMounts(pg);
    assert.ok(
      mounts.some((m) => m.target === '/var/lib/postgresql/data' && m.source !== '' && doc.volumes && m.source in doc.volumes),
      'postgresql data should live on a declared named volume',
    );
  });

  it('runs the Temporal server 1.32 (the cluster\'s minor) on the postgresql service, its schema set up first', () => {
    const temporal = services.temporal;
    assert.match(String(temporal.image), /^temporalio\/server:1\.32\.\d+$/);
    const env = envOf(temporal);
    assert.equal(env.DB, 'postgres12');
    assert.equal(env.POSTGRES_SEEDS, 'postgresql');
    assert.ok(containerPorts(temporal).includes(7233), 'temporal should publish 7233');
    // The schema job runs on the same PostgreSQL, with the admin tools of the server's version.
    const schema = services['temporal-schema'];
    assert.ok(schema, 'temporal-schema service missing');
    assert.equal(String(schema.image).split(':')[1], String(temporal.image).split(':')[1], 'admin tools and server versions differ');
    assert.equal(envOf(schema).POSTGRES_SEEDS, 'postgresql');
    assert.equal(schema.depends_on?.postgresql?.condition, 'service_healthy');
    assert.match(commandOf(schema), /update-schema/);
    for (const db of ['temporal', 'temporal_visibility']) assert.match(commandOf(schema), new RegExp(`\\b${db}\\b`), `schema of ${db}`);
    assert.equal(temporal.depends_on?.['temporal-schema']?.condition, 'service_completed_successfully');
    // Its dynamic config is inline, not a mounted file.
    const dynamic = (temporal.configs ?? []).find((c: { target?: string }) => c.target === env.DYNAMIC_CONFIG_FILE_PATH);
    assert.ok(dynamic, 'DYNAMIC_CONFIG_FILE_PATH names a config');
    assert.match(String(doc.configs?.[dynamic.source]?.content ?? ''), /system\.enableEagerWorkflowStart/);
    // Fairness between tenants (docs/tenants.md), as the dev server and the cluster have it.
    assert.match(String(doc.configs?.[dynamic.source]?.content ?? ''), /matching\.enableFairness:\s+- value: true/);
  });

  it('creates the default namespace once the server answers', () => {
    const ns = services['temporal-namespace'];
    assert.ok(ns, 'temporal-namespace service missing');
    assert.equal(ns.depends_on?.temporal?.condition, 'service_healthy');
    assert.match(commandOf(ns), /namespace create -n default/);
  });

  it('points the Temporal UI at the API\'s codec server', () => {
    assert.match(envOf(services['temporal-ui']).TEMPORAL_CODEC_ENDPOINT ?? '', /:3000\/codec\}?$/);
  });

  it('points temporal-ui, api and worker at temporal:7233', () => {
    for (const name of ['temporal-ui', 'api', 'worker']) {
      assert.equal(envOf(services[name]).TEMPORAL_ADDRESS, 'temporal:7233', `${name} TEMPORAL_ADDRESS`);
    }
    assert.ok(containerPorts(services['temporal-ui']).includes(8080), 'temporal-ui should publish 8080');
  });

  for (const [name, script] of [
    ['api', 'npm run api'],
    ['worker', 'npm run worker'],
  ] as const) {
    it(`builds ${name} from the repo Dockerfile and runs "${script}"`, () => {
      const { context, dockerfile } = buildContext(services[name]);
      assert.equal(context, '.', `${name} build context`);
      assert.equal(path.resolve(repoRoot, context, dockerfile), path.join(repoRoot, 'Dockerfile'));
      assert.equal(commandOf(services[name]), script);
    });
  }

  for (const name of ['api', 'worker']) {
    it(`runs 2 ${name} replicas`, () => {
      assert.equal(Number(services[name].deploy?.replicas), 2, `${name} replicas = ${services[name].deploy?.replicas}`);
      assert.equal(services[name].container_name, undefined, 'container_name prevents replicas');
    });
  }

  it('publishes a host port for each api replica, on all interfaces', () => {
    const env = envOf(services.api);
    assert.equal(env.HOST, '0.0.0.0');
    assert.equal(env.PORT, '3000');
    assert.ok(containerPorts(services.api).includes(Number(env.PORT)), 'api must publish its PORT');
    // A fixed host port would let only one replica start.
    const published = (services.api.ports as unknown[]).map(String);
    const range = published.map((p) => /^(\d+)-(\d+):/.exec(p)).find(Boolean);
    assert.ok(range, `a host port range: ${published.join(', ')}`);
    assert.equal(Number(range[2]) - Number(range[1]) + 1, Number(services.api.deploy?.replicas));
  });

  it('gives no service but the databases a volume', () => {
    const databases = Object.keys(services).filter((n) => /^postgres(:|$)/.test(String(services[n].image)));
    assert.deepEqual(databases.sort(), ['callbacks-db', 'postgresql']);
    for (const [name, service] of Object.entries(services)) {
      if (databases.includes(name)) continue;
      assert.deepEqual(service.volumes ?? [], [], `${name} has volumes`);
    }
    // Each database on a volume of its own.
    const sources = databases.map((n) => volumeMounts(services[n]).find((m) => m.target === '/var/lib/postgresql/data')?.source);
    assert.ok(sources.every((s) => s && s in (doc.volumes ?? {})), `database volumes: ${sources.join(', ')}`);
    assert.equal(new Set(sources).size, 2, 'the two databases share a volume');
    assert.deepEqual(Object.keys(doc.volumes ?? {}).sort(), [...sources].sort(), 'a declared volume nobody uses');
  });

  it('puts the store of api and worker on the callbacks-db PostgreSQL, not on Temporal\'s', () => {
    const db = services['callbacks-db'];
    const dbEnv = envOf(db);
    assert.match(String(db.image), /^postgres:16(\b|$)/);
    assert.ok(db.healthcheck?.test, 'callbacks-db needs a healthcheck');
    for (const name of ['api', 'worker']) {
      const env = envOf(services[name]);
      const url = new URL(String(env.DATABASE_URL).replace(/\$\{[^}]*\}/g, 'secret'));
      assert.equal(url.protocol, 'postgres:', `${name} DATABASE_URL`);
      assert.equal(url.hostname, 'callbacks-db', `${name} DATABASE_URL host`);
      assert.equal(url.pathname, `/${dbEnv.POSTGRES_DB}`, `${name} DATABASE_URL database`);
      assert.equal(url.username, dbEnv.POSTGRES_USER, `${name} DATABASE_URL user`);
      assert.equal(services[name].depends_on?.['callbacks-db']?.condition, 'service_healthy', `${name} waits for its database`);
      assert.equal(services[name].depends_on?.['temporal-namespace']?.condition, 'service_completed_successfully', `${name} waits for the namespace`);
    }
  });

  it('shares common env through the x-callbacks-env anchor and requires CALLBACKS_API_KEY', () => {
    assert.ok(doc['x-callbacks-env'], 'x-callbacks-env block');
    assert.match(raw, /<<:\s*\*callbacks-env/);
    for (const name of ['api', 'worker']) {
      const env = envOf(services[name]);
      // Production mode: the deployment refuses to start without keys, like the service itself.
      for (const key of ['CALLBACKS_API_KEY', 'CALLBACKS_MASTER_KEY', 'CALLBACKS_PAYLOAD_KEY']) {
        assert.match(env[key] ?? '', new RegExp(`^\\$\\{${key}:\\?.+\\}$`), `${name} ${key}`);
      }
      assert.equal(env.NODE_ENV, 'production', `${name} NODE_ENV`);
      for (const key of ['CALLBACKS_ALLOW_PRIVATE_TARGETS', 'CALLBACKS_ALLOW_HTTP', 'TEMPORAL_NAMESPACE']) {
        assert.ok(key in env, `${name} ${key}`);
      }
    }
  });
});

describe('Dockerfile', () => {
  const file = path.join(repoRoot, 'Dockerfile');

  it('exists', () => {
    assert.ok(existsSync(file), 'Dockerfile missing');
  });

  it('uses a node:20 base, installs with npm ci and runs as a non-root user', () => {
    const instructions = dockerInstructions(readFileSync(file, 'utf8'));
    const froms = instructions.filter((i) => i.op === 'FROM');
    assert.ok(froms.length >= 2, 'multi-stage build expected');
    const stageNames = new Set<string>();
    for (const from of froms) {
      const [image, as, alias] = from.args.split(' ');
      assert.ok(/^node:20([-.]|$)/.test(image) || stageNames.has(image), `base image ${image}`);
      if (as?.toUpperCase() === 'AS' && alias) stageNames.add(alias);
    }
    const lastFrom = instructions.lastIndexOf(froms[froms.length - 1]);
    assert.match(froms[froms.length - 1].args, /^node:20([-.]|\s|$)/, 'runtime stage on node:20');

    assert.ok(
      instructions.some((i) => i.op === 'RUN' && /(^|[\s;&|])npm ci(\s|$)/.test(i.args)),
      'RUN npm ci expected',
    );

    const users = instructions.slice(lastFrom).filter((i) => i.op === 'USER');
    assert.ok(users.length > 0, 'final stage must switch USER');
    const user = users[users.length - 1].args.split(':')[0];
    assert.ok(!['root', '0'].includes(user), `final USER is ${user}`);
  });
});

describe('.dockerignore', () => {
  it('keeps node_modules, local data, build output and .git out of the context', () => {
    const file = path.join(repoRoot, '.dockerignore');
    assert.ok(existsSync(file), '.dockerignore missing');
    const entries = readFileSync(file, 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim().replace(/^\/+|\/+$/g, ''))
      .filter((l) => l && !l.startsWith('#'));
    for (const entry of ['node_modules', '.data', 'dist', '.git', 'bench/results']) {
      assert.ok(entries.includes(entry), `.dockerignore lacks ${entry}`);
    }
  });
});
