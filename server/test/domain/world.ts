// Fixtures for the domain tests: an organisation with a user in every role, and rows written
// straight through tenantTransaction (as the runtime role) so a test can set any state —
// a control last touched 200 days ago, an SLA below its uptime — without going through time.
import { randomUUID } from 'node:crypto';
import type { Quadrant, Role } from '@sertantai/core';
import { insertDefaultStrategies } from '../../src/auth/default-strategies.ts';
import { tenantTransaction } from '../../src/db/tenant.ts';
import type { TestApp } from '../helpers/app.ts';
import { bearer, buildOrganization, buildUser, type TestUser } from '../helpers/factories.ts';

export type World = { orgId: string } & Record<Role, TestUser>;

export async function buildWorld(t: TestApp, options: { strategies?: boolean } = {}): Promise<World> {
  const org = await buildOrganization(t.db);
  if (options.strategies !== false) {
    await tenantTransaction(t.db.appPool, { orgId: org.id }, (tx) => insertDefaultStrategies(tx, org.id));
  }
  const [owner, admin, member, viewer] = await Promise.all(
    (['owner', 'admin', 'member', 'viewer'] as const).map((role) => buildUser(t.db, t.config, org, role)),
  );
  return { orgId: org.id, owner: owner!, admin: admin!, member: member!, viewer: viewer! };
}

export const DAY = 86_400_000;
export const daysBefore = (now: Date, days: number) => new Date(now.getTime() - days * DAY);
export const isoDay = (date: Date) => date.toISOString().slice(0, 10);

export async function sql<T = Record<string, unknown>>(
  t: TestApp,
  orgId: string,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  return tenantTransaction(t.db.appPool, { orgId }, async (tx) => (await tx.query(text, params)).rows as T[]);
}

export async function insertProvider(
  t: TestApp,
  orgId: string,
  fields: { name?: string; is_user_themselves?: boolean; provider_type?: string } = {},
): Promise<string> {
  const [row] = await sql<{ id: string }>(
    t,
    orgId,
    `INSERT INTO control_providers (organization_id, name, provider_type, is_user_themselves)
     VALUES ($1, $2, $3, $4) RETURNING id`,
    [
      orgId,
      fields.name ?? `Provider ${randomUUID().slice(0, 8)}`,
      fields.provider_type ?? 'internal',
      fields.is_user_themselves ?? false,
    ],
  );
  return row!.id;
}

export type ControlFields = {
  name?: string;
  quadrant?: Quadrant;
  last_touched_at?: Date | null;
  provider_distance?: number | null;
  functional_range?: 'narrow' | 'wide';
  primary_provider_id?: string | null;
};

/** A control in a given state (quadrant and touch set directly, not derived). */
export async function insertControl(t: TestApp, orgId: string, fields: ControlFields = {}): Promise<string> {
  const [row] = await sql<{ id: string }>(
    t,
    orgId,
    `INSERT INTO controls (organization_id, name, control_type, functional_range, current_quadrant,
        last_touched_at, provider_distance, primary_provider_id)
     VALUES ($1, $2, 'physical', $3, $4, $5, $6, $7) RETURNING id`,
    [
      orgId,
      fields.name ?? `Control ${randomUUID().slice(0, 8)}`,
      fields.functional_range ?? 'narrow',
      fields.quadrant ?? 'self',
      fields.last_touched_at === undefined ? t.clock.now() : fields.last_touched_at,
      fields.provider_distance === undefined ? 1 : fields.provider_distance,
      fields.primary_provider_id ?? null,
    ],
  );
  return row!.id;
}

export async function insertInteraction(
  t: TestApp,
  orgId: string,
  controlId: string,
  fields: { type?: string; occurred_at?: Date; issues_found?: boolean } = {},
) {
  await sql(
    t,
    orgId,
    `INSERT INTO control_interactions (organization_id, control_id, interaction_type, occurred_at, issues_found)
     VALUES ($1, $2, $3, $4, $5)`,
    [
      orgId,
      controlId,
      fields.type ?? 'use',
      fields.occurred_at ?? t.clock.now(),
      fields.issues_found ?? false,
    ],
  );
}

/** inject() with a user's bearer token and a JSON body. */
export function call(
  t: TestApp,
  user: TestUser,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  payload?: unknown,
) {
  return t.app.inject({
    method,
    url,
    headers: bearer(user),
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}
