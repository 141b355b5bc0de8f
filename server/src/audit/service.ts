// Owns reading the audit trail. Rows are the trigger's: who (actor_user_id), what (action,
// entity_type, entity_id, before, after), when (occurred_at) and which request (request_id).
// The page and the CSV export share one filter (entity, actor, action, time range).
import { stringify } from 'csv-stringify/sync';
import { protectCell } from '../csv/cells.ts';
import type { Tx } from '../db/tenant.ts';
import type { AuditFilters, AuditQuery } from './schema.ts';

/** The newest rows an export holds at most (narrow the filters for older ones). */
export const AUDIT_EXPORT_LIMIT = 50_000;

const COLUMNS = `id, organization_id, actor_user_id, action, entity_type, entity_id, before, after, request_id,
  occurred_at`;

/**
 * The WHERE clause of the filters, with its parameters numbered from $1. `table` is a constant
 * alias (never input) for queries that join.
 */
function where(filters: AuditFilters, table: '' | 'a.' = ''): { sql: string; params: unknown[] } {
  const t = table;
  return {
    sql: `($1::text IS NULL OR ${t}entity_type = $1) AND ($2::uuid IS NULL OR ${t}entity_id = $2)
      AND ($3::uuid IS NULL OR ${t}actor_user_id = $3) AND ($4::text IS NULL OR ${t}action = $4)
      AND ($5::timestamptz IS NULL OR ${t}occurred_at >= $5) AND ($6::timestamptz IS NULL OR ${t}occurred_at < $6)`,
    params: [
      filters.entity_type ?? null,
      filters.entity_id ?? null,
      filters.actor_user_id ?? filters.user_id ?? null,
      filters.action ?? null,
      filters.from ?? null,
      filters.to ?? null,
    ],
  };
}

export async function listAudit(tx: Tx, query: AuditQuery) {
  const filter = where(query);
  const { rows } = await tx.query(
    `SELECT ${COLUMNS} FROM audit_log
      WHERE ${filter.sql} AND ($7::bigint IS NULL OR id < $7)
      ORDER BY id DESC LIMIT $8 OFFSET $9`,
    [...filter.params, query.before ?? null, query.limit + 1, query.offset ?? 0],
  );
  const page = rows.slice(0, query.limit);
  const more = rows.length > query.limit;
  return { data: page, next_before: more ? page[page.length - 1]!.id : null };
}

export const AUDIT_EXPORT_COLUMNS = [
  'id',
  'occurred_at',
  'actor_user_id',
  'actor_email',
  'action',
  'entity_type',
  'entity_id',
  'request_id',
  'before',
  'after',
] as const;

type ExportRow = {
  id: string;
  occurred_at: Date;
  actor_user_id: string | null;
  actor_email: string | null;
  action: string;
  entity_type: string;
  entity_id: string | null;
  request_id: string | null;
  before: unknown;
  after: unknown;
};

/** The filtered trail as CSV, newest first; before/after as JSON text, formula-safe. */
export async function exportAuditCsv(tx: Tx, filters: AuditFilters): Promise<string> {
  const filter = where(filters, 'a.');
  const { rows } = await tx.query<ExportRow>(
    `SELECT a.id::text, a.occurred_at, a.actor_user_id, u.email AS actor_email, a.action, a.entity_type,
            a.entity_id, a.request_id, a.before, a.after
       FROM audit_log a LEFT JOIN users u ON u.id = a.actor_user_id
      WHERE ${filter.sql}
      ORDER BY a.id DESC LIMIT $7`,
    [...filter.params, AUDIT_EXPORT_LIMIT],
  );
  const json = (value: unknown) => (value === null ? '' : protectCell(JSON.stringify(value)));
  const records = rows.map((row) => [
    row.id,
    row.occurred_at.toISOString(),
    row.actor_user_id ?? '',
    row.actor_email === null ? '' : protectCell(row.actor_email),
    row.action,
    row.entity_type,
    row.entity_id ?? '',
    row.request_id === null ? '' : protectCell(row.request_id),
    json(row.before),
    json(row.after),
  ]);
  return stringify([[...AUDIT_EXPORT_COLUMNS], ...records], { record_delimiter: 'windows' });
}
