// Load shedding: with a threshold forced below what the process always uses, every request is
// refused with 503 OVERLOADED and Retry-After before its handler runs (a refused write writes
// nothing), /health says so with the reason, and /metrics still answers. The thresholds are
// settings; the defaults (1 s of event-loop delay, 90% of the heap limit) never trip here.
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, buildOrganization, buildUser } from '../helpers/factories.ts';

let t: TestApp | undefined;

afterEach(async () => {
  await t?.close();
  t = undefined;
});

const newControl = { name: 'Shed probe', control_type: 'technical', functional_range: 'narrow' };

/** Polls /health (never shed) until it reports shedding; `load` runs before each poll. */
async function untilShedding(app: TestApp, load: () => void = () => {}) {
  for (let attempt = 0; attempt < 200; attempt++) {
    load();
    await new Promise((resolve) => setTimeout(resolve, 25));
    const health = await app.app.inject({ method: 'GET', url: '/health' });
    if (health.json().status === 'overloaded') return health;
  }
  throw new Error('the server never reported shedding');
}

describe('load shedding', () => {
  it('on memory: 503 OVERLOADED with Retry-After before the handler; /health says why', async () => {
    t = await createTestApp({ env: { SHED_HEAP_USED_MB: '0.000001' } });
    const org = await buildOrganization(t.db);
    const user = await buildUser(t.db, t.config, org);

    const health = await untilShedding(t);
    expect(health.statusCode).toBe(503);
    expect(health.json()).toMatchObject({ status: 'overloaded', shedding: { reason: 'memory' } });
    expect(health.headers['retry-after']).toMatch(/^\d+$/);

    const write = await t.app.inject({
      method: 'POST',
      url: '/api/controls',
      headers: bearer(user),
      payload: newControl,
    });
    expect(write.statusCode).toBe(503);
    expect(write.headers['retry-after']).toMatch(/^\d+$/);
    expect(write.json()).toMatchObject({ code: 'OVERLOADED', details: { reason: 'memory' } });
    const { rows } = await t.db.ownerPool.query(
      'SELECT count(*)::int AS n FROM controls WHERE organization_id = $1',
      [org.id],
    );
    expect(rows[0].n).toBe(0);

    // Even an unauthenticated request is refused before authentication runs.
    const anonymous = await t.app.inject({ method: 'GET', url: '/api/controls' });
    expect(anonymous.statusCode).toBe(503);

    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toMatch(/http_requests_shed_total\{reason="memory"\} [1-9]/);
  });

  it('on event-loop delay: requests are shed with reason event_loop', async () => {
    t = await createTestApp({ env: { SHED_EVENT_LOOP_DELAY_MS: '1' } });
    // Hold the event loop for a while before each poll, as a CPU-bound request would.
    const holdLoop = () => {
      const until = performance.now() + 60;
      while (performance.now() < until) {}
    };
    const health = await untilShedding(t, holdLoop);
    expect(health.json()).toMatchObject({ status: 'overloaded', shedding: { reason: 'event_loop' } });
    // The delay is re-sampled twice a second: keep the loop busy until a request meets it.
    let read = await t.app.inject({ method: 'GET', url: '/api/me' });
    for (let attempt = 0; read.statusCode !== 503 && attempt < 100; attempt++) {
      holdLoop();
      await new Promise((resolve) => setTimeout(resolve, 25));
      read = await t.app.inject({ method: 'GET', url: '/api/me' });
    }
    expect(read.statusCode).toBe(503);
    expect(read.json()).toMatchObject({ code: 'OVERLOADED', details: { reason: 'event_loop' } });
  });

  it('with the default thresholds nothing is shed', async () => {
    t = await createTestApp({ env: { SHED_EVENT_LOOP_DELAY_MS: '1000' } });
    const health = await t.app.inject({ method: 'GET', url: '/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json().status).toBe('ok');
    expect(t.config.limits.shedHeapUsedBytes).toBeGreaterThan(100 * 1024 * 1024);
    // The production defaults, from an empty environment.
    const defaults = loadConfig({ SHARED_TOKEN_SECRET: 'x'.repeat(32) }).limits;
    expect(defaults.shedEventLoopDelayMs).toBe(1000);
    expect(defaults.statementTimeoutMs).toBe(15_000);
    expect(defaults.acquireTimeoutMs).toBe(5_000);
  });
});
