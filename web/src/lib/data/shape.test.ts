import { describe, expect, it } from 'vitest';
import { memoryCache } from './cache';
import { syncedCollection } from './shape';

type Row = { id: string; name: string };

type Message = { value: Partial<Row> & { id: string }; operation: 'insert' | 'update' | 'delete' };

/** An Electric-protocol server that answers the first (snapshot) request only when released. */
function gatedServer(rows: Row[], messages?: Message[]) {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let requests = 0;
  const fetchClient = (async (_input: RequestInfo | URL, init?: RequestInit) => {
    requests++;
    const n = requests;
    const headers = {
      'content-type': 'application/json',
      'electric-handle': 'h1',
      'electric-offset': `0_${n}`,
      'electric-schema': JSON.stringify({ id: { type: 'text', pk_index: 0 }, name: { type: 'text' } }),
    };
    if (n === 1) {
      await gate;
      const body = (messages ?? rows.map((row) => ({ value: row, operation: 'insert' }))).map((m) => ({
        key: `"public"."controls"/"${m.value.id}"`,
        value: m.value,
        headers: { operation: m.operation, relation: ['public', 'controls'] },
      }));
      return new Response(JSON.stringify(body), { status: 200, headers });
    }
    if (n === 2) {
      return new Response(JSON.stringify([{ headers: { control: 'up-to-date' } }]), {
        status: 200,
        headers: { ...headers, 'electric-up-to-date': '' },
      });
    }
    // live: hold until aborted
    await new Promise((_resolve, reject) => {
      init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
    });
    throw new Error('unreachable');
  }) as typeof fetch;
  return { fetchClient, release: () => release() };
}

describe('synced collection with an offline copy', () => {
  it('shows the cached rows before the stream answers, then replaces them with the server snapshot', async () => {
    const cache = memoryCache();
    await cache.save('u1:controls', {
      rows: [
        { id: 'a', name: 'cached A' },
        { id: 'gone', name: 'deleted on the server meanwhile' },
      ],
      savedAt: 0,
    });
    const server = gatedServer([
      { id: 'a', name: 'fresh A' },
      { id: 'b', name: 'fresh B' },
    ]);
    const collection = syncedCollection<Row>(
      'controls',
      {
        url: 'http://app.test/api/electric/sync',
        authorization: async () => 'Bearer t',
        unauthorized: async () => 'stop',
        cache,
        cacheKey: 'u1',
        fetchClient: server.fetchClient,
      },
      { eager: true },
    );
    // Offline copy first: readable before the server has said anything.
    await expect.poll(() => collection.size).toBe(2);
    expect(collection.isReady()).toBe(true);
    expect(collection.get('a')?.name).toBe('cached A');

    server.release();
    await expect.poll(() => collection.get('b')?.name).toBe('fresh B');
    expect(collection.get('a')?.name).toBe('fresh A');
    expect(collection.has('gone')).toBe(false);
    expect(collection.size).toBe(2);

    // The new state is saved for the next start.
    await expect
      .poll(async () => (await cache.load('u1:controls'))?.rows.map((r) => r.name).sort(), { timeout: 3000 })
      .toEqual(['fresh A', 'fresh B']);
    await collection.cleanup();
  });

  it('without a cached copy waits for the server', async () => {
    const server = gatedServer([{ id: 'a', name: 'A' }]);
    const collection = syncedCollection<Row>(
      'controls',
      {
        url: 'http://app.test/api/electric/sync',
        authorization: async () => 'Bearer t',
        unauthorized: async () => 'stop',
        cache: memoryCache(),
        cacheKey: 'u2',
        fetchClient: server.fetchClient,
      },
      { eager: true },
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(collection.isReady()).toBe(false);
    server.release();
    await expect.poll(() => collection.isReady()).toBe(true);
    expect(collection.get('a')?.name).toBe('A');
    await collection.cleanup();
  });
});

describe('synced collection without an offline copy', () => {
  it('applies a batch in key order, each row’s own changes in the order they came', async () => {
    const server = gatedServer(
      [],
      [
        { operation: 'insert', value: { id: 'c', name: 'C' } },
        { operation: 'insert', value: { id: 'a', name: 'A' } },
        { operation: 'insert', value: { id: 'd', name: 'D' } },
        { operation: 'update', value: { id: 'a', name: 'A renamed' } },
        { operation: 'insert', value: { id: 'b', name: 'B' } },
        { operation: 'delete', value: { id: 'd' } },
      ],
    );
    const collection = syncedCollection<Row>(
      'controls',
      {
        url: 'http://app.test/api/electric/sync',
        authorization: async () => 'Bearer t',
        unauthorized: async () => 'stop',
        fetchClient: server.fetchClient,
      },
      { eager: true, name: 'controls-narrow' },
    );
    const seen: string[] = [];
    const subscription = collection.subscribeChanges((changes) => {
      for (const change of changes) seen.push(`${change.type} ${change.key}`);
    });
    server.release();
    await expect.poll(() => collection.isReady()).toBe(true);
    // One transaction: the rows reach TanStack DB's sorted store in key order (each appended,
    // not spliced in), so the change events come in that order too.
    expect(seen).toEqual(['insert a', 'insert b', 'insert c']);
    expect(collection.get('a')?.name).toBe('A renamed');
    expect(collection.has('d')).toBe(false);
    expect(collection.toArray.map((row) => row.id)).toEqual(['a', 'b', 'c']);
    subscription.unsubscribe();
    await collection.cleanup();
  });
});
