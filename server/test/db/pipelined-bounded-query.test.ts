// boundedQuery on a pipelined pool (the app pool's mode): BEGIN, the statement timeout, the
// statement and COMMIT leave in one write, one round trip instead of three; the timeout still
// binds the statement and a failure leaves no transaction open on the pooled connection.
import type { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { boundedQuery, setStatementTimeout } from '../../src/db/overload.ts';
import { openTestDatabase } from '../helpers/app.ts';

let db: Database;
let single: pg.Pool;
type Flushing = Pick<Writable, '_write' | '_writev'>;

beforeAll(async () => {
  db = await openTestDatabase();
  single = new pg.Pool({ connectionString: db.appUrl, max: 1, pipeline: true } as pg.PoolConfig);
  setStatementTimeout(single, 1_234);
});
afterAll(async () => {
  await single.end();
  await db.close();
});

/** Counts the socket's flushes (a corked run of messages leaves in one _writev) while `work` runs. */
async function flushesDuring(work: () => Promise<unknown>): Promise<number> {
  const client = await single.connect();
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

describe('boundedQuery on a pipelined pool', () => {
  it('writes BEGIN, the timeout, the statement and COMMIT at once, under the pool timeout', async () => {
    let timeout = '';
    const flushes = await flushesDuring(async () => {
      const { rows } = await boundedQuery(single, `SELECT current_setting('statement_timeout') AS t`);
      timeout = rows[0]?.t;
    });
    expect(flushes).toBe(1);
    expect(timeout).toBe('1234ms');
    // Transaction-local: the session keeps its own setting afterwards.
    const { rows } = await single.query(`SELECT current_setting('statement_timeout') AS t`);
    expect(rows[0].t).not.toBe('1234ms');
  });

  it('a failed statement is the answer and leaves no transaction open', async () => {
    await expect(boundedQuery(single, 'SELECT 1 / 0')).rejects.toMatchObject({ code: '22012' });
    const { rows } = await single.query(`SELECT now() = statement_timestamp() AS outside_a_transaction`);
    expect(rows[0].outside_a_transaction).toBe(true);
    const { rows: again } = await boundedQuery(single, 'SELECT 2 AS two');
    expect(again[0]?.two).toBe(2);
  });

  it('a statement past the timeout is canceled (57014)', async () => {
    await expect(boundedQuery(single, 'SELECT pg_sleep(3)')).rejects.toMatchObject({ code: '57014' });
  });
});
