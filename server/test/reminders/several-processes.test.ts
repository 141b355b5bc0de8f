// Issue 14 item 5, the acceptance test: an owner of an organisation with escalation enabled and
// an overdue control gets the digest at the next sweep, naming the control, and the webhook gets
// one signed delivery — with two app instances (two processes' worth of sweepers and
// dispatchers) on one database, sweeping and dispatching at the same time and again after.
// Exactly one e-mail and one webhook request arrive.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { buildWorld, call, insertControl, sql, type World } from '../domain/world.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { startHttpReceiver, startSmtpReceiver, sweepNow } from './receivers.ts';

let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
let receiver: Awaited<ReturnType<typeof startHttpReceiver>>;
let a: TestApp;
let b: TestApp;
let w: World;
const clock = new ManualClock(new Date('2026-03-02T09:00:00Z'));

beforeAll(async () => {
  [smtp, receiver] = await Promise.all([startSmtpReceiver(), startHttpReceiver()]);
  const env = {
    SMTP_URL: smtp.url,
    MAIL_FROM: 'Sertantai <reminders@example.test>',
    WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true', // the receiver listens on loopback
  };
  [a, b] = await Promise.all([createTestApp({ env, clock }), createTestApp({ env, clock })]);
  w = await buildWorld(a);
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await Promise.all([smtp?.close(), receiver?.close()]);
});

it('sends one digest and one webhook delivery, whatever the number of processes and rounds', async () => {
  await sql(a, w.orgId, `UPDATE verification_strategies SET escalation_enabled = true`);
  // A control with a close provider last touched 100 days ago, owned by a member: the sweep
  // moves it from Self to Specialist (due every 90 days), where it is overdue, and escalated to
  // the admin and owner.
  const controlId = await insertControl(a, w.orgId, {
    name: 'Forklift brake check',
    quadrant: 'self',
    last_touched_at: new Date(clock.now().getTime() - 100 * 86_400_000),
  });
  await sql(a, w.orgId, 'UPDATE controls SET owned_by_user = $1 WHERE id = $2', [w.member.id, controlId]);
  const created = await call(a, w.admin, 'POST', '/api/webhooks', {
    url: `${receiver.url}/hooks/sertantai`,
    description: 'incident desk',
  });
  expect(created.statusCode).toBe(201);
  const { secret } = created.json() as { secret: string };
  expect(secret).toMatch(/^whsec_/);

  const only = [w.orgId];
  // Slow receivers: the second process looks for work while the first is still sending.
  smtp.delay.ms = 150;
  receiver.delay.ms = 150;
  // Both processes sweep at once (the advisory lock lets one through) and one after the other
  // (the unique keys add nothing); one dispatches while the other is sending (the claim's lease
  // hides the rows), both at once (the row locks let one claim); then everything again.
  for (let round = 0; round < 2; round += 1) {
    await Promise.all([a.app.runSweep({ only }), b.app.runSweep({ only })]);
    await sweepNow(b.app, w.orgId);
    const sending = a.app.deliverReminders({ only });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await b.app.deliverReminders({ only });
    await sending;
    await Promise.all([a.app.deliverReminders({ only }), b.app.deliverReminders({ only })]);
  }

  const ownerMails = smtp.mails.filter((mail) => mail.to.includes(w.owner.email));
  expect(ownerMails).toHaveLength(1);
  expect(ownerMails[0]!.raw).toContain('Forklift brake check');
  expect(ownerMails[0]!.raw).toMatch(/Overdue/);
  // The member who owns the control and the admin get theirs too: one each.
  for (const person of [w.member, w.admin]) {
    expect(smtp.mails.filter((mail) => mail.to.includes(person.email))).toHaveLength(1);
  }
  expect(smtp.mails.filter((mail) => mail.to.includes(w.viewer.email))).toHaveLength(0);

  expect(receiver.requests).toHaveLength(1);
  const request = receiver.requests[0]!;
  expect(request.path).toBe('/hooks/sertantai');
  const expected = `sha256=${createHmac('sha256', secret).update(request.body).digest('hex')}`;
  const given = String(request.headers['x-sertantai-signature']);
  expect(given.length).toBe(expected.length);
  expect(timingSafeEqual(Buffer.from(given), Buffer.from(expected))).toBe(true);
  const body = JSON.parse(request.body);
  expect(body).toMatchObject({ event: 'reminders.created', organization_id: w.orgId });
  expect(body.reminders).toEqual([
    expect.objectContaining({
      control_id: controlId,
      control_name: 'Forklift brake check',
      kind: 'overdue',
      escalated: true,
    }),
  ]);
  expect(request.headers['x-sertantai-delivery']).toBe(body.delivery_id);

  // The delivery log says so, once.
  const log = (await call(a, w.admin, 'GET', '/api/webhooks/deliveries')).json().data;
  expect(log).toEqual([
    expect.objectContaining({ status: 'delivered', attempts: 1, last_status_code: 200, reminders: 1 }),
  ]);

  // Each process counted what it did itself; together: three e-mails sent, one delivery.
  const total = async (name: string, label: string) => {
    let sum = 0;
    for (const app of [a, b]) {
      const metric = await app.metrics.registry.getSingleMetric(name)?.get();
      sum += metric?.values.find((v) => Object.values(v.labels).includes(label))?.value ?? 0;
    }
    return sum;
  };
  expect(await total('reminder_emails_total', 'sent')).toBe(3);
  expect(await total('webhook_delivery_attempts_total', 'delivered')).toBe(1);
});
