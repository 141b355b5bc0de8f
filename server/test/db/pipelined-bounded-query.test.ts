// boundedQuery on a pipelined pool (the app pool's mode): BEGIN, the statement timeout, the
// statement and COMMIT leave in one write, one round trip instead of three; the timeout still
// binds the statement and a failure leaves no transaction open on the pooled connection.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { boundedQuery, setStatementTimeout } from '../../src/db/overload.ts';
import { openTestDatabase } from '../helpers/app.ts';
import { flushesDuring } from '../helpers/socket-flushes.ts';

let db: Database;
let single: pg.Pool;

beforeAll(async () => {
  db = await openTestDatabase();
  single = new pg.Pool({ connectionString: db.appUrl, max: 1, pipeline: true } as pg.PoolConfig);
  setStatementTimeout(single, 1_234);
});
afterAll(async () => {
  await single.end();
  await db.close();
});

describe('boundedQuery on a pipelined pool', () => {
  it('writes BEGIN, the timeout, the statement and COMMIT at once, under the pool timeout', async () => {
    let timeout = '';
    const flushes = await flushesDuring(single, async () => {
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
