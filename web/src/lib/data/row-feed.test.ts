import type { Row as ElectricRow, Message } from '@electric-sql/client';
import { afterEach, describe, expect, it } from 'vitest';
import { type ShapeFeed, shapeFeed, shapeRows } from './row-feed';
import { shapeOptions } from './shape';

type Row = { id: string; name: string; provider_distance: number | null };
type Answer = { status?: number; body: unknown[]; upToDate?: boolean; handle?: string };

/**
 * An Electric-protocol server scripted answer by answer: each request takes the next answer,
 * or waits (a live request) until one is pushed. Requests are recorded.
 */
function scriptedServer() {
  const answers: Answer[] = [];
  const waiting: (() => void)[] = [];
  const requests: URL[] = [];
  let n = 0;
  const fetchClient = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input));
    requests.push(url);
    while (answers.length === 0) {
      await new Promise<void>((resolve, reject) => {
        waiting.push(resolve);
        init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      });
    }
    const answer = answers.shift()!;
    n++;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'electric-handle': answer.handle ?? 'h1',
      'electric-offset': `0_${n}`,
      'electric-schema': JSON.stringify({
        id: { type: 'text', pk_index: 0 },
        name: { type: 'text' },
        provider_distance: { type: 'numeric' },
      }),
    };
    if (answer.upToDate) headers['electric-up-to-date'] = '';
    if (url.searchParams.get('live') === 'true') headers['electric-cursor'] = String(n);
    const body = answer.upToDate ? [...answer.body, { headers: { control: 'up-to-date' } }] : answer.body;
    return new Response(JSON.stringify(body), { status: answer.status ?? 200, headers });
  }) as typeof fetch;
  return {
    fetchClient,
    requests,
    answer(answer: Answer) {
      answers.push(answer);
      for (const wake of waiting.splice(0)) wake();
    },
  };
}

const change = (operation: 'insert' | 'update' | 'delete', value: Record<string, unknown>) => ({
  key: `"public"."controls"/"${value.id}"`,
  value,
  headers: { operation, relation: ['public', 'controls'] },
});

let feeds: ShapeFeed<Row>[] = [];
// Each test its own origin: the Electric client remembers shapes it saw up to date, by URL.
let origin = 0;
afterEach(() => {
  for (const feed of feeds) feed.close();
  feeds = [];
});

function feedOf(server: ReturnType<typeof scriptedServer>, lingerMs = 60_000) {
  const feed = shapeFeed<Row>(
    shapeOptions(
      'controls',
      {
        url: `http://app${++origin}.test/api/electric/sync`,
        authorization: async () => 'Bearer t',
        unauthorized: async () => 'stop',
        fetchClient: server.fetchClient,
      },
      ['id', 'name', 'provider_distance'],
    ),
    lingerMs,
  );
  feeds.push(feed);
  return feed;
}

describe('shapeFeed', () => {
  it('publishes the snapshot once, at up-to-date, with the values parsed', async () => {
    const server = scriptedServer();
    const feed = feedOf(server);
    const published: number[] = [];
    feed.subscribe(() => published.push(feed.rows.length));
    server.answer({ body: [change('insert', { id: 'a', name: 'A', provider_distance: '2' })] });
    server.answer({
      body: [change('insert', { id: 'b', name: 'B', provider_distance: null })],
      upToDate: true,
    });
    await expect.poll(() => feed.ready).toBe(true);
    expect(published).toEqual([2]);
    expect(feed.rows).toEqual([
      { id: 'a', name: 'A', provider_distance: 2 },
      { id: 'b', name: 'B', provider_distance: null },
    ]);
    expect(server.requests[0]!.searchParams.get('columns')).toBe('"id","name","provider_distance"');
  });

  it('merges live updates, removes deletes, keeps unchanged rows’ objects and ignores unknown rows', async () => {
    const server = scriptedServer();
    const feed = feedOf(server);
    feed.subscribe(() => {});
    server.answer({
      body: [
        change('insert', { id: 'a', name: 'A', provider_distance: '1' }),
        change('insert', { id: 'b', name: 'B', provider_distance: '1' }),
        change('insert', { id: 'c', name: 'C', provider_distance: '1' }),
      ],
      upToDate: true,
    });
    await expect.poll(() => feed.ready).toBe(true);
    const [a, b] = feed.rows;
    server.answer({
      body: [
        change('update', { id: 'b', provider_distance: '3' }),
        change('delete', { id: 'c' }),
        change('update', { id: 'zz', provider_distance: '9' }),
      ],
      upToDate: true,
    });
    await expect.poll(() => feed.rows.length).toBe(2);
    expect(feed.rows[0]).toBe(a);
    expect(feed.rows[1]).not.toBe(b);
    expect(feed.rows[1]).toEqual({ id: 'b', name: 'B', provider_distance: 3 });
  });

  it('stops a while after the last listener leaves, and resumes from where it stopped', async () => {
    const server = scriptedServer();
    const feed = feedOf(server, 50);
    const leave = feed.subscribe(() => {});
    server.answer({
      body: [change('insert', { id: 'a', name: 'A', provider_distance: null })],
      upToDate: true,
    });
    await expect.poll(() => feed.ready).toBe(true);
    await expect.poll(() => server.requests.length).toBe(2); // the live request, waiting
    leave();
    await new Promise((resolve) => setTimeout(resolve, 150));
    const before = server.requests.length;
    feed.subscribe(() => {});
    await expect.poll(() => server.requests.length).toBe(before + 1);
    const resumed = server.requests[before]!;
    expect(resumed.searchParams.get('offset')).not.toBe('-1');
    expect(resumed.searchParams.get('handle')).toBe('h1');
    expect(feed.rows.map((r) => r.id)).toEqual(['a']);
  });

  it('started without a listener, stops after the linger time if none comes', async () => {
    const server = scriptedServer();
    const feed = feedOf(server, 50);
    feed.start();
    await expect.poll(() => server.requests.length).toBe(1);
    const signal = server.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 150));
    server.answer({
      body: [change('insert', { id: 'a', name: 'A', provider_distance: null })],
      upToDate: true,
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(feed.ready).toBe(false);
    expect(server.requests.length).toBe(signal);
  });
});

describe('shapeRows', () => {
  const upToDate = { headers: { control: 'up-to-date' } };
  const mustRefetch = { headers: { control: 'must-refetch' } };
  const apply = (store: ReturnType<typeof shapeRows<Row>>, ...messages: unknown[]) =>
    store.apply(messages as Message<ElectricRow>[]);

  it('replaces every row after a must-refetch, in one publish once the new snapshot is in', () => {
    const store = shapeRows<Row>();
    expect(
      apply(store, change('insert', { id: 'old', name: 'Old', provider_distance: null }), upToDate),
    ).toBe(true);
    expect(apply(store, mustRefetch)).toBe(false);
    expect(apply(store, change('insert', { id: 'new', name: 'New', provider_distance: null }))).toBe(false);
    expect(store.rows.map((r) => r.id)).toEqual(['old']);
    expect(apply(store, upToDate)).toBe(true);
    expect(store.rows.map((r) => r.id)).toEqual(['new']);
  });

  it('empties the list when the refetched snapshot has no rows', () => {
    const store = shapeRows<Row>();
    apply(store, change('insert', { id: 'old', name: 'Old', provider_distance: null }), upToDate);
    expect(apply(store, mustRefetch, upToDate)).toBe(true);
    expect(store.rows).toEqual([]);
  });

  it('publishes nothing when an up-to-date follows no change, but the first one makes it ready', () => {
    const store = shapeRows<Row>();
    expect(apply(store, upToDate)).toBe(true);
    expect(store.ready).toBe(true);
    expect(apply(store, upToDate)).toBe(false);
  });
});
