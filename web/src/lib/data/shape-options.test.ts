import { ShapeStream } from '@electric-sql/client';
import { describe, expect, it } from 'vitest';
import { shapeOptions, toIso } from './shape-options';

/** A minimal Electric-protocol server: one snapshot, then up-to-date, then empty live polls. */
function fakeServer(statusFor: (n: number) => number = () => 200) {
  const seen: { url: URL; authorization: string | null }[] = [];
  const fetchClient = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input instanceof Request ? input.url : input));
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    seen.push({ url, authorization: headers.get('authorization') });
    const n = seen.length;
    const status = statusFor(n);
    const base: Record<string, string> = {
      'content-type': 'application/json',
      'electric-handle': 'h1',
      'electric-offset': `0_${n}`,
      'electric-schema': JSON.stringify({
        id: { type: 'uuid', pk_index: 0 },
        provider_distance: { type: 'numeric' },
        last_touched_at: { type: 'timestamptz' },
      }),
    };
    if (status !== 200) {
      return new Response(JSON.stringify({ error: 'expired', code: 'TOKEN_EXPIRED' }), {
        status,
        headers: base,
      });
    }
    if (n === 1 || (n === 2 && statusFor(1) !== 200)) {
      const body = [
        {
          key: '"public"."controls"/"c1"',
          value: { id: 'c1', provider_distance: '1.5', last_touched_at: '2026-11-01 10:00:00+00' },
          headers: { operation: 'insert', relation: ['public', 'controls'] },
        },
      ];
      return new Response(JSON.stringify(body), { status: 200, headers: base });
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
    return new Response(JSON.stringify([{ headers: { control: 'up-to-date' } }]), {
      status: 200,
      headers: { ...base, 'electric-up-to-date': '', 'electric-cursor': String(n) },
    });
  }) as typeof fetch;
  return { seen, fetchClient };
}

describe('shape wiring', () => {
  it('reads the Authorization header before every request, so a new token is used without a restart', async () => {
    const server = fakeServer();
    let token = 'first';
    const controller = new AbortController();
    const options = shapeOptions('controls', {
      url: 'http://app.test/api/electric/sync',
      authorization: async () => `Bearer ${token}`,
      unauthorized: async () => 'retry',
      fetchClient: server.fetchClient,
    });
    const stream = new ShapeStream({ ...options, signal: controller.signal });
    const rows: Record<string, unknown>[] = [];
    stream.subscribe((messages) => {
      for (const m of messages) if ('value' in m) rows.push(m.value as Record<string, unknown>);
      if (server.seen.length >= 2) token = 'second';
    });
    await expect.poll(() => server.seen.length, { timeout: 5000 }).toBeGreaterThanOrEqual(4);
    controller.abort();
    expect(server.seen[0]!.authorization).toBe('Bearer first');
    expect(server.seen.at(-1)!.authorization).toBe('Bearer second');
    expect(server.seen[0]!.url.searchParams.get('table')).toBe('controls');
    // numeric → number, timestamptz → ISO
    expect(rows[0]).toEqual({
      id: 'c1',
      provider_distance: 1.5,
      last_touched_at: '2026-11-01T10:00:00.000Z',
    });
  });

  it('on a 401 asks the session to refresh and resumes with the new token', async () => {
    const server = fakeServer((n) => (n === 1 ? 401 : 200));
    let token = 'expired';
    let refreshed = 0;
    const controller = new AbortController();
    const options = shapeOptions('controls', {
      url: 'http://app.test/api/electric/sync',
      authorization: async () => `Bearer ${token}`,
      unauthorized: async () => {
        refreshed++;
        token = 'fresh';
        return 'retry';
      },
      fetchClient: server.fetchClient,
    });
    const stream = new ShapeStream({ ...options, signal: controller.signal });
    stream.subscribe(() => {});
    await expect.poll(() => server.seen.length, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    controller.abort();
    expect(refreshed).toBe(1);
    expect(server.seen[0]!.authorization).toBe('Bearer expired');
    expect(server.seen[1]!.authorization).toBe('Bearer fresh');
  });

  it('asks for only the listed columns of a narrow shape (the dashboard on a large register)', async () => {
    const server = fakeServer();
    const controller = new AbortController();
    const wiring = {
      url: 'http://app.test/api/electric/sync',
      authorization: async () => 'Bearer t',
      unauthorized: async () => 'retry' as const,
      fetchClient: server.fetchClient,
    };
    const stream = new ShapeStream({
      ...shapeOptions('controls', wiring, ['id', 'current_quadrant']),
      signal: controller.signal,
    });
    stream.subscribe(() => {});
    await expect.poll(() => server.seen.length, { timeout: 5000 }).toBeGreaterThanOrEqual(1);
    controller.abort();
    expect(server.seen[0]!.url.searchParams.get('columns')).toBe('"id","current_quadrant"');
    // Without a list, the whole row.
    expect(shapeOptions('controls', wiring).params).toEqual({ table: 'controls' });
  });

  it('stops the stream when the session has ended', async () => {
    const server = fakeServer(() => 401);
    const options = shapeOptions('controls', {
      url: 'http://app.test/api/electric/sync',
      authorization: async () => 'Bearer dead',
      unauthorized: async () => 'stop',
      fetchClient: server.fetchClient,
    });
    const stream = new ShapeStream(options);
    stream.subscribe(() => {});
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.seen).toHaveLength(1);
  });
});

describe('toIso', () => {
  it('turns PostgreSQL text timestamps into ISO strings', () => {
    expect(toIso('2026-01-02 03:04:05.678+00')).toBe('2026-01-02T03:04:05.678Z');
    expect(toIso('2026-01-02 05:04:05+02:00')).toBe('2026-01-02T03:04:05.000Z');
    expect(toIso('not a date')).toBe('not a date');
  });
});
