// Owns reading the audit trail. Rows are the trigger's: who (actor_user_id), what (action,
// entity_type, entity_id, before, after), when (occurred_at) and which request (request_id).
import type { Tx } from '../db/tenant.ts';
import type { AuditQuery } from './schema.ts';

export async function listAudit(tx: Tx, query: AuditQuery) {
  const { rows } = await tx.query(
    `SELECT id, organization_id, actor_user_id, action, entity_type, entity_id, before, after, request_id,
            occurred_at
       FROM audit_log
      WHERE ($1::text IS NULL OR entity_type = $1) AND ($2::uuid IS NULL OR entity_id = $2)
        AND ($3::uuid IS NULL OR actor_user_id = $3) AND ($4::text IS NULL OR action = $4)
        AND ($5::bigint IS NULL OR id < $5)
      ORDER BY id DESC LIMIT $6 OFFSET $7`,
    [
      query.entity_type ?? null,
      query.entity_id ?? null,
      query.actor_user_id ?? query.user_id ?? null,
      query.action ?? null,
      query.before ?? null,
      query.limit + 1,
      query.offset ?? 0,
    ],
  );
  const page = rows.slice(0, query.limit);
  const more = rows.length > query.limit;
  return { data: page, next_before: more ? page[page.length - 1]!.id : null };
}
