// Reminders in one process: who is notified of what (owner, escalation), the inbox routes and
// their isolation, at most one digest per person per day, webhook retries with backoff and the
// delivery log, and the SSRF guard trying the attacks (at save time and at delivery time).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import { buildWorld, call, insertControl, sql, type World } from '../domain/world.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { startHttpReceiver, startSmtpReceiver, sweepNow } from './receivers.ts';

const DAY = 86_400_000;
let smtp: Awaited<ReturnType<typeof startSmtpReceiver>>;
let receiver: Awaited<ReturnType<typeof startHttpReceiver>>;
let t: TestApp;
let guarded: TestApp;
const clock = new ManualClock(new Date('2026-05-04T08:00:00Z'));

beforeAll(async () => {
  [smtp, receiver] = await Promise.all([startSmtpReceiver(), startHttpReceiver()]);
  // The production default: private and loopback addresses refused.
  guarded = await createTestApp({ clock });
  t = await createTestApp({
    clock,
    env: { SMTP_URL: smtp.url, MAIL_FROM: 'reminders@example.test', WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true' },
  });
});
afterAll(async () => {
  await Promise.all([t?.close(), guarded?.close()]);
  await Promise.all([smtp?.close(), receiver?.close()]);
});

const daysAgo = (days: number) => new Date(clock.now().getTime() - days * DAY);
const inbox = async (app: TestApp, user: World['owner'], query = '') =>
  (await call(app, user, 'GET', `/api/notifications${query}`)).json() as {
    data: Array<{ id: string; control_name: string; kind: string; message: string; read_at: string | null }>;
    unread: number;
  };
const mailsTo = (email: string) => smtp.mails.filter((mail) => mail.to.includes(email));

describe('notifications', () => {
  it('a control coming due reminds its owner; an overdue one without escalation too; nobody else', async () => {
    const w = await buildWorld(t);
    // Self, due every 30 days, notice 7 days before: touched 25 days ago → due in 5 days.
    const soon = await insertControl(t, w.orgId, {
      name: 'Eyewash station',
      quadrant: 'self',
      last_touched_at: daysAgo(25),
    });
    // Specialist (close provider, Distant): due every 90 days, touched 100 days ago → overdue.
    const late = await insertControl(t, w.orgId, {
      name: 'Harness inspection',
      quadrant: 'specialist',
      last_touched_at: daysAgo(100),
    });
    await sql(t, w.orgId, 'UPDATE controls SET owned_by_user = $1', [w.member.id]);
    await sweepNow(t.app, w.orgId);

    const mine = await inbox(t, w.member);
    expect(mine.unread).toBe(2);
    expect(mine.data.map((n) => [n.control_name, n.kind]).sort()).toEqual([
      ['Eyewash station', 'due_soon'],
      ['Harness inspection', 'overdue'],
    ]);
    expect(mine.data.find((n) => n.kind === 'due_soon')!.message).toMatch(
      /Eyewash station is due on \d{4}-\d{2}-\d{2}/,
    );
    // Escalation is off: the admin and owner are not told about controls someone owns.
    expect((await inbox(t, w.owner)).data).toEqual([]);
    expect((await inbox(t, w.admin)).data).toEqual([]);
    expect(soon).not.toBe(late);
  });

  it('escalation sends overdue controls to admins and owners; a control nobody owns goes to them anyway', async () => {
    const w = await buildWorld(t);
    await sql(
      t,
      w.orgId,
      `UPDATE verification_strategies SET escalation_enabled = true WHERE quadrant = 'specialist'`,
    );
    const owned = await insertControl(t, w.orgId, {
      name: 'Gas detector',
      quadrant: 'specialist',
      last_touched_at: daysAgo(120),
    });
    await sql(t, w.orgId, 'UPDATE controls SET owned_by_user = $1 WHERE id = $2', [w.member.id, owned]);
    await insertControl(t, w.orgId, { name: 'Fire blanket', quadrant: 'self', last_touched_at: daysAgo(26) });
    await sweepNow(t.app, w.orgId);

    for (const manager of [w.owner, w.admin]) {
      const names = (await inbox(t, manager)).data.map((n) => n.control_name).sort();
      expect(names).toEqual(['Fire blanket', 'Gas detector']);
    }
    expect((await inbox(t, w.member)).data.map((n) => n.control_name)).toEqual(['Gas detector']);
    expect((await inbox(t, w.viewer)).data).toEqual([]);
    // A second sweep adds nothing.
    await sweepNow(t.app, w.orgId);
    expect((await inbox(t, w.owner)).data).toHaveLength(2);
  });

  it('mark read, read all and the unread count; another person’s notification is 404', async () => {
    const w = await buildWorld(t);
    await insertControl(t, w.orgId, { name: 'Ladder tag', quadrant: 'self', last_touched_at: null });
    await insertControl(t, w.orgId, { name: 'Spill kit', quadrant: 'self', last_touched_at: null });
    await sweepNow(t.app, w.orgId);
    const [first] = (await inbox(t, w.owner)).data;
    expect((await call(t, w.owner, 'GET', '/api/notifications/unread-count')).json()).toEqual({ count: 2 });

    // The admin got the same reminders in their own inbox, and cannot touch the owner's.
    const adminsOwn = (await inbox(t, w.admin)).data;
    expect(adminsOwn).toHaveLength(2);
    const theft = await call(t, w.admin, 'POST', `/api/notifications/${first!.id}/read`);
    expect(theft.statusCode).toBe(404);
    expect(theft.json().code).toBe('NOT_FOUND');
    const other = await buildWorld(t);
    expect((await call(t, other.owner, 'POST', `/api/notifications/${first!.id}/read`)).statusCode).toBe(404);

    const read = await call(t, w.owner, 'POST', `/api/notifications/${first!.id}/read`);
    expect(read.statusCode).toBe(200);
    expect(read.json().data.read_at).not.toBeNull();
    expect((await inbox(t, w.owner, '?unread=true')).data).toHaveLength(1);
    expect((await call(t, w.owner, 'POST', '/api/notifications/read-all')).json()).toEqual({ marked: 1 });
    expect((await call(t, w.owner, 'GET', '/api/notifications/unread-count')).json()).toEqual({ count: 0 });
    expect((await call(t, w.admin, 'GET', '/api/notifications/unread-count')).json()).toEqual({ count: 2 });

    const bad = await call(t, w.owner, 'POST', '/api/notifications/not-a-uuid/read');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('VALIDATION_ERROR');
    expect((await call(t, w.owner, 'GET', '/api/notifications?limit=100000')).statusCode).toBe(400);
  });

  it('at most one digest per person per day: later reminders wait for the next day', async () => {
    const w = await buildWorld(t);
    await insertControl(t, w.orgId, { name: 'Guard rail', quadrant: 'self', last_touched_at: null });
    await sweepNow(t.app, w.orgId);
    await t.app.deliverReminders({ only: [w.orgId] });
    expect(mailsTo(w.owner.email)).toHaveLength(1);

    await insertControl(t, w.orgId, { name: 'Safety shower', quadrant: 'self', last_touched_at: null });
    clock.set(new Date(clock.now().getTime() + 3_600_000)); // an hour later, same day
    await sweepNow(t.app, w.orgId);
    await t.app.deliverReminders({ only: [w.orgId] });
    expect(mailsTo(w.owner.email)).toHaveLength(1);
    expect((await inbox(t, w.owner)).data).toHaveLength(2); // the inbox has it at once

    clock.advanceDays(1);
    await sweepNow(t.app, w.orgId);
    await t.app.deliverReminders({ only: [w.orgId] });
    const mails = mailsTo(w.owner.email);
    expect(mails).toHaveLength(2);
    expect(mails[1]!.raw).toContain('Safety shower');
    expect(mails[1]!.raw).not.toContain('Guard rail');
  });
});

describe('webhooks', () => {
  it('retries a failed delivery with backoff and logs every outcome for admins only', async () => {
    const w = await buildWorld(t);
    const created = await call(t, w.owner, 'POST', '/api/webhooks', { url: `${receiver.url}/retry` });
    expect(created.statusCode).toBe(201);
    const listed = (await call(t, w.admin, 'GET', '/api/webhooks')).json().data;
    expect(listed).toEqual([
      expect.objectContaining({ id: created.json().data.id, url: `${receiver.url}/retry` }),
    ]);
    expect(JSON.stringify(listed)).not.toContain(created.json().secret);
    for (const role of ['member', 'viewer'] as const) {
      expect((await call(t, w[role], 'GET', '/api/webhooks')).statusCode).toBe(403);
      expect((await call(t, w[role], 'GET', '/api/webhooks/deliveries')).statusCode).toBe(403);
      expect((await call(t, w[role], 'POST', '/api/webhooks', { url: receiver.url })).statusCode).toBe(403);
    }

    await insertControl(t, w.orgId, { name: 'Sprinkler valve', quadrant: 'self', last_touched_at: null });
    receiver.answers.push(500);
    const before = receiver.requests.filter((r) => r.path === '/retry').length;
    await sweepNow(t.app, w.orgId);
    await t.app.deliverReminders({ only: [w.orgId] });
    let log = (await call(t, w.admin, 'GET', '/api/webhooks/deliveries')).json().data;
    expect(log).toEqual([expect.objectContaining({ status: 'pending', attempts: 1, last_status_code: 500 })]);
    expect(new Date(log[0].next_attempt_at).getTime()).toBe(clock.now().getTime() + 60_000);

    await t.app.deliverReminders({ only: [w.orgId] }); // not due yet: nothing sent
    expect(receiver.requests.filter((r) => r.path === '/retry').length).toBe(before + 1);
    clock.set(new Date(clock.now().getTime() + 61_000));
    await t.app.deliverReminders({ only: [w.orgId] });
    log = (await call(t, w.admin, 'GET', '/api/webhooks/deliveries?status=delivered')).json().data;
    expect(log).toEqual([
      expect.objectContaining({ status: 'delivered', attempts: 2, last_status_code: 200, last_error: null }),
    ]);
    expect(receiver.requests.filter((r) => r.path === '/retry').length).toBe(before + 2);

    const deleted = await call(t, w.admin, 'DELETE', `/api/webhooks/${created.json().data.id}`);
    expect(deleted.statusCode).toBe(204);
    expect((await call(t, w.admin, 'GET', '/api/webhooks')).json().data).toEqual([]);

    // The audit trail says who added and removed it, and never holds its secret.
    const audit = (await call(t, w.owner, 'GET', '/api/audit?entity_type=webhooks')).json().data as Array<{
      action: string;
      actor_user_id: string;
    }>;
    expect(audit.map((row) => [row.action, row.actor_user_id])).toEqual([
      ['delete', w.admin.id],
      ['insert', w.owner.id],
    ]);
    const leaked = await sql(
      t,
      w.orgId,
      'SELECT id FROM audit_log WHERE before::text LIKE $1 OR after::text LIKE $1',
      [`%${created.json().secret}%`],
    );
    expect(leaked).toEqual([]);
  });

  it('refuses URLs that reach loopback, private, link-local or reserved addresses, or are not http(s)', async () => {
    const w = await buildWorld(guarded);
    const attacks = [
      'http://127.0.0.1:5432/',
      'http://localhost:4000/internal',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://0x7f000001/',
      'http://2130706433/',
      'http://0.0.0.0/',
      'http://10.1.2.3/',
      'http://172.16.0.1/',
      'http://192.168.1.1/',
      'http://100.64.0.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fe80::1]/',
      'http://[fd00::1]/',
      'http://[64:ff9b::7f00:1]/',
      'ftp://example.com/',
      'file:///etc/passwd',
      'http://user:pass@example.com/',
      'not a url',
      'http://does-not-exist.invalid/',
    ];
    for (const url of attacks) {
      const response = await call(guarded, w.owner, 'POST', '/api/webhooks', { url });
      expect({ url, status: response.statusCode, code: response.json().code }).toEqual({
        url,
        status: 400,
        code: 'VALIDATION_ERROR',
      });
    }
    expect((await call(guarded, w.owner, 'GET', '/api/webhooks')).json().data).toEqual([]);
  });

  it('refuses at delivery time too: a stored private URL is blocked, never called', async () => {
    const w = await buildWorld(guarded);
    // Stored while private addresses were allowed (or before its name re-pointed to loopback).
    const created = await call(t, w.owner, 'POST', '/api/webhooks', { url: `${receiver.url}/blocked` });
    expect(created.statusCode).toBe(201);
    await insertControl(guarded, w.orgId, { name: 'Lockout kit', quadrant: 'self', last_touched_at: null });
    await sweepNow(guarded.app, w.orgId);
    await guarded.app.deliverReminders({ only: [w.orgId] });
    expect(receiver.requests.filter((r) => r.path === '/blocked')).toEqual([]);
    const log = (await call(guarded, w.owner, 'GET', '/api/webhooks/deliveries')).json().data;
    expect(log).toEqual([expect.objectContaining({ status: 'failed', attempts: 1, last_status_code: null })]);
    expect(log[0].last_error).toMatch(/refused/);
    const blocked = await guarded.metrics.registry.getSingleMetric('webhook_delivery_attempts_total')?.get();
    expect(blocked?.values.find((v) => v.labels.outcome === 'blocked')?.value).toBe(1);
  });
});
