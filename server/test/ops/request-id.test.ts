// X-Request-Id: a client's id is kept only in a safe form (1–64 of [A-Za-z0-9._-]); anything
// else is replaced by a fresh UUID, and the audit trail stores the id the answer carries (the
// accepted one), never the raw header.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorld, sql, type World } from '../domain/world.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer } from '../helpers/factories.ts';

let t: TestApp;
let w: World;
beforeAll(async () => {
  t = await createTestApp();
  w = await buildWorld(t);
});
afterAll(() => t?.close());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Creates a control sending `requestId`; the answer's id and the audit row's. */
async function createWithRequestId(requestId: string) {
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/controls',
    headers: { ...bearer(w.admin), 'x-request-id': requestId },
    payload: { name: 'Door', control_type: 'physical', functional_range: 'narrow' },
  });
  expect(response.statusCode).toBe(201);
  const [row] = await sql<{ request_id: string | null }>(
    t,
    w.orgId,
    `SELECT request_id FROM audit_log WHERE entity_id = $1 AND action = 'insert'`,
    [response.json().data.id],
  );
  return { answered: response.headers['x-request-id'] as string, audited: row?.request_id };
}

describe('X-Request-Id', () => {
  it.each(['trace-123', 'a.b_c-D', 'x'.repeat(64)])('keeps the safe id %s', async (given) => {
    expect(await createWithRequestId(given)).toEqual({ answered: given, audited: given });
  });

  it.each([
    ['too long', 'x'.repeat(65)],
    ['spaces', 'admin did it'],
    ['markup', '<script>alert(1)</script>'],
    ['quotes and semicolons', "'; DROP TABLE audit_log; --"],
    ['a path', '../../etc/passwd'],
    ['non-ASCII', 'ré-quest'],
    ['a list of ids', 'one, two'],
    ['a slash', 'a/b'],
  ])('replaces an id with %s by a fresh one, and audits the fresh one', async (_label, given) => {
    const { answered, audited } = await createWithRequestId(given);
    expect(answered).toMatch(UUID);
    expect(audited).toBe(answered);
  });

  it('replaces an id sent twice', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/health',
      headers: { 'x-request-id': ['first', 'second'] },
    });
    expect(response.headers['x-request-id']).toMatch(UUID);
  });
});
