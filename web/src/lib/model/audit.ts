// Plain-language reading of audit rows: what changed in an update (field: before → after, the
// bookkeeping columns left out), and the query string of the audit filters.
export type AuditRow = {
  id: number;
  actor_user_id: string | null;
  action: 'insert' | 'update' | 'delete';
  entity_type: string;
  entity_id: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  request_id: string | null;
  occurred_at: string;
};

export type AuditFilters = {
  entity_type: string;
  actor_user_id: string;
  action: string;
  /** YYYY-MM-DD, local days: from the start of `from` to the end of `to`. */
  from: string;
  to: string;
};

const BOOKKEEPING = new Set(['updated_at', 'created_at', 'organization_id', 'id']);

const show = (value: unknown): string => {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'object') return JSON.stringify(value);
  const text = String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
};

/** "field: before → after" for every field an update changed. */
export function changes(row: Pick<AuditRow, 'action' | 'before' | 'after'>): string[] {
  if (row.action !== 'update' || !row.before || !row.after) return [];
  const fields = new Set([...Object.keys(row.before), ...Object.keys(row.after)]);
  const out: string[] = [];
  for (const field of fields) {
    if (BOOKKEEPING.has(field)) continue;
    const before = row.before[field];
    const after = row.after[field];
    if (JSON.stringify(before) === JSON.stringify(after)) continue;
    out.push(`${field}: ${show(before)} → ${show(after)}`);
  }
  return out;
}

/** A short name for the row's subject: its name, e-mail or service name when it has one. */
export function subject(row: Pick<AuditRow, 'before' | 'after'>): string {
  const source = row.after ?? row.before ?? {};
  for (const key of ['name', 'service_name', 'email', 'quadrant', 'trace_type']) {
    if (typeof source[key] === 'string') return source[key] as string;
  }
  return '';
}

/** The API query for the filters (empty ones left out); days become instants in local time. */
export function auditQuery(filters: AuditFilters): URLSearchParams {
  const query = new URLSearchParams();
  if (filters.entity_type) query.set('entity_type', filters.entity_type);
  if (filters.actor_user_id) query.set('actor_user_id', filters.actor_user_id);
  if (filters.action) query.set('action', filters.action);
  if (filters.from) query.set('from', new Date(`${filters.from}T00:00:00`).toISOString());
  if (filters.to) {
    const end = new Date(`${filters.to}T00:00:00`);
    end.setDate(end.getDate() + 1);
    query.set('to', end.toISOString());
  }
  return query;
}
