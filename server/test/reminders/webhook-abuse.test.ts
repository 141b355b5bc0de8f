// A hostile webhook receiver or admin (docs/security.md, "Attacks tried"): a receiver that
// trickles its answer must not hold a delivery past the timeout, a body is never read, silent
// receivers do not hold other organisations' deliveries, and parallel adds cannot pass the
// per-organisation webhook limit.
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postWebhook } from '../../src/reminders/deliver.ts';
import { MAX_WEBHOOKS } from '../../src/reminders/webhooks.ts';
import { buildWorld, call, insertControl, sql } from '../domain/world.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { sweepNow } from './receivers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true', WEBHOOK_TIMEOUT_MS: '1500' } });
});
afterAll(() => t.close());

/**
 * A raw receiver: reads the request, writes `head`, then one piece of `trickle` every `everyMs`
 * until it has sent them all or the client hung up. `finished` says whether it sent everything.
 */
async function trickler(head: string, trickle: string[], everyMs: number) {
  const state = { finished: false, hungUp: false };
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.on('close', () => {
      state.hungUp = true;
    });
    socket.once('data', () => {
      socket.write(head);
      let i = 0;
      const timer = setInterval(() => {
        if (socket.destroyed) return clearInterval(timer);
        if (i === trickle.length) {
          clearInterval(timer);
          state.finished = true;
          socket.end();
          return;
        }
        socket.write(trickle[i++]!);
      }, everyMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    state,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const attempt = (url: string, timeoutMs: number) =>
  postWebhook({
    url,
    secret: 'whsec_test',
    body: '{}',
    deliveryId: 'd1',
    event: 'reminders.due',
    allowPrivate: true,
    timeoutMs,
  });

it('a receiver trickling its headers past the timeout fails the attempt', async () => {
  // One header line every 50 ms for 4 s: the socket is never idle for the 500 ms timeout.
  const headerLines = Array.from({ length: 80 }, (_, i) => `x-slow-${i}: a\r\n`);
  const receiver = await trickler('HTTP/1.1 200 OK\r\n', [...headerLines, 'content-length: 0\r\n\r\n'], 50);
  try {
    const outcome = await attempt(receiver.url, 500);
    expect(outcome).toMatchObject({ outcome: 'failed', status: null, error: 'no answer within 500 ms' });
    expect(receiver.state.finished).toBe(false);
  } finally {
    await receiver.close();
  }
});

it('the receiver’s body is never read: an endless trickled body does not hold the delivery', async () => {
  // 200 at once, then a chunk of body every 50 ms for 4 s (and far more bytes than any answer needs).
  const chunk = `${'x'.repeat(64 * 1024).length.toString(16)}\r\n${'x'.repeat(64 * 1024)}\r\n`;
  const receiver = await trickler(
    'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n',
    [...Array.from({ length: 80 }, () => chunk), '0\r\n\r\n'],
    50,
  );
  try {
    const outcome = await attempt(receiver.url, 2000);
    expect(outcome).toEqual({ outcome: 'delivered', status: 200 });
    // The client hung up without waiting for the body to end.
    await expect.poll(() => receiver.state.hungUp).toBe(true);
    expect(receiver.state.finished).toBe(false);
  } finally {
    await receiver.close();
  }
});

it('parallel adds cannot pass the webhook limit', async () => {
  const w = await buildWorld(t);
  const answers = await Promise.all(
    Array.from({ length: MAX_WEBHOOKS + 15 }, (_, i) =>
      call(t, w.admin, 'POST', '/api/webhooks', { url: `http://127.0.0.1:9/hook-${i}` }),
    ),
  );
  const statuses = answers.map((answer) => answer.statusCode);
  expect(statuses.filter((status) => status === 201)).toHaveLength(MAX_WEBHOOKS);
  expect(statuses.filter((status) => status !== 201).every((status) => status === 409)).toBe(true);
  expect(await sql(t, w.orgId, 'SELECT id FROM webhooks')).toHaveLength(MAX_WEBHOOKS);
});

/** Accepts connections and never answers; counts them open, at most at once, and closed. */
async function silentReceiver() {
  const state = { open: 0, maxOpen: 0, closed: 0 };
  const server = net.createServer((socket) => {
    state.open += 1;
    state.maxOpen = Math.max(state.maxOpen, state.open);
    socket.on('error', () => {});
    socket.on('close', () => {
      state.open -= 1;
      state.closed += 1;
    });
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

it('silent receivers cost their organisation one timeout a round, not the other organisations’ turn', async () => {
  const silent = await silentReceiver();
  // The victim's receiver notes how many of the silent attempts had ended when its delivery came.
  const arrivals: number[] = [];
  const victimReceiver = http.createServer((req, res) => {
    arrivals.push(silent.state.closed);
    req.resume();
    res.end('ok');
  });
  await new Promise<void>((resolve) => victimReceiver.listen(0, '127.0.0.1', resolve));
  const victimPort = (victimReceiver.address() as net.AddressInfo).port;
  try {
    const [hostile, victim] = await Promise.all([buildWorld(t), buildWorld(t)]);
    for (let i = 0; i < 3; i++) {
      const added = await call(t, hostile.admin, 'POST', '/api/webhooks', { url: `${silent.url}/${i}` });
      expect(added.statusCode).toBe(201);
    }
    const added = await call(t, victim.admin, 'POST', '/api/webhooks', {
      url: `http://127.0.0.1:${victimPort}/victim`,
    });
    expect(added.statusCode).toBe(201);
    for (const w of [hostile, victim]) {
      await insertControl(t, w.orgId, { quadrant: 'self', last_touched_at: null });
      await sweepNow(t.app, w.orgId);
    }
    // The hostile organisation's work comes first in the round.
    await t.db.ownerPool.query(
      `UPDATE reminder_work SET due_at = due_at - interval '1 hour' WHERE organization_id = $1`,
      [hostile.orgId],
    );
    await t.app.deliverReminders({ only: [hostile.orgId, victim.orgId] });

    expect(silent.state.maxOpen).toBe(3); // the hostile organisation's deliveries went out at once
    expect(arrivals).toEqual([0]); // the victim's came while they were still waiting
    const log = (await call(t, hostile.admin, 'GET', '/api/webhooks/deliveries')).json().data;
    expect(log).toHaveLength(3);
    for (const delivery of log)
      expect(delivery).toMatchObject({ status: 'pending', last_error: 'no answer within 1500 ms' });
    const theirs = (await call(t, victim.admin, 'GET', '/api/webhooks/deliveries')).json().data;
    expect(theirs).toEqual([expect.objectContaining({ status: 'delivered', last_status_code: 200 })]);
  } finally {
    await Promise.all([
      silent.close(),
      new Promise<void>((resolve) => victimReceiver.close(() => resolve())),
    ]);
  }
});
