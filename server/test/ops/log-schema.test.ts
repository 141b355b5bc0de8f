// The log schema of docs/operations.md holds on the raw output of a real app: security events
// use only the documented `event` names, every line written for a request carries its reqId,
// and no line carries a password, a hash, a token, a cookie or the internal sync secret.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type App, buildApp, defineFeature } from '../../src/app.ts';
import { ManualClock } from '../../src/clock.ts';
import type { Database } from '../../src/db/database.ts';
import { tenantTransaction } from '../../src/db/tenant.ts';
import { allFeatures } from '../../src/features.ts';
import { authOf } from '../../src/http/request-auth.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { createMetrics } from '../../src/ops/metrics.ts';
import { engineSecret } from '../../src/sync/engine/index.ts';
import { auth, freshIp, login, refresh, register } from '../auth/helpers.ts';
import { openTestDatabase, testConfig } from '../helpers/app.ts';

type Line = Record<string, unknown>;
const lines: Line[] = [];
const raw: string[] = [];
let app: App;
let db: Database;

/** Lines that belong to no request: background work and start-up. */
const BACKGROUND_EVENTS = new Set([
  'auth.sessions_swept',
  'auth.sessions_sweep_failed',
  'auth.revocation_listener_lost',
]);

// A deliberately buggy route that writes into another organisation: RLS refuses it.
const crossTenantWrite = defineFeature(
  { name: 'test-cross-tenant-write', dependencies: ['identity'] },
  async (app, deps) => {
    app.post('/api/test-only/cross-tenant-write', { onRequest: [app.authenticate] }, async (request) =>
      tenantTransaction(deps.db.appPool, { orgId: authOf(request).orgId }, (tx) =>
        tx.query(
          `INSERT INTO controls (organization_id, name, control_type, functional_range) VALUES ($1, 'x', 'physical', 'narrow')`,
          [randomUUID()],
        ),
      ),
    );
  },
);

/** Event names from the first cell of each row of the security events table. */
const documentedEvents = readFileSync(
  path.resolve(import.meta.dirname, '../../../docs/operations.md'),
  'utf8',
)
  .split('\n')
  .filter((line) => /^\| `(auth|security)\./.test(line))
  .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`([a-z_.]+)`/g)].map((m) => m[1] as string));

let secrets: string[] = [];

beforeAll(async () => {
  const config = testConfig();
  db = await openTestDatabase(config);
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line));
      }
      done();
    },
  });
  const log = createLogger('info', 'sertantai', stream);
  app = await buildApp({ config, db, log, metrics: createMetrics(), clock: new ManualClock() }, [
    ...allFeatures,
    crossTenantWrite,
  ]);
  await app.ready();

  const password = 'a very secret password';
  const r = await register(app, { password });
  await login(app, r.email, 'wrong password here');
  const ok = (await login(app, r.email, password)).json();
  const rotated = (await refresh(app, ok.refresh_token)).json();
  await app.inject({
    method: 'GET',
    url: '/api/controls',
    headers: { authorization: 'Bearer garbage.token.value' },
  });
  await app.inject({
    method: 'GET',
    url: '/api/controls',
    headers: { cookie: `refresh=${rotated.refresh_token}`, 'x-csrf-token': 'csrf-secret-value' },
  });
  await app.inject({
    method: 'POST',
    url: '/api/test-only/cross-tenant-write',
    headers: auth(rotated.access_token),
  });
  const internalSecret = engineSecret(config);
  await app.inject({
    method: 'GET',
    url: `/internal/electric/v1/shape?table=controls&offset=-1&secret=${internalSecret}x`,
  });
  await app.inject({ method: 'POST', url: '/auth/logout', headers: auth(rotated.access_token) });
  // A spent refresh token presented after the grace window.
  const again = (await login(app, r.email, password)).json();
  await refresh(app, again.refresh_token);
  await tenantTransaction(db.appPool, { orgId: r.orgId }, (tx) =>
    tx.query(`UPDATE refresh_tokens SET used_at = now() - interval '1 minute' WHERE used_at IS NOT NULL`),
  );
  await refresh(app, again.refresh_token, freshIp());
  secrets = [
    password,
    r.accessToken,
    r.refreshToken,
    ok.access_token,
    ok.refresh_token,
    rotated.access_token,
    rotated.refresh_token,
    again.refresh_token,
    'csrf-secret-value',
    internalSecret,
  ];
});
afterAll(async () => {
  await app.close();
  await db.close();
});

it('uses only the documented security event names, and the drill covered the main ones', () => {
  expect(documentedEvents.length).toBeGreaterThan(10);
  const seen = new Set(lines.map((line) => line.event).filter((event) => typeof event === 'string'));
  for (const event of seen)
    expect(documentedEvents, `${event} is not in docs/operations.md`).toContain(event);
  for (const event of [
    'auth.register',
    'auth.login',
    'auth.refresh',
    'auth.refresh_reuse_detected',
    'auth.token_rejected',
    'auth.logout',
    'security.rls_refused',
  ])
    expect(seen, event).toContain(event);
});

it('puts the request id on every line written for a request', () => {
  // A request's lines: Fastify's own (req, res) and the security events a request causes.
  const requestLines = lines.filter(
    (line) =>
      line.req !== undefined ||
      line.res !== undefined ||
      (typeof line.event === 'string' && !BACKGROUND_EVENTS.has(line.event)),
  );
  expect(requestLines.length).toBeGreaterThan(20);
  for (const line of requestLines) expect(line.reqId, JSON.stringify(line)).toEqual(expect.any(String));
});

it('never writes a password, hash, token, cookie or secret', () => {
  for (const line of raw) {
    for (const secret of secrets) expect(line.includes(secret), line).toBe(false);
    expect(line).not.toMatch(/\$argon2id\$/);
  }
});
