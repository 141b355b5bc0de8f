// Subset snapshots and changes-only logs through GET/POST /api/electric/sync (issue 15, item 3):
// the official client's requestSnapshot/fetchSnapshot in GET and POST, log=changes_only starting
// empty and then following changes, and the isolation attacks: no subset where, params or
// order_by can reach another organisation's rows, and anything outside the grammar is a 400.
import { type ChangeMessage, type Row, ShapeStream } from '@electric-sql/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNC_PATH } from '../../src/sync/endpoint.ts';
import { insertRow } from '../helpers/factories.ts';
import { buildEndpointWorld, control, type EndpointWorld } from './endpoint-world.ts';

let w: EndpointWorld;
let bobControlId: string;
beforeAll(async () => {
  w = await buildEndpointWorld();
  bobControlId = await insertRow(w.t.db, w.orgB.id, 'controls', control('Secret B'));
});
afterAll(() => w?.t.close());

type SubsetBody = {
  metadata: Record<string, unknown>;
  data: Array<{ key: string; value: Row; headers: Row }>;
};

const subsetUrl = (query: Record<string, string>) =>
  `${w.base}${SYNC_PATH}?${new URLSearchParams({ table: 'controls', offset: 'now', log: 'changes_only', ...query })}`;

async function getSubset(token: string, subset: Record<string, string>, query: Record<string, string> = {}) {
  const response = await fetch(subsetUrl({ ...query, ...subset }), {
    headers: { authorization: `Bearer ${token}` },
  });
  return { response, body: (await response.json()) as SubsetBody & { errors?: Record<string, string[]> } };
}

async function postSubset(token: string, body: unknown, query: Record<string, string> = {}) {
  const response = await fetch(subsetUrl(query), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { response, body: (await response.json()) as SubsetBody & { errors?: Record<string, string[]> } };
}

const names = (body: SubsetBody) => body.data.map((m) => m.value.name);

function clientStream(token: string, subsetMethod: 'GET' | 'POST') {
  const controller = new AbortController();
  const stream = new ShapeStream<Row>({
    url: `${w.base}${SYNC_PATH}`,
    params: { table: 'controls' },
    headers: { Authorization: `Bearer ${token}` },
    log: 'changes_only',
    offset: 'now',
    subsetMethod,
    signal: controller.signal,
  });
  return { stream, stop: () => controller.abort() };
}

describe('subset snapshots with the official client', () => {
  for (const method of ['GET', 'POST'] as const) {
    it(`fetchSnapshot (${method}) returns the ordered, paged rows of the caller's organisation only`, async () => {
      const { stream, stop } = clientStream(w.alice.token, method);
      try {
        const page = await stream.fetchSnapshot({
          where: `name LIKE $1`,
          params: { '1': 'F%' },
          orderBy: 'name DESC',
          limit: 1,
          offset: 1,
        });
        expect(page.data.map((m) => m.value.name)).toEqual(['Fire alarm']);
        expect(page.metadata.snapshot_mark).toEqual(expect.any(Number));
        expect(page.metadata.database_lsn).toMatch(/^\d+$/);
        const all = await stream.fetchSnapshot({ orderBy: 'name', limit: 100 });
        expect(all.data.map((m) => m.value.name)).toEqual([
          'Badge reader',
          'Fire alarm',
          'Fire door',
          'Sprinkler',
        ]);
      } finally {
        stop();
      }
    });
  }

  it('requestSnapshot injects the subset into a changes-only stream, which then follows live changes', async () => {
    const { stream, stop } = clientStream(w.alice.token, 'GET');
    const seen: ChangeMessage<Row>[] = [];
    stream.subscribe((batch) => {
      for (const m of batch) if ('key' in m) seen.push(m as ChangeMessage<Row>);
    });
    try {
      await stream.requestSnapshot({ where: `name = 'Sprinkler'` });
      expect(seen.map((m) => m.value.name)).toEqual(['Sprinkler']);
      await insertRow(w.t.db, w.orgA.id, 'controls', control('Subset live'));
      await insertRow(w.t.db, w.orgB.id, 'controls', control('Subset live B'));
      await expect.poll(() => seen.map((m) => m.value.name), { timeout: 15_000 }).toContain('Subset live');
      expect(
        seen.every((m) => m.value.organization_id === undefined || m.value.organization_id === w.orgA.id),
      ).toBe(true);
      expect(seen.map((m) => m.value.name)).not.toContain('Subset live B');
    } finally {
      stop();
    }
  });
});

describe('log=changes_only', () => {
  it('starts with no snapshot rows and another handle than the full log', async () => {
    const headers = { authorization: `Bearer ${w.alice.token}` };
    const full = await fetch(`${w.base}${SYNC_PATH}?table=controls&offset=-1`, { headers });
    const fullRows = ((await full.json()) as Array<{ key?: string }>).filter((m) => m.key);
    expect(fullRows.length).toBeGreaterThan(0);
    const changes = await fetch(`${w.base}${SYNC_PATH}?table=controls&offset=-1&log=changes_only`, {
      headers,
    });
    expect(changes.status).toBe(200);
    const body = (await changes.json()) as Array<{ key?: string; headers: { control?: string } }>;
    expect(body.filter((m) => m.key)).toEqual([]);
    expect(body.at(-1)?.headers.control).toBe('snapshot-end');
    expect(changes.headers.get('electric-handle')).not.toBe(full.headers.get('electric-handle'));
    const bad = await fetch(`${w.base}${SYNC_PATH}?table=controls&offset=-1&log=partial`, { headers });
    expect(bad.status).toBe(400);
  });
});

describe('subset isolation attacks', () => {
  it('never returns another organisation’s rows, whatever the subset where or params say', async () => {
    for (const subset of [
      { subset__where: `organization_id = '${w.orgB.id}'` },
      { subset__where: 'organization_id = $1', subset__params: JSON.stringify({ '1': w.orgB.id }) },
      { subset__where: `id = '${bobControlId}'` },
      { subset__where: 'id = $1', subset__params: JSON.stringify([bobControlId]) },
      { subset__where: `organization_id <> '${w.orgA.id}'` },
      { subset__where: `organization_id <> '${w.orgA.id}' OR true` },
      { subset__where: `name = 'Secret B' OR name IS NOT NULL` },
      { subset__where: 'true = true', subset__order_by: 'organization_id DESC', subset__limit: '50' },
      // $1 of the subset is its own first parameter, never the shape's organisation.
      {
        subset__where: 'organization_id = $1 OR organization_id <> $1',
        subset__params: JSON.stringify([w.orgB.id]),
      },
    ]) {
      const { response, body } = await getSubset(w.alice.token, subset as unknown as Record<string, string>);
      expect(response.status, JSON.stringify(subset)).toBe(200);
      for (const row of body.data) expect(row.value.organization_id).toBe(w.orgA.id);
      expect(names(body)).not.toContain('Secret B');
      // Wheres that match everything still return Org A's rows: the answer is not just empty.
      if (/IS NOT NULL|true = true|OR true/.test(subset.subset__where))
        expect(body.data.length).toBeGreaterThanOrEqual(4);
      const posted = await postSubset(w.alice.token, {
        where: subset.subset__where,
        params: subset.subset__params ? JSON.parse(subset.subset__params) : undefined,
        order_by: subset.subset__order_by,
        limit: subset.subset__limit ? Number(subset.subset__limit) : undefined,
      });
      expect(posted.response.status, JSON.stringify(subset)).toBe(200);
      for (const row of posted.body.data) expect(row.value.organization_id).toBe(w.orgA.id);
    }
  });

  it('refuses anything outside the grammar with 400, in the query and in a POST body', async () => {
    for (const [subset, field] of [
      [{ subset__where: 'pg_sleep(1) IS NULL' }, 'subset__where'],
      [{ subset__where: `organization_id IN (SELECT organization_id FROM controls)` }, 'subset__where'],
      [{ subset__where: `current_setting('app.current_org_id') = 'x'` }, 'subset__where'],
      [{ subset__where: 'true; DELETE FROM controls' }, 'subset__where'],
      [{ subset__where: 'password_hash IS NULL' }, 'subset__where'],
      [{ subset__where: 'name = $1' }, 'subset__params'],
      [{ subset__where: 'name = $1', subset__params: '{not json' }, 'subset__params'],
      [{ subset__where: 'name = $1', subset__params: '{"1": {"a": 1}}' }, 'subset__params'],
      [{ subset__order_by: '(SELECT 1)' }, 'subset__order_by'],
      [{ subset__order_by: 'name; DROP TABLE controls' }, 'subset__order_by'],
      [{ subset__order_by: 'lower(name)' }, 'subset__order_by'],
      [{ subset__order_by: 'name COLLATE "C"' }, 'subset__order_by'],
      [{ subset__order_by: 'xmin' }, 'subset__order_by'],
      [{ subset__order_by: 'name,' }, 'subset__order_by'],
      [{ subset__order_by: 'name', subset__limit: '0' }, 'subset__limit'],
      [{ subset__order_by: 'name', subset__limit: '1 OR 1=1' }, 'subset__limit'],
      [{ subset__order_by: 'name', subset__offset: '-1' }, 'subset__offset'],
      [{ subset__limit: '10' }, 'subset__order_by'],
      [{ subset__where: `name LIKE '${'%a'.repeat(400)}'` }, 'subset__where'],
    ] as const) {
      const { response, body } = await getSubset(w.alice.token, subset as unknown as Record<string, string>);
      expect(response.status, JSON.stringify(subset)).toBe(400);
      expect(body.errors?.[field], JSON.stringify(subset)).toEqual(expect.any(Array));
    }
    const wrongBody = await postSubset(w.alice.token, ['where']);
    expect(wrongBody.response.status).toBe(400);
    const injected = await postSubset(w.alice.token, { where: 'name = $1', params: { '1; DROP': 'x' } });
    expect(injected.response.status).toBe(400);
    const users = await fetch(
      `${w.base}${SYNC_PATH}?table=users&offset=now&log=changes_only&subset__order_by=password_hash`,
      { headers: { authorization: `Bearer ${w.alice.token}` } },
    );
    expect(users.status).toBe(400);
  });

  it('needs a valid token and an allowed table like any shape request', async () => {
    const anonymous = await fetch(subsetUrl({ subset__where: 'true = true' }));
    expect(anonymous.status).toBe(401);
    const forbidden = await fetch(
      `${w.base}${SYNC_PATH}?table=sessions&offset=now&subset__where=true%20%3D%20true`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${w.alice.token}`, 'content-type': 'application/json' },
        body: '{}',
      },
    );
    expect(forbidden.status).toBe(403);
  });
});
