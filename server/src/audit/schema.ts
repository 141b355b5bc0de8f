// Query schema of GET /api/audit.
import { z } from 'zod';

export const auditQuery = z
  .object({
    entity_type: z
      .string()
      .regex(/^[a-z_]{1,63}$/, 'a table name such as controls')
      .optional(),
    entity_id: z.guid().optional(),
    actor_user_id: z.guid().optional(),
    /** Same as actor_user_id. */
    user_id: z.guid().optional(),
    action: z.enum(['insert', 'update', 'delete']).optional(),
    before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
    offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict()
  .refine((query) => query.before === undefined || query.offset === undefined, {
    message: 'Use either before (the next_before of the previous page) or offset, not both.',
    path: ['offset'],
  })
  .refine(
    (query) =>
      query.user_id === undefined ||
      query.actor_user_id === undefined ||
      query.user_id === query.actor_user_id,
    { message: 'user_id and actor_user_id name the same filter; give one.', path: ['user_id'] },
  );
export type AuditQuery = z.infer<typeof auditQuery>;
