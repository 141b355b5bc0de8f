// Test world for the bad-input tables: an app, one tenant with a control, two providers and a
// link between them, and the check every refused request must pass (a 400 in the one error
// shape, the control unchanged). Each test file builds its own world.
import { expect } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { buildTenant, call, control, link, provider, type Tenant } from './world.ts';

export type BadInputWorld = {
  t: TestApp;
  a: Tenant;
  ids: { control: string; provider: string; other: string; link: string };
};

export async function buildBadInputWorld(): Promise<BadInputWorld> {
  const t = await createTestApp();
  const a = await buildTenant(t);
  const p = await provider(t, a);
  const other = await provider(t, a);
  const ids = {
    control: (await control(t, a, { name: 'Untouchable' })).id,
    provider: p.id,
    other: other.id,
    link: (await link(t, a, p.id, other.id, 1)).id,
  };
  return { t, a, ids };
}

export const huge = 'x'.repeat(10_000);
/** {"a":{"a":…1…}} nested `depth` levels, built without recursion. */
export const nested = (depth: number) => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value as Record<string, unknown>;
};
export const validControl = { name: 'Valid', control_type: 'physical', functional_range: 'narrow' };

export type Case = [
  label: string,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: () => string,
  body?: () => unknown,
];

/** The request as the owner is a 400 in the one error shape, and the tenant's control is unchanged. */
export async function expectRefused(
  { t, a, ids }: BadInputWorld,
  method: Case[1],
  url: string,
  body: unknown,
): Promise<void> {
  const before = await call(t, a.users.viewer, 'GET', `/api/controls/${ids.control}`);
  const res = await call(t, a.users.owner, method, url, body);
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.body).toEqual({
    error: expect.any(String),
    code: 'VALIDATION_ERROR',
    details: expect.any(Object),
  });
  const after = await call(t, a.users.viewer, 'GET', `/api/controls/${ids.control}`);
  expect(after.body.data).toEqual(before.body.data);
}
