// Test harness for the built-in sync engine: a real app listening on loopback with the engine's
// internal protocol route, so the official client talks to it over HTTP.
import { randomUUID } from 'node:crypto';
import { defineFeature } from '../../src/app.ts';
import { identityFeature } from '../../src/auth/feature.ts';
import { currentTxid, tenantTransaction } from '../../src/db/tenant.ts';
import {
  createShapeEngine,
  type EngineOptions,
  engineSecret,
  type ShapeEngineHandle,
} from '../../src/sync/engine/index.ts';
import { slotNameOf } from '../../src/sync/engine/persistence.ts';
import { tenantScope } from '../../src/sync/tenant-scope.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

export type EngineApp = TestApp & { engine: ShapeEngineHandle; baseUrl: string; secret: string };

export async function startEngineApp(
  options: Partial<EngineOptions> = {},
  port = 0,
  persist?: { group: string; intervalMs?: number },
): Promise<EngineApp> {
  let engine: ShapeEngineHandle | undefined;
  const engineFeature = defineFeature({ name: 'test-engine' }, async (app, deps) => {
    engine = createShapeEngine({
      db: deps.db,
      log: deps.log,
      metrics: deps.metrics,
      healthChecks: deps.healthChecks,
      secret: engineSecret(deps.config),
      scope: tenantScope(deps.db),
      ...(persist ? { persist } : {}),
      options: { liveTimeoutMs: 1_000, ...options },
    });
    engine.registerRoutes(app);
  });
  const t = await createTestApp({ features: [identityFeature, engineFeature] });
  const address = await t.app.listen({ port, host: '127.0.0.1' });
  return {
    ...t,
    engine: engine as ShapeEngineHandle,
    baseUrl: address,
    secret: engineSecret(t.config),
    close: async () => {
      await engine?.stop();
      await t.close();
    },
  };
}

export function shapeUrl(e: { baseUrl: string }) {
  return `${e.baseUrl}/internal/electric/v1/shape`;
}

/** Protocol params for an organisation's shape of `table` (as the endpoint's proxy sends them). */
export function shapeParams(
  e: { secret: string },
  table: string,
  orgId: string,
  extra: Record<string, string> = {},
) {
  return {
    table,
    where: table === 'organizations' ? 'id = $1' : 'organization_id = $1',
    'params[1]': orgId,
    secret: e.secret,
    ...extra,
  };
}

/** Inserts controls in one transaction; returns their ids and the writer's txid. */
export async function insertControls(e: Pick<TestApp, 'db'>, orgId: string, names: string[]) {
  const ids = names.map(() => randomUUID());
  const txid = await tenantTransaction(e.db.appPool, { orgId }, async (tx) => {
    for (const [i, name] of names.entries()) {
      await tx.query(
        `INSERT INTO controls (id, organization_id, name, control_type, functional_range) VALUES ($1, $2, $3, 'technical', 'narrow')`,
        [ids[i], orgId, name],
      );
    }
    return currentTxid(tx);
  });
  return { ids, txid };
}

export async function writeAs(e: Pick<TestApp, 'db'>, orgId: string, sql: string, values: unknown[] = []) {
  return tenantTransaction(e.db.appPool, { orgId }, async (tx) => {
    await tx.query(sql, values);
    return currentTxid(tx);
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(50);
    }
  }
}

// Requests to the internal protocol route through app.inject, for tests that check answers one
// by one (engine-protocol.test.ts, engine-lifecycle.test.ts).

export type ProtocolMessage = {
  key?: string;
  value?: Record<string, string | null>;
  old_value?: Record<string, string | null>;
  headers: Record<string, unknown>;
};
export type ProtocolAnswer = {
  status: number;
  headers: Record<string, string>;
  body: ProtocolMessage[] | Record<string, unknown>;
};

export async function getShape(app: EngineApp, query: Record<string, string>): Promise<ProtocolAnswer> {
  const response = await app.app.inject({
    method: 'GET',
    url: '/internal/electric/v1/shape',
    query,
  });
  return {
    status: response.statusCode,
    headers: response.headers as Record<string, string>,
    body: response.body ? JSON.parse(response.body) : [],
  };
}

export const messages = (a: ProtocolAnswer) => a.body as ProtocolMessage[];
export const isUpToDate = (m: ProtocolMessage | undefined) => m?.headers.control === 'up-to-date';

/** Follows a shape from -1 to its first up-to-date; returns the last answer. */
export async function syncToUpToDate(app: EngineApp, query: Record<string, string>) {
  let answer = await getShape(app, { ...query, offset: '-1' });
  const seen = [...messages(answer)];
  for (let i = 0; i < 20 && !isUpToDate(messages(answer).at(-1)); i++) {
    answer = await getShape(app, {
      ...query,
      offset: answer.headers['electric-offset'] as string,
      handle: answer.headers['electric-handle'] as string,
    });
    seen.push(...messages(answer));
  }
  return {
    answer,
    seen,
    handle: answer.headers['electric-handle'] as string,
    offset: answer.headers['electric-offset'] as string,
  };
}

/**
 * Drops a persisted group's permanent slot and stored logs (after its engines stopped; the
 * walsender may take a moment to end, so an active slot is waited for, then ended).
 */
export async function dropPersistedGroup(db: Pick<TestApp, 'db'>['db'], group: string) {
  const slot = slotNameOf(group);
  for (let attempt = 0; attempt < 50; attempt++) {
    const { rows } = await db.ownerPool.query(
      'SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1 AND active',
      [slot],
    );
    if (rows.length === 0) break;
    if (attempt === 20) await db.ownerPool.query('SELECT pg_terminate_backend($1)', [rows[0].active_pid]);
    await sleep(100);
  }
  await db.ownerPool.query(
    'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active',
    [slot],
  );
  await db.ownerPool.query('DELETE FROM sync_shape_logs WHERE election_group = $1', [group]);
}
