// The plain list's answer written from PostgreSQL's text of each value (controls/list-json.ts)
// is byte for byte the answer the old path gives (readControlList's rows through the route's
// response serializer): random controls with nulls, unicode, quotes, backslashes, control
// characters, numerics with many digits and at the edges of a double, timestamps with
// microseconds, every quadrant with the default strategies (so rows carry attention reasons),
// read page by page in every sort, by cursor and by offset. Rows with timestamps the writer does
// not take by position (before year 1000, BC, another time zone) fall back to the old path.
import { randomInt, randomUUID } from 'node:crypto';
import { QUADRANTS } from '@sertantai/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertDefaultStrategies } from '../../src/auth/default-strategies.ts';
import { ManualClock } from '../../src/clock.ts';
import { readControlList } from '../../src/controls/list.ts';
import { readControlListJson } from '../../src/controls/list-json.ts';
import { CONTROL_SORTS, controlListAnswer, listControlsQuery } from '../../src/controls/schema.ts';
import { tenantTransaction } from '../../src/db/tenant.ts';
import { serializerCompiler } from '../../src/http/serializer.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer } from '../helpers/factories.ts';
import { buildTenant, type Tenant } from './world.ts';

const clock = new ManualClock(new Date('2026-05-01T08:00:00Z'));
let t: TestApp;
let exact: Tenant;
let inexact: Tenant;

/** The route's serializer, as the old path answered with it. */
const serialize = serializerCompiler({
  schema: controlListAnswer,
  method: 'GET',
  url: '/api/controls',
  httpStatus: '200',
} as never) as (data: unknown) => string;

const pick = <T>(values: readonly T[]): T => values[randomInt(values.length)]!;
const TEXT_PIECES = [
  'a',
  'Z',
  ' ',
  '"',
  '\\',
  '/',
  '\n',
  '\t',
  '\r',
  '\b',
  '\f',
  '\u0001',
  '\u001f',
  '\u007f',
  'é',
  'ß',
  '中文',
  '😀',
  '\u2028',
  '\u2029',
  '\ufeff',
  "'",
  '<',
  '&',
  '%',
  '_',
  '0',
  '{',
  '}',
];
const randomText = (length: number) => Array.from({ length }, () => pick(TEXT_PIECES)).join('');

/** A random timestamptz text with microseconds, years 1000–9999. */
function timestamp(): string {
  const year = pick([1000, 1970, 1999, 2026, 2026, 2026, 9999]);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${year}-${pad(1 + randomInt(12))}-${pad(1 + randomInt(28))} ${pad(randomInt(24))}:${pad(randomInt(60))}:${pad(randomInt(60))}.${pad(randomInt(1_000_000), 6)}+00`;
}

/** A numeric as the app writes one (String of a JS number), or an edge text, in [1e-4, 1e15). */
function numeric(max: number): string | null {
  return pick<() => string | null>([
    () => null,
    () => String(Math.random() * max),
    () => String(Math.round(Math.random() * max * 100) / 100),
    () => pick(['0', '0.0', '1', '1.000', '0.50', '0.0001', '0.1', '0.12345678901234567890123', '0.3']),
    () =>
      max > 1 ? pick(['999999999999999', '123456789012345.5', '42', '1000000']) : '0.999999999999999999',
    // Where JS writes a double with an exponent, and a numeric past a double's digits.
    () =>
      max > 1
        ? pick(['0.0000001', '12345678901234567890', '1e21', '0.30000000000000004'])
        : pick(['0.0000001', '0.00005', '0.30000000000000004', '0.1234567890123456789']),
  ])();
}

async function insertControls(tenant: Tenant, count: number, values: () => Record<string, unknown>) {
  await tenantTransaction(t.db.appPool, { orgId: tenant.org.id }, async (tx) => {
    await insertDefaultStrategies(tx, tenant.org.id);
    for (let i = 0; i < count; i++) {
      const row = { id: randomUUID(), organization_id: tenant.org.id, ...values() };
      const names = Object.keys(row);
      await tx.query(
        `INSERT INTO controls (${names.join(', ')}) VALUES (${names.map((_, n) => `$${n + 1}`).join(', ')})`,
        Object.values(row),
      );
    }
  });
}

const randomControl = () => ({
  name: `N${randomText(randomInt(30))}`,
  description: pick([null, '', randomText(randomInt(80))]),
  control_type: pick(['physical', 'procedural', 'technical']),
  functional_range: pick(['narrow', 'wide']),
  current_quadrant: pick(QUADRANTS),
  last_touched_at: pick([null, timestamp(), '2026-04-30 08:00:00+00', '2025-01-01 00:00:00.999999+00']),
  provider_distance: numeric(1000),
  failure_probability: numeric(1),
  requires_refresher_training: pick([true, false]),
  created_at: timestamp(),
});

/**
 * What the other attention rules read: competencies due soon for specialist controls, breached
 * SLAs (with a quote in the service name) for service ones, inspections of strange ones.
 */
async function attentionInputsFor(tenant: Tenant) {
  await tenantTransaction(t.db.appPool, { orgId: tenant.org.id }, async (tx) => {
    const provider = await tx.query(
      `INSERT INTO control_providers (organization_id, name, provider_type) VALUES ($1, 'Lift Co', 'vendor') RETURNING id`,
      [tenant.org.id],
    );
    const org = tenant.org.id;
    await tx.query(
      `INSERT INTO competency_records (organization_id, user_id, control_id, competency_level, next_refresher_due, certification_expires)
       SELECT $1, $2, id, 'competent', DATE '2026-05-03' + (random() * 5)::int, NULL
         FROM controls WHERE current_quadrant = 'specialist' AND random() < 0.7`,
      [org, tenant.users.member.id],
    );
    await tx.query(
      `INSERT INTO service_level_agreements (organization_id, control_id, provider_id, service_name, uptime_percentage, performance_current, start_date)
       SELECT $1, id, $2, 'Lift "A" service', 99.9, 97.25 + (random() * 2)::int, DATE '2026-01-01'
         FROM controls WHERE current_quadrant = 'service' AND random() < 0.7`,
      [org, provider.rows[0].id],
    );
    await tx.query(
      `INSERT INTO control_interactions (organization_id, control_id, interaction_type, occurred_at)
       SELECT $1, id, 'inspect', TIMESTAMPTZ '2026-01-01 00:00:00+00' + random() * interval '120 days'
         FROM controls WHERE current_quadrant = 'strange' AND random() < 0.7`,
      [org],
    );
  });
}

beforeAll(async () => {
  t = await createTestApp({ clock });
  exact = await buildTenant(t);
  inexact = await buildTenant(t);
  await insertControls(exact, 130, randomControl);
  await attentionInputsFor(exact);
  // Timestamps the writer does not take by position: every page of this tenant takes the old path.
  await insertControls(inexact, 6, () => ({
    ...randomControl(),
    last_touched_at: pick(['0999-12-31 23:59:59.123456+00', '0001-06-01 12:00:00+00 BC']),
  }));
});
afterAll(() => t.close());

/** The route's body and the old path's body for one query, as text. */
async function bothAnswers(tenant: Tenant, url: string) {
  const response = await t.app.inject({ method: 'GET', url, headers: bearer(tenant.users.viewer) });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
  const query = listControlsQuery.parse(Object.fromEntries(new URL(url, 'http://x').searchParams));
  const page = await readControlList(t.db.appPool, { orgId: tenant.org.id }, query, clock.now());
  const answer = await readControlListJson(t.db.appPool, { orgId: tenant.org.id }, query, clock.now());
  return { route: response.body, old: serialize({ data: page.rows, next_cursor: page.nextCursor }), answer };
}

describe("the plain list written from PostgreSQL's text", () => {
  it('is byte for byte the old answer, page by page, in every sort, by cursor', async () => {
    let pages = 0;
    let reasons = 0;
    const codes = new Set<string>();
    for (const sort of CONTROL_SORTS) {
      let cursor: string | null = null;
      do {
        const url: string = `/api/controls?sort=${sort}&limit=${pick([7, 50])}${cursor ? `&cursor=${cursor}` : ''}`;
        const { route, old, answer } = await bothAnswers(exact, url);
        expect('text' in answer).toBe(true);
        expect(route).toBe(old);
        const body = JSON.parse(route);
        reasons += body.data.filter((row: { attention: unknown[] }) => row.attention.length > 0).length;
        for (const row of body.data as { attention: { code: string }[] }[])
          for (const reason of row.attention) codes.add(reason.code);
        cursor = body.next_cursor;
        pages++;
      } while (cursor);
    }
    expect(pages).toBeGreaterThan(20);
    expect(reasons).toBeGreaterThan(0);
    // Every rule's reason was written at least once (each reads its own inputs).
    for (const code of ['overdue', 'refresher_due', 'sla_breached', 'audit_overdue'])
      expect(codes.has(code), code).toBe(true);
  });

  it('is byte for byte the old answer by offset and with filters', async () => {
    for (const url of [
      '/api/controls?offset=40&limit=30&sort=-updated_at',
      '/api/controls?quadrant=service',
      '/api/controls?quadrant=specialist&sort=-provider_distance',
      '/api/controls?control_type=technical&sort=last_touched_at',
      `/api/controls?q=${encodeURIComponent('"')}`,
      `/api/controls?q=${encodeURIComponent('\\')}`,
      '/api/controls?q=nothing-matches-this',
    ]) {
      const { route, old, answer } = await bothAnswers(exact, url);
      expect('text' in answer).toBe(true);
      expect(route).toBe(old);
    }
  });

  it('a page with a value PostgreSQL cannot write as JS does takes the old path, same answer', async () => {
    const { route, old, answer } = await bothAnswers(inexact, '/api/controls');
    expect('page' in answer).toBe(true);
    expect(route).toBe(old);
  });

  it('on a connection in another time zone takes the old path, same answer', async () => {
    // A server (or pooler) whose TimeZone is not UTC sends timestamps with their offset, which
    // the writer does not take by position; pg's parser reads them, as on the old path.
    const elsewhere = new pg.Pool({
      connectionString: t.db.appUrl,
      max: 1,
      options: '-c TimeZone=Asia/Kolkata',
      pipeline: true,
    } as pg.PoolConfig);
    try {
      const query = listControlsQuery.parse({ sort: '-updated_at' });
      const answer = await readControlListJson(elsewhere, { orgId: exact.org.id }, query, clock.now());
      const page = await readControlList(t.db.appPool, { orgId: exact.org.id }, query, clock.now());
      expect('page' in answer).toBe(true);
      // The rows, not the cursor: its sort key is the timestamp's text in the session's zone.
      expect(serialize({ data: page.rows, next_cursor: null })).toBe(
        'page' in answer && serialize({ data: answer.page.rows, next_cursor: null }),
      );
    } finally {
      await elsewhere.end();
    }
  });

  it('the attention filter keeps the old path', async () => {
    const { route, old, answer } = await bothAnswers(exact, '/api/controls?attention=true');
    expect('page' in answer).toBe(true);
    expect(route).toBe(old);
  });
});
