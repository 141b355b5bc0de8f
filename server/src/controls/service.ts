// Owns the controls commands: create, update, delete, and the touch (an interaction), each
// running inside the caller's tenant transaction. Classification follows every change that
// can move a control (classification/service.ts), and the changes are published as domain
// events (controls.reclassified, interaction.recorded); the history routes read it back.

import { randomUUID } from 'node:crypto';
import { daysSince, distanceOf, type Quadrant, quadrantOf, RISK_WINDOW_DAYS } from '@sertantai/core';
import type pg from 'pg';
import {
  loadDistances,
  loadThresholds,
  lockNetwork,
  reclassifyByNetwork,
  recordClassifications,
} from '../classification/service.ts';
import { type TenantContext, type Tx, tenantRead } from '../db/tenant.ts';
import { updateColumns } from '../db/update-columns.ts';
import type { EventPublisher } from '../events/bus.ts';
import { conflict, notFound, validationError } from '../http/errors.ts';
import { attentionInputs, attentionOfRows } from '../strategies/attention.ts';
import { CONTROL_COLUMNS } from './columns.ts';
import type { CreateControlInput, HistoryQuery, InteractionInput, UpdateControlInput } from './schema.ts';

export type Row = Record<string, unknown> & { id: string };
/** A write's result; `replayed` when a client-made id was already recorded (txid is then the original's). */
export type Written<T> = { row: T; replayed: boolean; replayTxid?: number };

/** How far ahead of the server clock a client's occurred_at may be (clock skew). */
const FUTURE_SKEW_MS = 5 * 60_000;
/**
 * How far back a touch may be dated: the risk model's window. Older evidence would count for
 * nothing, and a long back-date is more likely a typo than a memory.
 */
const MAX_BACKDATE_DAYS = RISK_WINDOW_DAYS;

/** A prepared statement where the pool prepares them (db/prepared.ts): one text, columns by name. */
const READ_CONTROL = `SELECT ${CONTROL_COLUMNS}, ${attentionInputs('$2')} FROM controls c WHERE c.id = $1`;

/** One control with its attention reasons, in one round trip with its read-only transaction. */
export async function readControl(
  pool: pg.Pool,
  context: TenantContext,
  id: string,
  now: Date,
): Promise<Row> {
  const rows = await tenantRead(pool, context, READ_CONTROL, [id, now]);
  if (!rows[0]) throw notFound('Control');
  const reasons = attentionOfRows(rows, now);
  const row = rows[0] as Row;
  row.attention = reasons.get(row.id) ?? [];
  return row;
}

export async function getControl(tx: Tx, id: string, lock = false): Promise<Row> {
  const { rows } = await tx.query(`SELECT * FROM controls WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  if (!rows[0]) throw notFound('Control');
  return rows[0];
}

export async function createControl(
  tx: Tx,
  input: CreateControlInput,
  now: Date,
  events: EventPublisher,
): Promise<Written<Row>> {
  if (input.id) {
    const existing = await tx.query(`SELECT *, xmin::text AS "_xmin" FROM controls WHERE id = $1`, [
      input.id,
    ]);
    if (existing.rows[0]) return replay(existing.rows[0]);
  }
  const [id] = await createControls(tx, [input], now, events);
  // Listeners (risk scoring) may have written to the row: answer with what was committed.
  return { row: await getControl(tx, id!), replayed: false };
}

/**
 * Creates controls: distance from the network, quadrant from the thresholds, a 'created'
 * classification row each and one controls.reclassified event, with the thresholds and the
 * network loaded once and one statement per step, so an import of 500 controls costs what one
 * control costs (POST /api/controls and the seed pass one). Answers the ids in input order.
 */
export async function createControls(
  tx: Tx,
  controls: CreateControlInput[],
  now: Date,
  events: EventPublisher,
): Promise<string[]> {
  if (controls.length === 0) return [];
  const withProvider = controls.some((control) => (control.primary_provider_id ?? null) !== null);
  // Distances read under the network lock cannot be outdated by a link changed meanwhile.
  if (withProvider) await lockNetwork(tx);
  const thresholds = await loadThresholds(tx);
  const distances = withProvider ? await loadDistances(tx) : new Map<string, number>();
  const planned = controls.map((control) => {
    const providerId = control.primary_provider_id ?? null;
    const distance = distanceOf(providerId, distances);
    // Ids made here (or the client's), so each classification row pairs with its control
    // without relying on the order of RETURNING.
    const id = control.id ?? randomUUID();
    return { id, control, providerId, distance, quadrant: quadrantOf(null, distance, thresholds) };
  });
  const ids = planned.map((p) => p.id);
  await tx.query(
    `INSERT INTO controls (id, organization_id, name, description, control_type, functional_range,
        primary_provider_id, owned_by_user, requires_refresher_training, provider_distance, current_quadrant)
     SELECT u.id, NULLIF(current_setting('app.current_org_id', true), '')::uuid, u.name, u.description,
            u.control_type, u.functional_range, u.provider, u.owner, u.refresher, u.distance, u.quadrant
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::uuid[],
                   $8::boolean[], $9::numeric[], $10::text[])
            AS u(id, name, description, control_type, functional_range, provider, owner, refresher, distance, quadrant)`,
    [
      ids,
      planned.map((p) => p.control.name),
      planned.map((p) => p.control.description ?? null),
      planned.map((p) => p.control.control_type),
      planned.map((p) => p.control.functional_range),
      planned.map((p) => p.providerId),
      planned.map((p) => p.control.owned_by_user ?? null),
      planned.map((p) => p.control.requires_refresher_training ?? false),
      planned.map((p) => p.distance),
      planned.map((p) => p.quadrant),
    ],
  );
  await recordClassifications(
    tx,
    planned.map((p) => ({
      control_id: p.id,
      quadrant: p.quadrant,
      previous_quadrant: null,
      time_since_touched_days: null,
      provider_distance: p.distance,
    })),
    'created',
    now,
  );
  await events.publish(tx, 'controls.reclassified', { controlIds: ids, reason: 'created', now });
  return ids;
}

const UPDATABLE = [
  'name',
  'description',
  'control_type',
  'functional_range',
  'primary_provider_id',
  'owned_by_user',
  'requires_refresher_training',
] as const;

export async function updateControl(
  tx: Tx,
  id: string,
  input: UpdateControlInput,
  now: Date,
  events: EventPublisher,
): Promise<Row> {
  // The network lock comes before the row lock, in the same order every network change takes them.
  if (input.primary_provider_id !== undefined) await lockNetwork(tx);
  const before = await getControl(tx, id, true);
  const row = await updateColumns(tx, 'controls', id, UPDATABLE, input);
  if (
    input.primary_provider_id !== undefined &&
    (input.primary_provider_id ?? null) !== (before.primary_provider_id ?? null)
  ) {
    await reclassifyByNetwork(tx, 'provider_change', now, events, [id]);
    return getControl(tx, id);
  }
  return row as Row;
}

export async function deleteControl(tx: Tx, id: string): Promise<Row> {
  const { rows } = await tx.query(`DELETE FROM controls WHERE id = $1 RETURNING *`, [id]);
  if (!rows[0]) throw notFound('Control');
  return rows[0] as Row;
}

export type Touch = { interaction: Row; control: Row };

/**
 * Records an interaction and its effect in one transaction: the control is locked, its
 * last_touched_at/_by move forward, the quadrant is recomputed with the organisation's
 * thresholds, and a move writes a classification row (reason touch). A repeated client id
 * returns what was recorded the first time and changes nothing.
 */
export async function touchControl(
  tx: Tx,
  controlId: string,
  userId: string,
  input: InteractionInput,
  now: Date,
  events: EventPublisher,
): Promise<Written<Touch>> {
  const control = await getControl(tx, controlId, true);
  if (input.id) {
    const existing = await tx.query(
      `SELECT *, xmin::text AS "_xmin" FROM control_interactions WHERE id = $1`,
      [input.id],
    );
    const found = existing.rows[0];
    if (found) {
      if (found.control_id !== controlId) {
        throw conflict('This interaction id is already used for another control.', { field: 'id' });
      }
      const { row, replayTxid } = replay(found);
      return { row: { interaction: row, control }, replayed: true, replayTxid };
    }
  }
  const occurredAt = input.occurred_at ? new Date(input.occurred_at) : now;
  if (occurredAt.getTime() > now.getTime() + FUTURE_SKEW_MS) {
    throw validationError('occurred_at is in the future.', { field: 'occurred_at' });
  }
  if (occurredAt.getTime() < now.getTime() - MAX_BACKDATE_DAYS * 86_400_000) {
    throw validationError(`occurred_at may be at most ${MAX_BACKDATE_DAYS} days in the past.`, {
      field: 'occurred_at',
      max_days_back: MAX_BACKDATE_DAYS,
    });
  }
  const previousTouch = control.last_touched_at as Date | null;
  const lastTouchedAt = previousTouch && previousTouch > occurredAt ? previousTouch : occurredAt;
  const thresholds = await loadThresholds(tx);
  const before = control.current_quadrant as Quadrant;
  const distance = control.provider_distance as number | null;
  const days = daysSince(lastTouchedAt, now);
  const after = quadrantOf(days, distance, thresholds);

  const inserted = await tx.query(
    `INSERT INTO control_interactions (id, organization_id, control_id, user_id, interaction_type, duration_minutes,
        notes, issues_found, quadrant_before, quadrant_after, occurred_at)
     VALUES (COALESCE($1::uuid, gen_random_uuid()), NULLIF(current_setting('app.current_org_id', true), '')::uuid,
        $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (id) DO NOTHING
     RETURNING *`,
    [
      input.id ?? null,
      controlId,
      userId,
      input.interaction_type,
      input.duration_minutes ?? null,
      input.notes ?? null,
      input.issues_found ?? false,
      before,
      after,
      occurredAt,
    ],
  );
  // Invisible to us yet taken: the id belongs to another organisation's row.
  if (!inserted.rows[0]) throw conflict('This interaction id is already in use.', { field: 'id' });
  await tx.query(
    `UPDATE controls SET last_touched_at = $2, last_touched_by_user_id = $3, current_quadrant = $4 WHERE id = $1`,
    [controlId, lastTouchedAt, userId, after],
  );
  if (after !== before) {
    await recordClassifications(
      tx,
      [
        {
          control_id: controlId,
          quadrant: after,
          previous_quadrant: before,
          time_since_touched_days: days,
          provider_distance: distance,
        },
      ],
      'touch',
      now,
    );
  }
  await events.publish(tx, 'controls.reclassified', { controlIds: [controlId], reason: 'touch', now });
  const interaction = inserted.rows[0] as Row;
  await events.publish(tx, 'interaction.recorded', {
    controlId,
    interactionId: interaction.id,
    interactionType: input.interaction_type,
    issuesFound: input.issues_found ?? false,
    occurredAt,
    now,
  });
  // Read after the listeners (risk scoring) so the answer carries everything this touch changed.
  return {
    row: { interaction, control: await getControl(tx, controlId) },
    replayed: false,
  };
}

export async function listInteractions(tx: Tx, controlId: string, query: HistoryQuery): Promise<Row[]> {
  await getControl(tx, controlId);
  const { rows } = await tx.query(
    `SELECT * FROM control_interactions WHERE control_id = $1
      ORDER BY occurred_at DESC, xmin::text::bigint DESC, id DESC LIMIT $2 OFFSET $3`,
    [controlId, query.limit, query.offset ?? 0],
  );
  return rows;
}

/**
 * Newest first. Moves recorded at the same instant (a touch and a network change within one
 * clock tick) are ordered by their writing transaction (xmin: later transactions have larger
 * ids), and a creation always sorts as the oldest.
 */
export async function listClassifications(tx: Tx, controlId: string, query: HistoryQuery): Promise<Row[]> {
  await getControl(tx, controlId);
  const { rows } = await tx.query(
    `SELECT * FROM quadrant_classifications WHERE control_id = $1
      ORDER BY classified_at DESC, xmin::text::bigint DESC, (reason = 'created'), id DESC LIMIT $2 OFFSET $3`,
    [controlId, query.limit, query.offset ?? 0],
  );
  return rows;
}

/** A row found by its client-made id: strip the helper column, keep the writing transaction's id. */
function replay(found: Row): Written<Row> & { replayTxid: number } {
  const { _xmin, ...row } = found;
  return { row: row as Row, replayed: true, replayTxid: Number(_xmin) };
}
