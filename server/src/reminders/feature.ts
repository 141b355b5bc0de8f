// Owns the reminders feature's wiring: the listener of organization.swept (reminders/sweep.ts,
// inside each organisation's sweep transaction), the dispatcher that sends digests and webhook deliveries
// (started on ready except under NODE_ENV=test, where tests call app.deliverReminders()), and
// the routes of the inbox and of the webhooks.
import { defineFeature } from '../app.ts';
import { createDispatcher, type DispatchResult } from './dispatch.ts';
import { registerInboxRoutes } from './inbox-routes.ts';
import { createMailer } from './mail.ts';
import { createReminderMetrics } from './metrics.ts';
import { sweepReminders } from './sweep.ts';
import { registerWebhookRoutes } from './webhook-routes.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Sends the digests and webhook deliveries that are due now (`only`: these organisations). */
    deliverReminders: (options?: { only?: string[] }) => Promise<DispatchResult>;
  }
}

export const remindersFeature = defineFeature(
  { name: 'reminders', dependencies: ['identity', 'classification'], decoratesApp: true },
  async (app, deps) => {
    const metrics = createReminderMetrics(deps.metrics);
    const { smtpUrl, mailFrom } = deps.config.reminders;
    const mail = smtpUrl !== undefined && mailFrom !== undefined;
    deps.events.on('organization.swept', async (tx, event) => {
      const made = await sweepReminders(tx, event.now, { mail });
      for (const kind of ['due_soon', 'overdue'] as const) {
        if (made.notifications[kind] > 0) metrics.notifications.inc({ kind }, made.notifications[kind]);
      }
    });
    const dispatcher = createDispatcher({
      db: deps.db,
      config: deps.config,
      clock: deps.clock,
      log: deps.log,
      metrics,
      mailer: mail ? createMailer(smtpUrl, mailFrom) : undefined,
    });
    app.decorate('deliverReminders', (options?: { only?: string[] }) => dispatcher.runOnce(options));
    if (deps.config.env !== 'test') app.addHook('onReady', async () => dispatcher.start());
    app.addHook('onClose', () => dispatcher.stop());

    registerInboxRoutes(app, deps);
    registerWebhookRoutes(app, deps);
  },
);
