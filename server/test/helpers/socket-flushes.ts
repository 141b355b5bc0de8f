// Counts a pooled connection's socket flushes while `work` runs: what a round trip waits on (a
// corked run of messages leaves in one _writev; four awaited statements would flush four times).
// For a pool of one connection, so `work` runs on the connection that is watched.
import type { Writable } from 'node:stream';
import type pg from 'pg';

type Flushing = Pick<Writable, '_write' | '_writev'>;

export async function flushesDuring(pool: pg.Pool, work: () => Promise<unknown>): Promise<number> {
  const client = await pool.connect();
  const socket = (client as unknown as { connection: { stream: Flushing } }).connection.stream;
  const original = { write: socket._write, writev: socket._writev };
  let flushes = 0;
  socket._write = function (...args) {
    flushes++;
    return original.write.apply(this, args);
  };
  socket._writev = function (...args) {
    flushes++;
    return original.writev?.apply(this, args);
  };
  client.release();
  try {
    await work();
    return flushes;
  } finally {
    socket._write = original.write;
    socket._writev = original.writev;
  }
}
