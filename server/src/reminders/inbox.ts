// Owns the inbox: a person's own notifications (RLS keeps them in the organisation; every
// query also filters on the caller's user id, so one member never reads another's inbox).
import type { Tx } from '../db/tenant.ts';
import { notFound } from '../http/errors.ts';
import type { Notification } from './schema.ts';

const SELECT = `
  SELECT n.id, n.reminder_id, r.control_id, c.name AS control_name, r.kind,
         to_char(r.due_on, 'YYYY-MM-DD') AS due_on, r.quadrant, r.escalated, n.created_at, n.read_at
    FROM notifications n
    JOIN reminders r ON r.id = n.reminder_id
    JOIN controls c ON c.id = r.control_id`;

type Row = Omit<Notification, 'message'>;

export function messageOf(row: Pick<Row, 'control_name' | 'kind' | 'due_on' | 'escalated'>): string {
  if (row.kind === 'due_soon') return `${row.control_name} is due on ${row.due_on}.`;
  return `${row.control_name} is overdue: it was due on ${row.due_on}${row.escalated ? ' (escalated to admins and owners)' : ''}.`;
}

const present = (row: Row): Notification => ({ ...row, message: messageOf(row) });

export async function listNotifications(
  tx: Tx,
  userId: string,
  query: { unread?: 'true' | 'false' | undefined; limit: number },
): Promise<{ data: Notification[]; unread: number }> {
  const { rows } = await tx.query<Row>(
    `${SELECT} WHERE n.user_id = $1 AND ($2::boolean IS NOT TRUE OR n.read_at IS NULL)
      ORDER BY n.created_at DESC, n.id LIMIT $3`,
    [userId, query.unread === 'true', query.limit],
  );
  return { data: rows.map(present), unread: await unreadCount(tx, userId) };
}

export async function unreadCount(tx: Tx, userId: string): Promise<number> {
  const { rows } = await tx.query<{ count: string }>(
    'SELECT count(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL',
    [userId],
  );
  return Number(rows[0]!.count);
}

export async function markRead(tx: Tx, userId: string, id: string, now: Date): Promise<Notification> {
  const { rowCount } = await tx.query(
    'UPDATE notifications SET read_at = coalesce(read_at, $3) WHERE id = $1 AND user_id = $2',
    [id, userId, now],
  );
  if (rowCount === 0) throw notFound('Notification');
  const { rows } = await tx.query<Row>(`${SELECT} WHERE n.id = $1`, [id]);
  return present(rows[0]!);
}

export async function markAllRead(tx: Tx, userId: string, now: Date): Promise<number> {
  const { rowCount } = await tx.query(
    'UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL',
    [userId, now],
  );
  return rowCount ?? 0;
}
