// Every metric the alert rules and the Grafana dashboard name is one the server really exports:
// a real app (all features, built-in sync engine) gets some traffic — registration, logins good
// and bad, a refresh, API reads, a sync shape — and its /metrics is scraped. Histograms count
// with their _bucket/_sum/_count series.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { alertsOf, metricNames, OPS_DIR, readRules } from '../../../scripts/ops/rules.ts';
import { auth, freshIp, login, refresh, register } from '../auth/helpers.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

/**
 * Metrics added by branches not yet merged into main (issue 10 tenancy limits: `admission`).
 * The lead removes each name once its branch lands.
 */

/** Series Prometheus makes itself, not the app. */
const FROM_PROMETHEUS = new Set(['up']);

let t: TestApp;
let exported: Set<string>;

beforeAll(async () => {
  t = await createTestApp();
  const r = await register(t.app);
  await login(t.app, r.email, 'not the password at all');
  await refresh(t.app, r.refreshToken, freshIp());
  await t.app.inject({ method: 'GET', url: '/api/controls', headers: auth(r.accessToken) });
  await t.app.inject({ method: 'GET', url: '/api/controls' }); // no token
  const shape = await t.app.inject({
    method: 'GET',
    url: '/api/electric/sync?table=controls&offset=-1',
    headers: auth(r.accessToken),
  });
  expect(shape.statusCode).toBe(200);
  exported = exportedNames((await t.app.inject({ method: 'GET', url: '/metrics' })).body);
});
afterAll(() => t.close());

function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (!name) continue;
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    else if (type === 'summary') for (const suffix of ['', '_sum', '_count']) names.add(name + suffix);
    else names.add(name);
  }
  return names;
}

function unknown(names: string[]): string[] {
  return names.filter((name) => !exported.has(name) && !FROM_PROMETHEUS.has(name));
}

it('the alert rules name only exported metrics', () => {
  const used = alertsOf(readRules()).flatMap((rule) => metricNames(rule.expr));
  expect(used.length).toBeGreaterThan(20);
  expect(unknown(used)).toEqual([]);
});

it('the dashboard names only exported metrics, in one row per area', () => {
  const dashboard = JSON.parse(readFileSync(path.join(OPS_DIR, 'grafana/sertantai.json'), 'utf8')) as {
    panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }> }>;
  };
  const rows = dashboard.panels.filter((panel) => panel.type === 'row').map((panel) => panel.title);
  expect(rows).toEqual(['Requests', 'Auth', 'Sync', 'Database', 'Tenancy limits']);
  const used = dashboard.panels.flatMap((panel) => (panel.targets ?? []).flatMap((t) => metricNames(t.expr)));
  expect(used.length).toBeGreaterThan(30);
  expect(unknown(used)).toEqual([]);
});

it('reads metric names out of PromQL', () => {
  expect(
    metricNames(
      'histogram_quantile(0.95, sum by (le, route) (rate(http_request_duration_seconds_bucket{route!~"/a|b"}[5m]))) > 1e-3',
    ),
  ).toEqual(['http_request_duration_seconds_bucket']);
  expect(metricNames('a_total / on (pool) group_left b offset 5m or max without (instance) (c)')).toEqual([
    'a_total',
    'b',
    'c',
  ]);
});
