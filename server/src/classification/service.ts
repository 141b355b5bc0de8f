// Owns reclassification: the service around the pure 2x2 rules (quadrant.ts and distance.ts in
// @sertantai/core). Every function here runs inside the caller's tenant transaction, so the
// control, its classification history and the listeners of its events (controls.reclassified,
// organization.swept) commit or fail together.
// Moves are recorded in quadrant_classifications with their reason; a row is written only when
// the quadrant actually changes (and once at creation).

import {
  daysSince,
  distanceOf,
  providerDistances,
  type Quadrant,
  quadrantOf,
  type Thresholds,
} from '@sertantai/core';
import { LOCK_NAMESPACE } from '../db/advisory-locks.ts';
import type { Tx } from '../db/tenant.ts';
import type { EventPublisher } from '../events/bus.ts';
import type { ClassificationReason } from '../events/domain-events.ts';

/** The columns of a control the engine reads. */
export type ClassifiableControl = {
  id: string;
  primary_provider_id: string | null;
  last_touched_at: Date | null;
  provider_distance: number | null;
  current_quadrant: Quadrant;
};

/**
 * Serialises the organisation's graph-dependent writes (links, self providers, a control's
 * provider, creations): the lock is taken before anything else, so the graph read after it
 * includes every change committed before, and two concurrent link edits cannot both compute
 * distances from a graph missing the other's link. Released at COMMIT/ROLLBACK. Touches do
 * not take it: they only read the stored distance under their row lock.
 */
export async function lockNetwork(tx: Tx): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock($1, hashtext(current_setting('app.current_org_id', true)))`, [
    LOCK_NAMESPACE.network,
  ]);
}

/** The organisation's thresholds (RLS shows the caller only its own organisation). */
export async function loadThresholds(tx: Tx): Promise<Thresholds> {
  const { rows } = await tx.query(
    `SELECT recent_threshold_days, close_threshold_distance FROM organizations
      WHERE id = NULLIF(current_setting('app.current_org_id', true), '')::uuid`,
  );
  const row = rows[0];
  if (!row) throw new Error('organisation of the tenant transaction not found');
  return { recentDays: row.recent_threshold_days, closeDistance: Number(row.close_threshold_distance) };
}

/** Distances from the organisation's self providers to every reachable provider. */
export async function loadDistances(tx: Tx): Promise<Map<string, number>> {
  // One connection runs one query at a time; sequential awaits say so plainly.
  const selves = await tx.query<{ id: string }>(`SELECT id FROM control_providers WHERE is_user_themselves`);
  const links = await tx.query<{ from: string; to: string; weight: number }>(
    `SELECT from_provider_id AS "from", to_provider_id AS "to", path_weight AS weight FROM provider_networks`,
  );
  return providerDistances(
    selves.rows.map((row) => row.id),
    links.rows,
  );
}

export type ClassificationRow = {
  control_id: string;
  quadrant: Quadrant;
  previous_quadrant: Quadrant | null;
  time_since_touched_days: number | null;
  provider_distance: number | null;
};

/** Writes history rows in one statement. */
export async function recordClassifications(
  tx: Tx,
  rows: ClassificationRow[],
  reason: ClassificationReason,
  now: Date,
): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO quadrant_classifications
       (organization_id, control_id, quadrant, previous_quadrant, time_since_touched_days, provider_distance,
        classified_at, reason)
     SELECT NULLIF(current_setting('app.current_org_id', true), '')::uuid, c, q, p, d, pd, $6, $7
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::numeric[], $5::numeric[]) AS u(c, q, p, d, pd)`,
    [
      rows.map((row) => row.control_id),
      rows.map((row) => row.quadrant),
      rows.map((row) => row.previous_quadrant),
      rows.map((row) => roundDays(row.time_since_touched_days)),
      rows.map((row) => row.provider_distance),
      now,
      reason,
    ],
  );
}

const roundDays = (days: number | null) => (days === null ? null : Math.round(days * 1000) / 1000);

type Planned = {
  control: ClassifiableControl;
  distance: number | null;
  quadrant: Quadrant;
  days: number | null;
};

/**
 * Applies new distances (and the current time) to controls: updates those whose distance or
 * quadrant changed and records a move for those whose quadrant changed. Returns the moved ids.
 */
async function applyPlan(
  tx: Tx,
  plan: Planned[],
  reason: ClassificationReason,
  now: Date,
  events: EventPublisher,
): Promise<string[]> {
  const changed = plan.filter(
    (p) => p.distance !== p.control.provider_distance || p.quadrant !== p.control.current_quadrant,
  );
  if (changed.length === 0) return [];
  await tx.query(
    `UPDATE controls SET provider_distance = u.d, current_quadrant = u.q
       FROM unnest($1::uuid[], $2::numeric[], $3::text[]) AS u(id, d, q)
      WHERE controls.id = u.id`,
    [changed.map((p) => p.control.id), changed.map((p) => p.distance), changed.map((p) => p.quadrant)],
  );
  const moved = changed.filter((p) => p.quadrant !== p.control.current_quadrant);
  await recordClassifications(
    tx,
    moved.map((p) => ({
      control_id: p.control.id,
      quadrant: p.quadrant,
      previous_quadrant: p.control.current_quadrant,
      time_since_touched_days: p.days,
      provider_distance: p.distance,
    })),
    reason,
    now,
  );
  await events.publish(tx, 'controls.reclassified', {
    controlIds: changed.map((p) => p.control.id),
    reason,
    now,
  });
  return moved.map((p) => p.control.id);
}

const CONTROL_COLUMNS = `id, primary_provider_id, last_touched_at, provider_distance, current_quadrant`;

/**
 * Recomputes every control's distance after the network or a provider changed, and reclassifies
 * the ones that moved. Pass `controlIds` to limit the work to some controls (a control's own
 * provider changed). Rows are locked so a concurrent touch or sweep waits rather than races.
 */
export async function reclassifyByNetwork(
  tx: Tx,
  reason: 'network_change' | 'provider_change',
  now: Date,
  events: EventPublisher,
  controlIds?: string[],
): Promise<{ moved: string[] }> {
  await lockNetwork(tx);
  const thresholds = await loadThresholds(tx);
  const distances = await loadDistances(tx);
  const { rows } = await tx.query<ClassifiableControl>(
    controlIds
      ? `SELECT ${CONTROL_COLUMNS} FROM controls WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`
      : `SELECT ${CONTROL_COLUMNS} FROM controls ORDER BY id FOR UPDATE`,
    controlIds ? [controlIds] : [],
  );
  const plan = rows.map((control) => {
    const distance = distanceOf(control.primary_provider_id, distances);
    const days = daysSince(control.last_touched_at, now);
    return { control, distance, days, quadrant: quadrantOf(days, distance, thresholds) };
  });
  return { moved: await applyPlan(tx, plan, reason, now, events) };
}

/**
 * The time sweep for one organisation: reclassifies controls whose stored quadrant no longer
 * matches their time category (reason time_elapsed) — or, after a threshold change, their
 * distance category (reason network_change). Idempotent: a second run finds nothing to do.
 * Rows being touched right now are skipped (SKIP LOCKED); the touch classifies them itself.
 */
export async function sweepOrganization(
  tx: Tx,
  now: Date,
  events: EventPublisher,
): Promise<{ moved: string[] }> {
  const thresholds = await loadThresholds(tx);
  const { rows } = await tx.query<ClassifiableControl>(
    `SELECT ${CONTROL_COLUMNS} FROM controls
      WHERE (current_quadrant IN ('self', 'service'))
              <> (last_touched_at IS NOT NULL AND last_touched_at > $1::timestamptz - make_interval(days => $2))
         OR (current_quadrant IN ('self', 'specialist'))
              <> (provider_distance IS NOT NULL AND provider_distance < $3)
      ORDER BY id
      FOR UPDATE SKIP LOCKED`,
    [now, thresholds.recentDays, thresholds.closeDistance],
  );
  const byReason = { time_elapsed: [] as Planned[], network_change: [] as Planned[] };
  for (const control of rows) {
    const days = daysSince(control.last_touched_at, now);
    const quadrant = quadrantOf(days, control.provider_distance, thresholds);
    if (quadrant === control.current_quadrant) continue;
    const timeFlipped =
      (quadrant === 'self' || quadrant === 'service') !==
      (control.current_quadrant === 'self' || control.current_quadrant === 'service');
    byReason[timeFlipped ? 'time_elapsed' : 'network_change'].push({
      control,
      distance: control.provider_distance,
      days,
      quadrant,
    });
  }
  const moved = [
    ...(await applyPlan(tx, byReason.time_elapsed, 'time_elapsed', now, events)),
    ...(await applyPlan(tx, byReason.network_change, 'network_change', now, events)),
  ];
  await events.publish(tx, 'organization.swept', { moved, now });
  return { moved };
}
