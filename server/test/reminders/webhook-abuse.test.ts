// A hostile webhook receiver or admin (docs/security.md, "Attacks tried"): a receiver that
// trickles its answer must not hold a delivery past the timeout, a body is never read, and
// parallel adds cannot pass the per-organisation webhook limit.
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postWebhook } from '../../src/reminders/deliver.ts';
import { MAX_WEBHOOKS } from '../../src/reminders/webhooks.ts';
import { buildWorld, call, sql } from '../domain/world.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true' } });
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
