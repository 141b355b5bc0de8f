// Test world for the controls API: two organisations, a user in every role in each, and small
// request helpers. Each test file builds its own world, so files run in parallel safely.
import { ROLES, type Role } from '@sertantai/core';
import type { TestApp } from '../helpers/app.ts';
import {
  bearer,
  buildOrganization,
  buildUser,
  type TestOrganization,
  type TestUser,
} from '../helpers/factories.ts';

export type Tenant = { org: TestOrganization; users: Record<Role, TestUser> };

export async function buildTenant(t: TestApp): Promise<Tenant> {
  const org = await buildOrganization(t.db);
  const users = {} as Record<Role, TestUser>;
  for (const role of ROLES) users[role] = await buildUser(t.db, t.config, org, role);
  return { org, users };
}

/** A parsed JSON answer: tests read it freely and assert on what they read. */
// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the assertions that read them
export type Json = any;

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

/** One request as `user`; returns status and parsed body. */
export async function call(
  t: TestApp,
  user: TestUser | undefined,
  method: Method,
  url: string,
  body?: unknown,
) {
  const response = await t.app.inject({
    method,
    url,
    headers: user ? bearer(user) : {},
    ...(body === undefined ? {} : { payload: body as object }),
  });
  let json: Json;
  try {
    json = response.json();
  } catch {
    json = undefined;
  }
  return { status: response.statusCode, body: json, raw: response };
}

/** Creates a provider as the tenant's admin. */
export async function provider(t: TestApp, tenant: Tenant, fields: Record<string, unknown> = {}) {
  const res = await call(t, tenant.users.admin, 'POST', '/api/providers', {
    name: `Provider ${Math.random().toString(36).slice(2, 10)}`,
    provider_type: 'internal',
    ...fields,
  });
  if (res.status !== 201) throw new Error(`provider: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data as { id: string; name: string };
}

export async function link(t: TestApp, tenant: Tenant, from: string, to: string, weight: number) {
  const res = await call(t, tenant.users.admin, 'POST', '/api/provider-links', {
    from_provider_id: from,
    to_provider_id: to,
    relationship_type: 'contracts',
    path_weight: weight,
  });
  if (res.status !== 201) throw new Error(`link: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data as { id: string };
}

export async function control(t: TestApp, tenant: Tenant, fields: Record<string, unknown> = {}) {
  const res = await call(t, tenant.users.admin, 'POST', '/api/controls', {
    name: `Control ${Math.random().toString(36).slice(2, 10)}`,
    control_type: 'physical',
    functional_range: 'narrow',
    ...fields,
  });
  if (res.status !== 201) throw new Error(`control: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data as Record<string, Json> & { id: string };
}

export async function touch(
  t: TestApp,
  user: TestUser,
  controlId: string,
  fields: Record<string, unknown> = {},
) {
  const res = await call(t, user, 'POST', `/api/controls/${controlId}/interactions`, {
    interaction_type: 'use',
    ...fields,
  });
  if (res.status !== 201) throw new Error(`touch: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { data: Record<string, Json>; control: Record<string, Json>; txid: number };
}
