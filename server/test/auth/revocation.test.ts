// The revocation cache on its own: answers from memory while its LISTEN connection is up, and
// never trusts a cached "live" once that connection has been lost (notifications sent in the
// gap are gone), so a revocation is never missed for longer than the reconnect.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RevocationCache, revokeSessions } from '../../src/auth/revocation.ts';
import type { AccessClaims } from '../../src/auth/tokens.ts';
import type { Database } from '../../src/db/database.ts';
import { tenantTransaction } from '../../src/db/tenant.ts';
import { createLogger } from '../../src/ops/logger.ts';
import { openTestDatabase, testConfig } from '../helpers/app.ts';
import { buildOrganization, buildUser } from '../helpers/factories.ts';

let db: Database;
let cache: RevocationCache;
const config = testConfig();
beforeAll(async () => {
  db = await openTestDatabase(config);
  cache = new RevocationCache(db, createLogger('silent'));
  await cache.start();
});
afterAll(async () => {
  await cache.stop();
  await db.close();
});

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function liveSession(): Promise<AccessClaims> {
  const org = await buildOrganization(db);
  const user = await buildUser(db, config, org, 'member');
  return {
    userId: user.id,
    orgId: org.id,
    role: 'member',
    sessionId: user.sessionId,
    tokenId: randomUUID(),
    issuedAt: Math.floor(Date.now() / 1000),
    expiresAt: Math.floor(Date.now() / 1000) + 900,
  };
}

describe('RevocationCache', () => {
  it('answers a live session from memory after one database check', async () => {
    expect(cache.isListening).toBe(true);
    const claims = await liveSession();
    const before = { ...cache.stats };
    expect(await cache.isRevoked(claims)).toBe(false);
    expect(await cache.isRevoked(claims)).toBe(false);
    expect(await cache.isRevoked(claims)).toBe(false);
    expect(cache.stats.misses - before.misses).toBe(1);
    expect(cache.stats.hits - before.hits).toBe(2);
  });

  it('answers a session it was told was just opened from memory, unless a notification came since', async () => {
    const claims = await liveSession();
    const before = { ...cache.stats };
    cache.markOpened(claims.sessionId, cache.notificationEpoch);
    expect(await cache.isRevoked(claims)).toBe(false);
    expect(cache.stats.misses - before.misses).toBe(0);

    // A notification between the session's opening and the mark: looked up as usual.
    const other = await liveSession();
    const epoch = cache.notificationEpoch;
    const notifications = cache.stats.notifications;
    await tenantTransaction(db.appPool, { orgId: claims.orgId }, (tx) =>
      revokeSessions(tx, 'logout', 'id', claims.sessionId),
    );
    await until(() => cache.stats.notifications > notifications);
    cache.markOpened(other.sessionId, epoch);
    const misses = cache.stats.misses;
    expect(await cache.isRevoked(other)).toBe(false);
    expect(cache.stats.misses).toBe(misses + 1);
    // …and a revoked session is never marked live again.
    cache.markOpened(claims.sessionId, cache.notificationEpoch);
    expect(await cache.isRevoked(claims)).toBe(true);
  });

  it('learns a revocation by NOTIFY, committed in another transaction', async () => {
    const claims = await liveSession();
    expect(await cache.isRevoked(claims)).toBe(false);
    const notifications = cache.stats.notifications;
    await tenantTransaction(db.appPool, { orgId: claims.orgId }, (tx) =>
      revokeSessions(tx, 'logout', 'id', claims.sessionId),
    );
    await until(() => cache.stats.notifications > notifications);
    const misses = cache.stats.misses;
    expect(await cache.isRevoked(claims)).toBe(true);
    expect(cache.stats.misses).toBe(misses); // from memory
  });

  it('a rolled-back revocation notifies nobody', async () => {
    const claims = await liveSession();
    expect(await cache.isRevoked(claims)).toBe(false);
    await expect(
      tenantTransaction(db.appPool, { orgId: claims.orgId }, async (tx) => {
        await revokeSessions(tx, 'logout', 'id', claims.sessionId);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await cache.isRevoked(claims)).toBe(false);
  });

  it('stops trusting cached live answers when the listening connection is lost', async () => {
    const claims = await liveSession();
    expect(await cache.isRevoked(claims)).toBe(false); // cached live
    const pid = cache.listenerPid!;
    await db.ownerPool.query('SELECT pg_terminate_backend($1)', [pid]);
    await until(() => cache.listenerPid !== pid);
    // Revoked without any notification reaching this cache (it was not listening, or the
    // notification was sent before it listened again): the cached "live" must not be used.
    await tenantTransaction(db.appPool, { orgId: claims.orgId }, (tx) =>
      tx.query(`UPDATE sessions SET revoked_at = now(), revoked_reason = 'logout' WHERE id = $1`, [
        claims.sessionId,
      ]),
    );
    expect(await cache.isRevoked(claims)).toBe(true);
    // and it listens again afterwards
    await until(() => cache.isListening);
    const next = await liveSession();
    expect(await cache.isRevoked(next)).toBe(false);
    const notifications = cache.stats.notifications;
    await tenantTransaction(db.appPool, { orgId: next.orgId }, (tx) =>
      revokeSessions(tx, 'logout', 'id', next.sessionId),
    );
    await until(() => cache.stats.notifications > notifications);
    expect(await cache.isRevoked(next)).toBe(true);
  });
});
