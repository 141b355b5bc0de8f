// The domain events end to end: each app has its own bus (a listener on one app never hears
// another app's changes), and every event reaches its listeners inside the publisher's tenant
// transaction — the same transaction id the write answers with.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defineFeature, type Feature } from '../../src/app.ts';
import { insertDefaultStrategies } from '../../src/auth/default-strategies.ts';
import { ManualClock } from '../../src/clock.ts';
import { tenantTransaction } from '../../src/db/tenant.ts';
import type { DomainEventName, DomainEvents } from '../../src/events/domain-events.ts';
import { allFeatures } from '../../src/features.ts';
import { buildTenant, call, control, provider, type Tenant, touch } from '../controls/world.ts';
import { createTestApp, sweepUntilRun, type TestApp } from '../helpers/app.ts';

type Heard = { name: DomainEventName; event: DomainEvents[DomainEventName]; orgId: string; txid: number };

const EVENT_NAMES: DomainEventName[] = [
  'controls.reclassified',
  'organization.swept',
  'strategy.changed',
  'interaction.recorded',
  'traces.changed',
];

/** A feature that records every event this app publishes, with the transaction it ran in. */
function recorder(heard: Heard[]): Feature {
  return defineFeature({ name: 'test-event-recorder' }, async (_app, deps) => {
    for (const name of EVENT_NAMES) {
      deps.events.on(name, async (tx, event) => {
        const { rows } = await tx.query(
          `SELECT current_setting('app.current_org_id', true) AS org_id, txid_current()::text AS txid`,
        );
        heard.push({ name, event, orgId: rows[0].org_id, txid: Number(rows[0].txid) });
      });
    }
  });
}

const clock = new ManualClock(new Date('2026-03-01T09:00:00Z'));
const heardByA: Heard[] = [];
const heardByB: Heard[] = [];
let appA: TestApp;
let appB: TestApp;
let a: Tenant;
let b: Tenant;

beforeAll(async () => {
  appA = await createTestApp({ clock, features: [...allFeatures, recorder(heardByA)] });
  appB = await createTestApp({ clock, features: [...allFeatures, recorder(heardByB)] });
  a = await buildTenant(appA);
  b = await buildTenant(appB);
  await tenantTransaction(appA.db.appPool, { orgId: a.org.id }, (tx) =>
    insertDefaultStrategies(tx, a.org.id),
  );
});
afterAll(async () => {
  await appA.close();
  await appB.close();
});

it("a touch publishes controls.reclassified then interaction.recorded, in the write's transaction, on its app only", async () => {
  const me = await provider(appA, a, { is_user_themselves: true, provider_type: 'user' });
  const c = await control(appA, a, { primary_provider_id: me.id });
  heardByA.length = 0;
  heardByB.length = 0;
  const res = await touch(appA, a.users.member, c.id, { issues_found: true });

  expect(heardByA.map((h) => h.name)).toEqual(['controls.reclassified', 'interaction.recorded']);
  expect(heardByA.every((h) => h.txid === res.txid && h.orgId === a.org.id)).toBe(true);
  expect(heardByA[0]!.event).toMatchObject({ controlIds: [c.id], reason: 'touch' });
  expect(heardByA[1]!.event).toMatchObject({
    controlId: c.id,
    interactionId: res.data.id,
    interactionType: 'use',
    issuesFound: true,
  });
  expect(heardByB).toEqual([]);
});

it('a strategy edit publishes strategy.changed with both sides of the edit', async () => {
  const strategies = (await call(appA, a.users.viewer, 'GET', '/api/verification-strategies')).body.data;
  const strange = strategies.find((s: { quadrant: string }) => s.quadrant === 'strange');
  heardByA.length = 0;
  const res = await call(appA, a.users.admin, 'PATCH', `/api/verification-strategies/${strange.id}`, {
    frequency_days: strange.frequency_days + 7,
  });
  expect(res.status).toBe(200);
  expect(heardByA.map((h) => h.name)).toEqual(['strategy.changed']);
  expect(heardByA[0]).toMatchObject({ txid: res.body.txid, orgId: a.org.id });
  expect(heardByA[0]!.event).toMatchObject({
    quadrant: 'strange',
    before: { frequency_days: strange.frequency_days },
    after: { frequency_days: strange.frequency_days + 7 },
  });
});

it('a trace on a control publishes traces.changed', async () => {
  const c = await control(appA, a);
  heardByA.length = 0;
  const res = await call(appA, a.users.member, 'POST', '/api/traces', {
    control_id: c.id,
    trace_type: 'incident_report',
  });
  expect(res.status).toBe(201);
  expect(heardByA.map((h) => h.name)).toEqual(['traces.changed']);
  expect(heardByA[0]!.event).toMatchObject({ controlIds: [c.id] });
});

it("the sweep publishes organization.swept in each organisation's own transaction", async () => {
  const me = await provider(appB, b, { is_user_themselves: true, provider_type: 'user' });
  const c = await control(appB, b, { primary_provider_id: me.id });
  await touch(appB, b.users.member, c.id);
  clock.advanceDays(31);
  heardByA.length = 0;
  heardByB.length = 0;
  await sweepUntilRun(appB.app, b.org.id);

  expect(heardByB.map((h) => h.name)).toEqual(['controls.reclassified', 'organization.swept']);
  expect(heardByB.every((h) => h.orgId === b.org.id)).toBe(true);
  expect(heardByB[0]!.txid).toBe(heardByB[1]!.txid);
  expect(heardByB[0]!.event).toMatchObject({ controlIds: [c.id], reason: 'time_elapsed' });
  expect(heardByB[1]!.event).toMatchObject({ moved: [c.id] });
  expect(heardByA).toEqual([]);
});
