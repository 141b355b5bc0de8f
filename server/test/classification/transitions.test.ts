// The 2x2 engine end to end: all four quadrants reached by touches, by time passing (the sweep
// with a ManualClock) and by network and provider changes, each move recorded with its reason.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSweeper, sweepLockKey } from '../../src/classification/sweeper.ts';
import { ManualClock } from '../../src/clock.ts';
import { tenantTransaction } from '../../src/db/tenant.ts';
import { createEventBus } from '../../src/events/bus.ts';
import { createLogger } from '../../src/ops/logger.ts';
import {
  buildTenant,
  call,
  control,
  type Json,
  link,
  provider,
  type Tenant,
  touch,
} from '../controls/world.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

const clock = new ManualClock(new Date('2026-03-01T09:00:00Z'));
let t: TestApp;
let a: Tenant;
/** self → department (1) → contractor (+1.5 = 2.5) → vendor (+2 = 4.5) */
let net: { self: string; dept: string; contractor: string; vendor: string };

beforeAll(async () => {
  t = await createTestApp({ clock });
  a = await buildTenant(t);
  net = {
    self: (await provider(t, a, { name: 'Me', provider_type: 'user', is_user_themselves: true })).id,
    dept: (await provider(t, a, { name: 'Maintenance dept', provider_type: 'internal' })).id,
    contractor: (await provider(t, a, { name: 'Contractor', provider_type: 'contractor' })).id,
    vendor: (await provider(t, a, { name: 'Vendor', provider_type: 'vendor' })).id,
  };
  await link(t, a, net.self, net.dept, 1);
  await link(t, a, net.dept, net.contractor, 1.5);
  await link(t, a, net.contractor, net.vendor, 2);
});
afterAll(() => t.close());

const get = async (id: string) => (await call(t, a.users.viewer, 'GET', `/api/controls/${id}`)).body.data;
const history = async (id: string) =>
  (await call(t, a.users.viewer, 'GET', `/api/controls/${id}/classifications?limit=200`)).body.data as Array<{
    quadrant: string;
    previous_quadrant: string | null;
    reason: string;
  }>;
const sweep = (tenant: Tenant = a) => t.app.runSweep({ only: [tenant.org.id] });

describe('creation', () => {
  it('computes distance over the network and records a created classification', async () => {
    const cases = [
      [net.self, 0, 'specialist'],
      [net.dept, 1, 'specialist'],
      [net.contractor, 2.5, 'strange'],
      [net.vendor, 4.5, 'strange'],
      [null, null, 'strange'],
    ] as const;
    for (const [providerId, distance, quadrant] of cases) {
      const c = await control(t, a, { primary_provider_id: providerId });
      expect(c.provider_distance).toBe(distance);
      expect(c.current_quadrant).toBe(quadrant);
      expect(await history(c.id)).toMatchObject([{ quadrant, previous_quadrant: null, reason: 'created' }]);
    }
  });

  it('an unreachable provider is Remote (distance null)', async () => {
    const island = await provider(t, a, { name: `Island ${randomUUID()}` });
    const c = await control(t, a, { primary_provider_id: island.id });
    expect(c.provider_distance).toBeNull();
    expect(c.current_quadrant).toBe('strange');
  });
});

describe('touch and time', () => {
  it('Specialist → Self on touch, → Specialist after 30 days untouched, → Self on the next touch', async () => {
    const c = await control(t, a, { primary_provider_id: net.dept });
    const first = await touch(t, a.users.member, c.id, { interaction_type: 'inspect' });
    expect(first.data).toMatchObject({
      quadrant_before: 'specialist',
      quadrant_after: 'self',
      user_id: a.users.member.id,
    });
    expect(first.control).toMatchObject({
      current_quadrant: 'self',
      last_touched_by_user_id: a.users.member.id,
    });
    expect(new Date(first.control.last_touched_at).getTime()).toBe(clock.now().getTime());

    clock.advanceDays(29);
    await sweep();
    expect((await get(c.id)).current_quadrant).toBe('self');

    clock.advanceDays(1.01);
    const round = await sweep();
    expect(round).toMatchObject({ skipped: false, failed: 0 });
    expect((await get(c.id)).current_quadrant).toBe('specialist');

    const again = await touch(t, a.users.admin, c.id);
    expect(again.data).toMatchObject({ quadrant_before: 'specialist', quadrant_after: 'self' });
    expect((await history(c.id)).map((h) => [h.previous_quadrant, h.quadrant, h.reason])).toEqual([
      ['specialist', 'self', 'touch'],
      ['self', 'specialist', 'time_elapsed'],
      ['specialist', 'self', 'touch'],
      [null, 'specialist', 'created'],
    ]);
  });

  it('Strange → Service on touch, → Strange after 30 days (remote provider and no provider alike)', async () => {
    for (const providerId of [net.vendor, null]) {
      const c = await control(t, a, { primary_provider_id: providerId });
      expect((await touch(t, a.users.member, c.id)).control.current_quadrant).toBe('service');
      clock.advanceDays(31);
      await sweep();
      expect((await get(c.id)).current_quadrant).toBe('strange');
      expect((await history(c.id))[0]).toMatchObject({
        previous_quadrant: 'service',
        quadrant: 'strange',
        reason: 'time_elapsed',
      });
    }
  });

  it('a touch that does not move the control writes no classification row', async () => {
    const c = await control(t, a, { primary_provider_id: net.dept });
    await touch(t, a.users.member, c.id);
    clock.advanceDays(1);
    const second = await touch(t, a.users.member, c.id);
    expect(second.data).toMatchObject({ quadrant_before: 'self', quadrant_after: 'self' });
    expect(await history(c.id)).toHaveLength(2);
  });

  it('an interaction that happened long ago (offline) counts from when it happened', async () => {
    const c = await control(t, a, { primary_provider_id: net.dept });
    const old = new Date(clock.now().getTime() - 40 * 86_400_000).toISOString();
    const res = await touch(t, a.users.member, c.id, { occurred_at: old });
    expect(res.data).toMatchObject({ quadrant_before: 'specialist', quadrant_after: 'specialist' });
    expect(new Date(res.control.last_touched_at).toISOString()).toBe(old);
    // A later touch wins; an older one after it never moves last_touched_at back.
    await touch(t, a.users.member, c.id);
    const stale = await touch(t, a.users.member, c.id, { occurred_at: old });
    expect(new Date(stale.control.last_touched_at).getTime()).toBe(clock.now().getTime());
    expect(stale.control.current_quadrant).toBe('self');
  });

  it('occurred_at in the future is refused', async () => {
    const c = await control(t, a);
    const res = await call(t, a.users.member, 'POST', `/api/controls/${c.id}/interactions`, {
      interaction_type: 'use',
      occurred_at: new Date(clock.now().getTime() + 86_400_000).toISOString(),
    });
    expect(res.status).toBe(400);
  });
});

describe('the sweep', () => {
  it('is idempotent: a second round moves nothing and writes no rows', async () => {
    const c = await control(t, a, { primary_provider_id: net.self });
    await touch(t, a.users.member, c.id);
    clock.advanceDays(45);
    const first = await sweep();
    expect(first.skipped === false && first.moved).toBeGreaterThanOrEqual(1);
    const rows = (await history(c.id)).length;
    const second = await sweep();
    expect(second).toMatchObject({ skipped: false, moved: 0, failed: 0 });
    expect(await history(c.id)).toHaveLength(rows);
  });

  it('skips the round while another process holds the advisory lock', async () => {
    const c = await control(t, a, { primary_provider_id: net.self });
    await touch(t, a.users.member, c.id);
    clock.advanceDays(31);
    const other = await t.db.ownerPool.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1, $2)', sweepLockKey(t.config.syncEngineGroup));
      expect(await sweep()).toEqual({ skipped: true });
      expect((await get(c.id)).current_quadrant).toBe('self');
      await other.query('SELECT pg_advisory_unlock($1, $2)', sweepLockKey(t.config.syncEngineGroup));
    } finally {
      other.release();
    }
    await sweep();
    expect((await get(c.id)).current_quadrant).toBe('specialist');
  });

  it('two sweepers at once (two processes) never record a move twice', async () => {
    const c = await control(t, a, { primary_provider_id: net.self });
    await touch(t, a.users.member, c.id);
    clock.advanceDays(31);
    const log = createLogger('silent');
    const events = createEventBus();
    const one = createSweeper({ pool: t.db.appPool, lockPool: t.db.ownerPool, clock, log, events });
    const two = createSweeper({ pool: t.db.appPool, lockPool: t.db.ownerPool, clock, log, events });
    await Promise.all([one.runOnce({ only: [a.org.id] }), two.runOnce({ only: [a.org.id] })]);
    const moves = (await history(c.id)).filter((h) => h.reason === 'time_elapsed');
    expect(moves).toHaveLength(1);
  });

  it('runs at start, visiting organisations one by one in their own tenant', async () => {
    const b = await buildTenant(t);
    const ca = await control(t, a, { primary_provider_id: net.self });
    const cb = await control(t, b);
    await touch(t, a.users.member, ca.id);
    await touch(t, b.users.member, cb.id);
    clock.advanceDays(31);
    const sweeper = createSweeper({
      pool: t.db.appPool,
      lockPool: t.db.ownerPool,
      clock,
      log: createLogger('silent'),
      events: createEventBus(),
    });
    const first = await sweeper.start(3600, { only: [a.org.id, b.org.id] });
    await sweeper.stop();
    expect(first).toMatchObject({ skipped: false, organizations: 2, failed: 0 });
    expect((await get(ca.id)).current_quadrant).toBe('specialist');
    expect((await call(t, b.users.viewer, 'GET', `/api/controls/${cb.id}`)).body.data.current_quadrant).toBe(
      'strange',
    );
  });

  it('follows the organisation’s own thresholds', async () => {
    const b = await buildTenant(t);
    await tenantTransaction(t.db.appPool, { orgId: b.org.id }, (tx) =>
      tx.query(
        'UPDATE organizations SET recent_threshold_days = 7, close_threshold_distance = 5 WHERE id = $1',
        [b.org.id],
      ),
    );
    const me = await provider(t, b, { is_user_themselves: true, provider_type: 'user' });
    const far = await provider(t, b);
    await link(t, b, me.id, far.id, 4.5);
    const c = await control(t, b, { primary_provider_id: far.id });
    expect(c.current_quadrant).toBe('specialist'); // 4.5 < 5: Close here
    expect((await touch(t, b.users.member, c.id)).control.current_quadrant).toBe('self');
    clock.advanceDays(8);
    await sweep(b);
    expect((await call(t, b.users.viewer, 'GET', `/api/controls/${c.id}`)).body.data.current_quadrant).toBe(
      'specialist',
    );
  });
});

describe('network and provider changes', () => {
  it('a new shortcut link brings a Service control Close (→ Self); removing it sends it back (→ Service)', async () => {
    const c = await control(t, a, { primary_provider_id: net.vendor });
    await touch(t, a.users.member, c.id);
    expect((await get(c.id)).current_quadrant).toBe('service');
    const shortcut = await link(t, a, net.self, net.vendor, 0.5);
    expect(await get(c.id)).toMatchObject({ current_quadrant: 'self', provider_distance: 0.5 });
    expect((await history(c.id))[0]).toMatchObject({
      previous_quadrant: 'service',
      quadrant: 'self',
      reason: 'network_change',
    });

    const removed = await call(t, a.users.admin, 'DELETE', `/api/provider-links/${shortcut.id}`);
    expect(removed.status).toBe(200);
    expect(await get(c.id)).toMatchObject({ current_quadrant: 'service', provider_distance: 4.5 });
    expect((await history(c.id))[0]).toMatchObject({ quadrant: 'service', reason: 'network_change' });
  });

  it('changing a link weight recomputes distances of every control behind it', async () => {
    const onContractor = await control(t, a, { primary_provider_id: net.contractor });
    const onVendor = await control(t, a, { primary_provider_id: net.vendor });
    const links = (await call(t, a.users.viewer, 'GET', `/api/provider-links?provider_id=${net.contractor}`))
      .body.data;
    const deptToContractor = links.find((l: Json) => l.from_provider_id === net.dept);
    await call(t, a.users.admin, 'PATCH', `/api/provider-links/${deptToContractor.id}`, { path_weight: 0.5 });
    expect(await get(onContractor.id)).toMatchObject({
      provider_distance: 1.5,
      current_quadrant: 'specialist',
    });
    expect(await get(onVendor.id)).toMatchObject({ provider_distance: 3.5, current_quadrant: 'strange' });
    await call(t, a.users.admin, 'PATCH', `/api/provider-links/${deptToContractor.id}`, { path_weight: 1.5 });
    expect(await get(onContractor.id)).toMatchObject({ provider_distance: 2.5, current_quadrant: 'strange' });
  });

  it('changing a control’s provider reclassifies it (reason provider_change)', async () => {
    const c = await control(t, a, { primary_provider_id: net.vendor });
    await touch(t, a.users.member, c.id);
    const res = await call(t, a.users.admin, 'PATCH', `/api/controls/${c.id}`, {
      primary_provider_id: net.dept,
    });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ current_quadrant: 'self', provider_distance: 1 });
    expect((await history(c.id))[0]).toMatchObject({
      previous_quadrant: 'service',
      quadrant: 'self',
      reason: 'provider_change',
    });
    const none = await call(t, a.users.admin, 'PATCH', `/api/controls/${c.id}`, {
      primary_provider_id: null,
    });
    expect(none.body.data).toMatchObject({ current_quadrant: 'service', provider_distance: null });
  });

  it('a provider becoming "self" pulls its controls to distance 0', async () => {
    const b = await buildTenant(t);
    const team = await provider(t, b, { name: 'Site team' });
    const c = await control(t, b, { primary_provider_id: team.id });
    expect(c.current_quadrant).toBe('strange');
    await call(t, b.users.admin, 'PATCH', `/api/providers/${team.id}`, { is_user_themselves: true });
    const after = (await call(t, b.users.viewer, 'GET', `/api/controls/${c.id}`)).body.data;
    expect(after).toMatchObject({ provider_distance: 0, current_quadrant: 'specialist' });
  });

  it('deleting a provider makes its controls Remote and cuts the paths through it', async () => {
    const b = await buildTenant(t);
    const me = await provider(t, b, { is_user_themselves: true, provider_type: 'user' });
    const dept = await provider(t, b);
    const sub = await provider(t, b);
    await link(t, b, me.id, dept.id, 0.5);
    await link(t, b, dept.id, sub.id, 0.5);
    const onDept = await control(t, b, { primary_provider_id: dept.id });
    const onSub = await control(t, b, { primary_provider_id: sub.id });
    await touch(t, b.users.member, onDept.id);
    await touch(t, b.users.member, onSub.id);
    expect((await call(t, b.users.admin, 'DELETE', `/api/providers/${dept.id}`)).status).toBe(200);
    const read = async (id: string) =>
      (await call(t, b.users.viewer, 'GET', `/api/controls/${id}/classifications`)).body.data;
    const deptControl = (await call(t, b.users.viewer, 'GET', `/api/controls/${onDept.id}`)).body.data;
    expect(deptControl).toMatchObject({
      primary_provider_id: null,
      provider_distance: null,
      current_quadrant: 'service',
    });
    expect((await read(onDept.id))[0]).toMatchObject({ quadrant: 'service', reason: 'provider_change' });
    const subControl = (await call(t, b.users.viewer, 'GET', `/api/controls/${onSub.id}`)).body.data;
    expect(subControl).toMatchObject({
      primary_provider_id: sub.id,
      provider_distance: null,
      current_quadrant: 'service',
    });
    expect((await read(onSub.id))[0]).toMatchObject({ quadrant: 'service', reason: 'network_change' });
  });
});

describe('concurrent network edits', () => {
  it('links created at the same time all count: final distances match the final graph', async () => {
    const b = await buildTenant(t);
    const me = await provider(t, b, { is_user_themselves: true, provider_type: 'user' });
    const chain = [me.id];
    for (let i = 0; i < 6; i++) chain.push((await provider(t, b)).id);
    const controls = [];
    for (const providerId of chain) controls.push(await control(t, b, { primary_provider_id: providerId }));
    // self → p1 → p2 → … → p6, each hop 0.25, all six links posted at once.
    const results = await Promise.all(
      chain.slice(1).map((to, i) =>
        call(t, b.users.admin, 'POST', '/api/provider-links', {
          from_provider_id: chain[i],
          to_provider_id: to,
          relationship_type: 'supports',
          path_weight: 0.25,
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 201]);
    for (const [i, c] of controls.entries()) {
      const row = (await call(t, b.users.viewer, 'GET', `/api/controls/${c.id}`)).body.data;
      expect(row.provider_distance, `hop ${i}`).toBe(i * 0.25);
      expect(row.current_quadrant).toBe('specialist');
    }
  });

  it('a threshold change is picked up by the sweep (distance category, reason network_change)', async () => {
    const b = await buildTenant(t);
    const me = await provider(t, b, { is_user_themselves: true, provider_type: 'user' });
    const far = await provider(t, b);
    await link(t, b, me.id, far.id, 3);
    const c = await control(t, b, { primary_provider_id: far.id });
    expect(c.current_quadrant).toBe('strange');
    await tenantTransaction(t.db.appPool, { orgId: b.org.id }, (tx) =>
      tx.query('UPDATE organizations SET close_threshold_distance = 4 WHERE id = $1', [b.org.id]),
    );
    expect(await sweep(b)).toMatchObject({ moved: 1 });
    const history = (await call(t, b.users.viewer, 'GET', `/api/controls/${c.id}/classifications`)).body.data;
    expect(history[0]).toMatchObject({
      previous_quadrant: 'strange',
      quadrant: 'specialist',
      reason: 'network_change',
    });
  });
});
