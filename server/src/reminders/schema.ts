// Request and response schemas of the reminders routes: the inbox (/api/notifications) and the
// organisation's webhooks (/api/webhooks). Responses are declared so OpenAPI documents them and
// nothing else (a webhook's secret in particular) is ever serialised by accident.
import { z } from 'zod';

const id = z.guid();
const instant = z.date();
const kind = z.enum(['due_soon', 'overdue']);
const quadrant = z.enum(['self', 'specialist', 'service', 'strange']);

export const idParams = z.object({ id }).strict();

export const notificationsQuery = z
  .object({
    unread: z.enum(['true', 'false']).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

export const notificationSchema = z.object({
  id,
  reminder_id: id,
  control_id: id,
  control_name: z.string(),
  kind,
  due_on: z.string(),
  quadrant,
  escalated: z.boolean(),
  message: z.string(),
  created_at: instant,
  read_at: instant.nullable(),
});
export type Notification = z.infer<typeof notificationSchema>;

export const notificationListResponse = z.object({
  data: z.array(notificationSchema),
  unread: z.number().int(),
});
export const notificationResponse = z.object({ data: notificationSchema });
export const unreadCountResponse = z.object({ count: z.number().int() });
export const readAllResponse = z.object({ marked: z.number().int() });

export const webhookCreateSchema = z
  .object({
    url: z.string().trim().min(1).max(2000),
    description: z.string().trim().max(200).optional(),
  })
  .strict();
export type WebhookCreate = z.infer<typeof webhookCreateSchema>;

export const webhookSchema = z.object({
  id,
  url: z.string(),
  description: z.string().nullable(),
  created_by_user_id: id.nullable(),
  created_at: instant,
});
export type Webhook = z.infer<typeof webhookSchema>;

export const webhookListResponse = z.object({ data: z.array(webhookSchema) });
export const webhookCreatedResponse = z.object({
  data: webhookSchema,
  /** Shown once: the receiver verifies X-Sertantai-Signature with it. */
  secret: z.string(),
});

export const deliveriesQuery = z
  .object({
    webhook_id: id.optional(),
    status: z.enum(['pending', 'delivered', 'failed']).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();

export const deliverySchema = z.object({
  id,
  webhook_id: id,
  url: z.string(),
  event: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  reminders: z.number().int(),
  last_status_code: z.number().int().nullable(),
  last_error: z.string().nullable(),
  next_attempt_at: instant.nullable(),
  delivered_at: instant.nullable(),
  created_at: instant,
});
export type Delivery = z.infer<typeof deliverySchema>;
export const deliveryListResponse = z.object({ data: z.array(deliverySchema) });
