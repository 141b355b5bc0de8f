// Attack 1 of issue 10 through the public endpoint: a control with a 5,000-character description,
// 20 shapes whose where ORs six `description LIKE $n` with 2,503-character patterns (refused:
// 400 naming the limit on params bytes, before the one on pattern length), 20 more with the longest patterns the limits allow (admitted, and
// routed without holding the event loop), then PATCHes of that control. A victim organisation's
// `GET /api/controls` latency during the attack stays within a small multiple of its own
// baseline measured here; every attacker request gets an answer; no write is lost. The where
// limits' refusals through the endpoint: code, field, message and metric reason.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYNC_PATH } from '../../src/sync/endpoint.ts';
import { bearer, type TestUser } from '../helpers/factories.ts';
import { buildEndpointWorld, type EndpointWorld } from './endpoint-world.ts';

let w: EndpointWorld;

beforeAll(async () => {
  w = await buildEndpointWorld();
});

afterAll(async () => {
  await w?.t.close();
});

const timeout = () => AbortSignal.timeout(30_000);

function shapeRequest(user: TestUser, where: string, params: string[], extra = '') {
  const query = new URLSearchParams({ table: 'controls', offset: '-1', where });
  for (const [i, value] of params.entries()) query.set(`params[${i + 1}]`, value);
  return fetch(`${w.base}${SYNC_PATH}?${query}${extra}`, { headers: bearer(user), signal: timeout() });
}

const sixLikes = (n: number) =>
  `(${Array.from({ length: 6 }, (_, i) => `description LIKE $${i + 1}`).join(' OR ')}) AND name <> 'k${n}'`;

async function timedRead(user: TestUser): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${w.base}/api/controls`, { headers: bearer(user), signal: timeout() });
  expect(response.status).toBe(200);
  await response.arrayBuffer();
  return performance.now() - started;
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
};

async function metric(line: RegExp): Promise<number> {
  const text = await w.t.metrics.registry.metrics();
  const match = text.split('\n').find((l) => line.test(l));
  return match ? Number(match.split(' ').at(-1)) : 0;
}

describe('costly where (issue 10, attack 1)', () => {
  it("never slows another organisation's reads, answers every attacker request, loses no write", async () => {
    const created = await fetch(`${w.base}/api/controls`, {
      method: 'POST',
      headers: { ...bearer(w.alice), 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Long one',
        control_type: 'technical',
        functional_range: 'narrow',
        description: 'a'.repeat(5000),
      }),
    });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { data: { id: string } }).data.id;

    const issuePattern = `%${'a'.repeat(2500)}b%`;
    // Patterns as long as the default cost budget admits for six: literal (KMP, one pass
    // over the text) and with `_` (Shift-And, two passes).
    const literal = `%${'a'.repeat(147)}b%`;
    const wildcard = `%${'a_'.repeat(31)}b%`;
    const matching = `${'a'.repeat(4999)}b`;
    // The shapes first: their snapshots share the connection pool with every request, which is
    // snapshot admission's concern (issue 10, item 2); the PATCHes are what routing must survive.
    const refused = await Promise.all(
      Array.from({ length: 20 }, async (_, n) => {
        const response = await shapeRequest(w.alice, sixLikes(n), Array(6).fill(issuePattern));
        return { status: response.status, body: await response.json() };
      }),
    );
    const admitted = await Promise.all(
      Array.from({ length: 20 }, async (_, n) => {
        const params = [literal, literal, literal, wildcard, wildcard, wildcard];
        const response = await shapeRequest(w.alice, sixLikes(100 + n), params);
        await response.arrayBuffer();
        return response;
      }),
    );

    for (let i = 0; i < 3; i++) await timedRead(w.bob); // warm up
    const baseline: number[] = [];
    const baseDelay = monitorEventLoopDelay({ resolution: 10 });
    baseDelay.enable();
    for (let i = 0; i < 20; i++) baseline.push(await timedRead(w.bob));
    baseDelay.disable();

    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const attack = (async () => {
      const patches: number[] = [];
      for (let i = 0; i < 10; i++) {
        const response = await fetch(`${w.base}/api/controls/${id}`, {
          method: 'PATCH',
          headers: { ...bearer(w.alice), 'content-type': 'application/json' },
          body: JSON.stringify({ description: i % 2 === 1 ? matching : 'a'.repeat(5000) }),
          signal: timeout(),
        });
        patches.push(response.status);
      }
      return patches;
    })();
    const during: number[] = [];
    let done = false;
    void attack.finally(() => {
      done = true;
    });
    while (!done || during.length < 20) during.push(await timedRead(w.bob));
    const patches = await attack;
    delay.disable();
    console.info(
      `attack 1 (PATCHes routed through 20 costly shapes): victim GET /api/controls p50 ${quantile(baseline, 0.5).toFixed(1)} → ${quantile(during, 0.5).toFixed(1)} ms, ` +
        `p90 ${quantile(baseline, 0.9).toFixed(1)} → ${quantile(during, 0.9).toFixed(1)} ms; ` +
        `event-loop delay p99 ${(baseDelay.percentile(99) / 1e6).toFixed(1)} → ${(delay.percentile(99) / 1e6).toFixed(1)} ms, ` +
        `max ${(baseDelay.max / 1e6).toFixed(1)} → ${(delay.max / 1e6).toFixed(1)} ms`,
    );

    for (const { status, body } of refused) {
      expect(status).toBe(400);
      expect(body.code).toBe('VALIDATION_ERROR');
      expect(body.errors.params[0]).toBe(
        "params hold 15,018 bytes in total; a shape's params are limited to 8,192 bytes",
      );
    }
    const handles: Array<{ handle: string; offset: string; where: string }> = [];
    for (const [n, response] of admitted.entries()) {
      expect(response.status).toBe(200);
      handles.push({
        handle: response.headers.get('electric-handle')!,
        offset: response.headers.get('electric-offset')!,
        where: sixLikes(100 + n),
      });
    }
    expect(patches).toEqual(Array(10).fill(200));

    expect(quantile(during, 0.5)).toBeLessThanOrEqual(10 * quantile(baseline, 0.5) + 50);
    expect(quantile(during, 0.9)).toBeLessThanOrEqual(10 * quantile(baseline, 0.9) + 100);

    // No write lost: the API has the last description, and every admitted shape saw the change
    // that brought the control into it.
    const final = await fetch(`${w.base}/api/controls/${id}`, { headers: bearer(w.alice) });
    expect(((await final.json()) as { data: { description: string } }).data.description).toBe(matching);
    for (const { handle, offset, where } of handles) {
      const query = new URLSearchParams({ table: 'controls', offset, handle, where });
      for (const [i, p] of [literal, literal, literal, wildcard, wildcard, wildcard].entries())
        query.set(`params[${i + 1}]`, p);
      await expect
        .poll(
          async () => {
            const response = await fetch(`${w.base}${SYNC_PATH}?${query}`, { headers: bearer(w.alice) });
            const messages = (await response.json()) as Array<{ value?: { description?: string } }>;
            return messages.filter((m) => m.value?.description === matching).length;
          },
          { timeout: 15_000 },
        )
        .toBeGreaterThan(0);
    }
    expect(await metric(/^sync_shapes_refused_total\{reason="params_too_large"\}/)).toBe(20);
  }, 120_000);
});

describe('where limits through the endpoint', () => {
  it('refuses params over the byte limit with 400 naming it', async () => {
    const before = await metric(/^sync_shapes_refused_total\{reason="params_too_large"\}/);
    const response = await shapeRequest(w.alice, 'name = $1 OR name = $2', [
      'x'.repeat(5_000),
      'y'.repeat(4_000),
    ]);
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body).toMatchObject({ code: 'VALIDATION_ERROR', errors: { params: [expect.any(String)] } });
    expect(body.error).toBe("params hold 9,000 bytes in total; a shape's params are limited to 8,192 bytes");
    expect(await metric(/^sync_shapes_refused_total\{reason="params_too_large"\}/)).toBe(before + 1);
  });

  it('refuses a where over the cost budget with 400 naming it', async () => {
    const likes = Array.from({ length: 30 }, () => 'name LIKE $1').join(' OR ');
    const response = await shapeRequest(w.alice, likes, [`%${'z'.repeat(300)}%`]);
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.errors.where[0]).toMatch(
      /^where is too costly to evaluate on every change: its estimated cost is 12,060 and the limit is 2,000/,
    );
    expect(await metric(/^sync_shapes_refused_total\{reason="where_too_costly"\}/)).toBe(1);
  });
});
