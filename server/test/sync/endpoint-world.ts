// Test world for GET /api/electric/sync in built-in mode: a listening app, two organisations with
// a few controls each (Org A: 'Fire door', 'Fire alarm', 'Sprinkler', 'Badge reader'; Org B:
// 'Fire door B', 'Gate B'), a user in each, and helpers for the official client and raw fetch.
// Each test file builds its own world, so files run in parallel safely.
import { type Row, Shape, ShapeStream } from '@electric-sql/client';
import { signAccessToken } from '../../src/auth/tokens.ts';
import type { Config } from '../../src/config.ts';
import { SYNC_PATH } from '../../src/sync/endpoint.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import {
  buildOrganization,
  buildUser,
  insertRow,
  type TestOrganization,
  type TestUser,
} from '../helpers/factories.ts';

export type EndpointWorld = {
  t: TestApp;
  base: string;
  orgA: TestOrganization;
  orgB: TestOrganization;
  alice: TestUser;
  bob: TestUser;
};

export const control = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  control_type: 'technical',
  functional_range: 'narrow',
  ...extra,
});

/** `env` adds settings (e.g. the sync limits) to the test configuration. */
export async function buildEndpointWorld(env: Record<string, string> = {}): Promise<EndpointWorld> {
  const t = await createTestApp({ env });
  const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  const orgA = await buildOrganization(t.db, 'Org A');
  const orgB = await buildOrganization(t.db, 'Org B');
  const alice = await buildUser(t.db, t.config, orgA);
  const bob = await buildUser(t.db, t.config, orgB);
  for (const name of ['Fire door', 'Fire alarm', 'Sprinkler'])
    await insertRow(t.db, orgA.id, 'controls', control(name));
  await insertRow(t.db, orgA.id, 'controls', control('Badge reader', { failure_probability: 0.9 }));
  for (const name of ['Fire door B', 'Gate B']) await insertRow(t.db, orgB.id, 'controls', control(name));
  // A hash to look for: users rows must never carry it.
  await t.db.ownerPool.query(`UPDATE users SET password_hash = 'argon2id$secret' WHERE id = ANY($1)`, [
    [alice.id, bob.id],
  ]);
  return { t, base, orgA, orgB, alice, bob };
}

/** The official client on one shape, as `user`; stop() aborts it. */
export function shapeStream(base: string, user: { token: string }, params: Record<string, string>) {
  const controller = new AbortController();
  const s = new ShapeStream<Row>({
    url: `${base}${SYNC_PATH}`,
    params: params as never,
    headers: { Authorization: `Bearer ${user.token}` },
    signal: controller.signal,
  });
  return { stream: s, shape: new Shape(s), stop: () => controller.abort() };
}

/** The rows of a shape once the official client is up to date. */
export async function shapeRows(
  base: string,
  user: { token: string },
  params: Record<string, string>,
): Promise<Row[]> {
  const { shape, stop } = shapeStream(base, user, params);
  try {
    return await shape.rows;
  } finally {
    stop();
  }
}

/** The rows of a non-live response body (snapshot chunk). */
export async function bodyRows(response: Response): Promise<Record<string, string | null>[]> {
  const messages = (await response.json()) as { value?: Record<string, string | null> }[];
  return messages.filter((m) => m.value).map((m) => m.value!);
}

/** A correctly signed access token for `user` that expired an hour ago. */
export async function expiredToken(config: Config, user: TestUser): Promise<string> {
  const { token } = await signAccessToken(
    {
      secret: config.tokenSecret,
      issuer: config.tokenIssuer,
      audience: config.tokenAudience,
      accessTokenTtl: 60,
    },
    { userId: user.id, orgId: user.orgId, role: user.role, sessionId: user.sessionId },
    Math.floor(Date.now() / 1000) - 3600,
  );
  return token;
}
