// Owns what the code needs to know of pg's pipeline mode (8.23+, `pipeline: true` on the app
// pool, db/database.ts): whether a client is in it, and its socket, corked so the statements
// issued in one tick leave in one write.
import type { Writable } from 'node:stream';
import type pg from 'pg';

/** Whether the client was made with pg's `pipeline: true` (db/database.ts, the app pool). */
export function isPipelined(client: pg.ClientBase): boolean {
  return (client as unknown as { pipeline?: unknown }).pipeline === true;
}

/** The connection's socket (pg's own `connection.stream`, which its queries cork the same way). */
export function socketOf(client: pg.PoolClient): Pick<Writable, 'cork' | 'uncork'> | undefined {
  const stream = (client as unknown as { connection?: { stream?: Partial<Writable> } }).connection?.stream;
  return typeof stream?.cork === 'function' && typeof stream.uncork === 'function'
    ? (stream as Writable)
    : undefined;
}
