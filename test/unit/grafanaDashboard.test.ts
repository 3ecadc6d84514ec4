import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createMetrics, PREFIX } from '../../src/metrics/registry';

/**
 * The Grafana dashboard in docs/grafana/ against the registry the service exports: every metric a
 * query names is one the service serves, and every metric of the service has a panel. A renamed
 * metric fails here, not on an operator's empty graph.
 */

const DASHBOARD = path.resolve(__dirname, '../../docs/grafana/callback-events.json');

/** Words of PromQL that are not metric names where they stand (functions are told apart by their parenthesis). */
const KEYWORDS = new Set(['and', 'or', 'unless', 'offset', 'bool', 'on', 'ignoring', 'group_left', 'group_right', 'by', 'without']);

/** The metric names a PromQL expression reads. */
export function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '');
  const names = [...bare.matchAll(/(?<![a-zA-Z0-9_:.$])[a-zA-Z_:][a-zA-Z0-9_:]*(?!\s*\(|[a-zA-Z0-9_:])/g)].map((m) => m[0]);
  return names.filter((n) => !KEYWORDS.has(n));
}

/** The series names the registry exposes: a histogram's as _bucket, _sum and _count, a summary's with _sum and _count. */
function exportedNames(): Set<string> {
  const { registry } = createMetrics({ deliveriesNow: async () => 0 });
  const names = new Set<string>();
  for (const metric of registry.getMetricsAsArray()) {
    const { name, type } = metric as unknown as { name: string; type: string };
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    else if (type === 'summary') for (const suffix of ['', '_sum', '_count']) names.add(name + suffix);
    else names.add(name);
  }
  return names;
}

interface Dashboard {
  templating: { list: Array<{ query?: { query?: string } | string }> };
  panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
}

function queriesOf(dashboard: Dashboard): Array<{ where: string; names: string[] }> {
  const out: Array<{ where: string; names: string[] }> = [];
  for (const panel of dashboard.panels) {
    for (const target of panel.targets ?? []) out.push({ where: panel.title, names: metricNamesIn(target.expr) });
  }
  for (const variable of dashboard.templating.list) {
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    const metric = query && /^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,/.exec(query)?.[1];
    if (metric) out.push({ where: `variable ${query}`, names: [metric] });
  }
  return out;
}

describe('the Grafana dashboard', () => {
  const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  const exported = exportedNames();

  it('reads metric names out of PromQL', () => {
    assert.deepEqual(
      metricNamesIn('histogram_quantile(0.99, sum by (le, outcome) (rate(a_seconds_bucket{tenant=~"$tenant", x="y{z}"}[$__rate_interval])))'),
      ['a_seconds_bucket'],
    );
    assert.deepEqual(metricNamesIn('max by (status) (g) / ignoring (status) group_left c_total offset 5m'), ['g', 'c_total']);
  });

  it('queries only metrics the service exports', () => {
    const queries = queriesOf(dashboard);
    assert.ok(queries.length >= 10, `${queries.length} queries`);
    for (const { where, names } of queries) {
      assert.ok(names.length > 0, `${where}: a query without a metric`);
      for (const name of names) assert.ok(exported.has(name), `${where}: ${name} is not a metric the service exports`);
    }
  });

  it('has a panel for every metric of the service', () => {
    const used = new Set(queriesOf(dashboard).flatMap((q) => q.names));
    const ours = [...exported].filter((n) => n.startsWith(PREFIX));
    const families = new Set(ours.map((n) => n.replace(/_(bucket|sum|count)$/, '')));
    for (const family of families) {
      assert.ok([...used].some((n) => n === family || n.startsWith(`${family}_`)), `no panel reads ${family}`);
    }
  });
});
