// Owns organizational traces: the paper trail (maintenance requests, incident reports, training
// records, ...) that says a control is in use or in trouble. A trace on a control is a risk
// input, so every change publishes traces.changed (the predictions feature re-scores that
// control) in the same transaction.
import type { Tx } from '../db/tenant.ts';
import type { EventPublisher } from '../events/bus.ts';
import { notFound, validationError } from '../http/errors.ts';
import type { TraceCreate, TraceListQuery, TracePatch } from './schema.ts';

export async function listTraces(tx: Tx, query: TraceListQuery) {
  const { rows } = await tx.query(
    `SELECT * FROM organizational_traces
      WHERE ($1::text IS NULL OR trace_type = $1) AND ($2::uuid IS NULL OR control_id = $2)
      ORDER BY recorded_at DESC, id LIMIT $3 OFFSET $4`,
    [query.trace_type ?? null, query.control_id ?? null, query.limit, query.offset],
  );
  return rows;
}

export async function getTrace(tx: Tx, id: string) {
  const { rows } = await tx.query(`SELECT * FROM organizational_traces WHERE id = $1`, [id]);
  if (!rows[0]) throw notFound('Trace');
  return rows[0];
}

/** How far ahead of the server clock a client's recorded_at may be (clock skew), as for interactions. */
const FUTURE_SKEW_MS = 5 * 60_000;

export async function createTrace(
  tx: Tx,
  input: TraceCreate,
  userId: string,
  now: Date,
  events: EventPublisher,
) {
  if (input.recorded_at && Date.parse(input.recorded_at) > now.getTime() + FUTURE_SKEW_MS) {
    throw validationError('recorded_at is in the future.', { field: 'recorded_at' });
  }
  const { rows } = await tx.query(
    `INSERT INTO organizational_traces
       (organization_id, control_id, trace_type, description, severity, recorded_by_user_id, recorded_at,
        related_incident_id)
     VALUES (NULLIF(current_setting('app.current_org_id', true), '')::uuid, $1, $2, $3, $4, $5, $6, $7)
     RETURNING *`,
    [
      input.control_id ?? null,
      input.trace_type,
      input.description ?? null,
      input.severity ?? 'low',
      userId,
      input.recorded_at ?? now,
      input.related_incident_id ?? null,
    ],
  );
  const trace = rows[0];
  if (trace.control_id) await events.publish(tx, 'traces.changed', { controlIds: [trace.control_id], now });
  return trace;
}

/**
 * Updates a trace's account, severity or resolution. `resolved: true` stamps now and the
 * caller (again on an already resolved trace: the latest resolver); `false` reopens it.
 */
export async function updateTrace(
  tx: Tx,
  id: string,
  patch: TracePatch,
  userId: string,
  now: Date,
  events: EventPublisher,
) {
  const before = await getTrace(tx, id);
  const resolve = patch.resolved;
  const { rows } = await tx.query(
    `UPDATE organizational_traces SET
        description = CASE WHEN $2 THEN $3 ELSE description END,
        severity = COALESCE($4, severity),
        resolution = CASE WHEN $5 THEN $6 ELSE resolution END,
        resolved_at = CASE WHEN $7::boolean IS NULL THEN resolved_at WHEN $7 THEN $8::timestamptz END,
        resolved_by_user_id = CASE WHEN $7::boolean IS NULL THEN resolved_by_user_id WHEN $7 THEN $9::uuid END
      WHERE id = $1 RETURNING *`,
    [
      id,
      patch.description !== undefined,
      patch.description ?? null,
      patch.severity ?? null,
      patch.resolution !== undefined,
      patch.resolution ?? null,
      resolve ?? null,
      now,
      userId,
    ],
  );
  if (before.control_id) await events.publish(tx, 'traces.changed', { controlIds: [before.control_id], now });
  return rows[0];
}

export async function deleteTrace(tx: Tx, id: string, now: Date, events: EventPublisher) {
  const { rows } = await tx.query(`DELETE FROM organizational_traces WHERE id = $1 RETURNING *`, [id]);
  if (!rows[0]) throw notFound('Trace');
  if (rows[0].control_id)
    await events.publish(tx, 'traces.changed', { controlIds: [rows[0].control_id], now });
  return rows[0];
}
