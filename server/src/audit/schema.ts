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
    action: z.enum(['insert', 'update', 'delete']).optional(),
    before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();
export type AuditQuery = z.infer<typeof auditQuery>;
