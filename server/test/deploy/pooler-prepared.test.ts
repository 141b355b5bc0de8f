// DB_PREPARED_STATEMENTS forced on behind a real PgBouncer (1.18) in transaction mode, which
// cannot keep prepared statements: a transaction lands on whichever server connection is free, so
// a statement named on one is missing ("does not exist") or already there ("already exists") on
// another. Reads must still answer (run again unnamed), and the app pool must stop naming
// statements for good, so every later read and write works as with the setting off.
// Skips when /usr/sbin/pgbouncer is absent (apt-get install pgbouncer; .ci/run does).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparesStatements, setPreparedStatements } from '../../src/db/prepared.ts';
import { register } from '../auth/helpers.ts';
import { createTestApp, type TestApp, testConfig } from '../helpers/app.ts';
import { havePgBouncer, type Pooler, startPooler } from '../helpers/pgbouncer.ts';

describe.skipIf(!havePgBouncer)(
  'prepared statements forced on behind PgBouncer in transaction mode (skipped: no /usr/sbin/pgbouncer)',
  () => {
    let pooler: Pooler;
    let app: TestApp;

    beforeAll(async () => {
      pooler = await startPooler(testConfig().databaseUrl!, 'pooled_prepared');
      app = await createTestApp({ env: { APP_DATABASE_URL: pooler.appUrl, DB_PREPARED_STATEMENTS: 'true' } });
    }, 60_000);

    afterAll(async () => {
      await app?.close();
      await pooler?.close();
    });

    it('answers every read, stops naming statements, then reads and writes as with the setting off', async () => {
      expect(preparesStatements(app.db.appPool)).toBe(true);
      const notices: string[] = []; // what the server logs at warn (boot.ts)
      setPreparedStatements(app.db.appPool, true, (line) => notices.push(line));
      const owner = await register(app.app);
      const auth = { authorization: `Bearer ${owner.accessToken}` };
      const read = (url: string) => app.app.inject({ method: 'GET', url, headers: auth });

      // Bursts of reads until one lands a named statement on a server connection without it.
      const readStatuses: number[] = [];
      for (let burst = 0; burst < 20 && preparesStatements(app.db.appPool); burst++) {
        const answers = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            read(i % 2 ? '/api/controls' : '/api/controls?sort=-created_at'),
          ),
        );
        readStatuses.push(...answers.map((answer) => answer.statusCode));
      }
      expect(preparesStatements(app.db.appPool)).toBe(false);
      expect(notices).toHaveLength(1);
      expect(notices[0]).toContain('prepared statements turned off for the app pool');
      expect(readStatuses.filter((status) => status !== 200)).toEqual([]);

      const mixed = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          i % 3 === 0
            ? app.app.inject({
                method: 'POST',
                url: '/api/controls',
                headers: auth,
                payload: { name: `Pooled ${i}`, control_type: 'technical', functional_range: 'narrow' },
              })
            : read('/api/controls'),
        ),
      );
      expect(mixed.map((answer) => answer.statusCode).filter((status) => status >= 300)).toEqual([]);
      const listed = await read('/api/controls?limit=50');
      expect(listed.json().data).toHaveLength(10);
    });
  },
);
