// Query and response schemas of GET /api/audit.
import { z } from 'zod';
import { rowOf } from '../http/responses.ts';

/** The filters shared by the page and the CSV export. */
const filters = {
  entity_type: z
    .string()
    .regex(/^[a-z_]{1,63}$/, 'a table name such as controls')
    .optional(),
  entity_id: z.guid().optional(),
  actor_user_id: z.guid().optional(),
  /** Same as actor_user_id. */
  user_id: z.guid().optional(),
  action: z.enum(['insert', 'update', 'delete']).optional(),
  /** Changes at or after this instant (ISO time with offset). */
  from: z.iso.datetime({ offset: true }).optional(),
  /** Changes before this instant. */
  to: z.iso.datetime({ offset: true }).optional(),
};

const sameActor = (query: { user_id?: string | undefined; actor_user_id?: string | undefined }) =>
  query.user_id === undefined || query.actor_user_id === undefined || query.user_id === query.actor_user_id;
const actorMessage = {
  message: 'user_id and actor_user_id name the same filter; give one.',
  path: ['user_id'],
};
const ordered = (query: { from?: string | undefined; to?: string | undefined }) =>
  query.from === undefined || query.to === undefined || Date.parse(query.from) < Date.parse(query.to);
const orderMessage = { message: 'from must be before to.', path: ['to'] };

export const auditQuery = z
  .object({
    ...filters,
    before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
    offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict()
  .refine((query) => query.before === undefined || query.offset === undefined, {
    message: 'Use either before (the next_before of the previous page) or offset, not both.',
    path: ['offset'],
  })
  .refine(sameActor, actorMessage)
  .refine(ordered, orderMessage);
export type AuditQuery = z.infer<typeof auditQuery>;

export const auditExportQuery = z
  .object(filters)
  .strict()
  .refine(sameActor, actorMessage)
  .refine(ordered, orderMessage);
export type AuditFilters = z.infer<typeof auditExportQuery>;

/** An audit row (audit/service.ts COLUMNS); before and after are the row's JSON images. */
export const auditRow = rowOf({
  id: 'int8',
  organization_id: 'uuid',
  actor_user_id: 'uuid?',
  action: 'text',
  entity_type: 'text',
  entity_id: 'uuid?',
  before: 'jsonb',
  after: 'jsonb',
  request_id: 'text?',
  occurred_at: 'timestamptz',
});

/** A page, newest first; `next_before` is the `before` of the next page, null on the last. */
export const auditPage = z.object({ data: z.array(auditRow), next_before: z.number().int().nullable() });
