// Owns /api/notifications: the caller's own inbox (every role): list, unread count, mark one
// or all read. Another person's notification is 404, like another organisation's.
import type { App, FeatureDeps } from '../app.ts';
import { authOf } from '../http/request-auth.ts';
import { responses } from '../http/responses.ts';
import { inTenant, readInTenant } from '../http/tenant-context.ts';
import { listNotifications, markAllRead, markRead, unreadCount } from './inbox.ts';
import {
  idParams,
  notificationListResponse,
  notificationResponse,
  notificationsQuery,
  readAllResponse,
  unreadCountResponse,
} from './schema.ts';

const security = [{ bearerAuth: [] }];
const tags = ['notifications'];

export function registerInboxRoutes(app: App, deps: FeatureDeps): void {
  app.get(
    '/api/notifications',
    {
      onRequest: [app.authenticate],
      schema: {
        tags,
        security,
        summary:
          'My notifications (controls coming due or overdue), newest first; ?unread=true for unread only',
        querystring: notificationsQuery,
        response: responses({ 200: notificationListResponse }),
      },
    },
    async (request) =>
      readInTenant(deps.db, request, (tx) => listNotifications(tx, authOf(request).userId, request.query)),
  );

  app.get(
    '/api/notifications/unread-count',
    {
      onRequest: [app.authenticate],
      schema: {
        tags,
        security,
        summary: 'How many of my notifications are unread',
        response: responses({ 200: unreadCountResponse }),
      },
    },
    async (request) => ({
      count: await readInTenant(deps.db, request, (tx) => unreadCount(tx, authOf(request).userId)),
    }),
  );

  app.post(
    '/api/notifications/:id/read',
    {
      onRequest: [app.authenticate],
      schema: {
        tags,
        security,
        summary: 'Mark one of my notifications read (repeating it changes nothing)',
        params: idParams,
        response: responses({ 200: notificationResponse }),
      },
    },
    async (request) => ({
      data: await inTenant(deps.db, request, (tx) =>
        markRead(tx, authOf(request).userId, request.params.id, deps.clock.now()),
      ),
    }),
  );

  app.post(
    '/api/notifications/read-all',
    {
      onRequest: [app.authenticate],
      schema: {
        tags,
        security,
        summary: 'Mark all my notifications read',
        response: responses({ 200: readAllResponse }),
      },
    },
    async (request) => ({
      marked: await inTenant(deps.db, request, (tx) =>
        markAllRead(tx, authOf(request).userId, deps.clock.now()),
      ),
    }),
  );
}
