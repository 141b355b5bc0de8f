// Owns the one way code reaches tenant tables: a transaction on one pooled connection of the
// runtime role, with the organisation (and, for the audit trail, the acting user and request
// id) set transaction-locally. The settings vanish at COMMIT/ROLLBACK, so nothing leaks into
// the next request that borrows the connection. Every transaction has a statement timeout, so
// no statement holds its connection forever (57014 → 503 OVERLOADED in the error handler).
import pg from 'pg';
import { statementTimeoutOf } from './overload.ts';
import { isPipelined, socketOf } from './pipeline.ts';
import {
  isStalePreparedStatement,
  isUnkeptPreparedStatement,
  preparesStatements,
  statementName,
  stopPreparing,
} from './prepared.ts';
import { type DbOperation, timed } from './query-timing.ts';

export type TenantContext = {
  orgId: string;
  userId?: string | undefined;
  requestId?: string | undefined;
};

export type TransactionOptions = {
  isolation?: 'read committed' | 'repeatable read' | 'serializable';
  readOnly?: boolean;
  /** Label of db_query_duration_seconds (default tenant_tx): the time from BEGIN to COMMIT. */
  operation?: DbOperation;
  /** Overrides the pool's statement timeout (sync snapshots have their own). */
  statementTimeoutMs?: number;
};

export type Tx = pg.PoolClient;

export async function tenantTransaction<T>(
  pool: pg.Pool,
  context: TenantContext,
  work: (tx: Tx) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const run = () =>
    onTenantConnection(pool, context, options, async (client, opened) => {
      // The app pool pipelines (db/database.ts): BEGIN and the settings go out with the work's
      // first statement, one round trip; the work's answer is trusted only once both succeeded.
      // allSettled, not all: the connection goes back to the pool only after the work has ended.
      const [worked, began] = await Promise.allSettled([work(client), opened]);
      if (began.status === 'rejected') throw began.reason;
      if (worked.status === 'rejected') throw worked.reason;
      await client.query('COMMIT');
      return worked.value;
    });
  try {
    return await run();
  } catch (error) {
    // The only named statement here is the settings, ahead of the work's statements: when the
    // connection did not keep it, the transaction failed before any of them took effect, and
    // runs again with the settings unnamed (stopPreparing has turned naming off).
    if (!isUnkeptPreparedStatement(error)) throw error;
    return run();
  }
}

/**
 * One read-only statement in the organisation's transaction, in ONE round trip: BEGIN, the
 * settings, the statement and COMMIT are written together (pipeline mode) and answered
 * together. The organisation is a parameter of the settings statement, never SQL text. For
 * reads whose whole answer is one statement (GET /api/controls/:id, the list). On a pool that
 * prepares statements (db/prepared.ts) the statement is named, so each connection parses and
 * plans it once; name explicit columns rather than `*` in `sql`, so a column added by a rolling
 * migration does not change its result. If its result changed anyway (SQLSTATE 0A000), the
 * connection is discarded and the read runs once more, unnamed.
 */
export async function tenantRead<R extends pg.QueryResultRow = pg.QueryResultRow>(
  pool: pg.Pool,
  context: TenantContext,
  sql: string,
  params: readonly unknown[],
  options: ReadOptions = {},
): Promise<R[]> {
  const values = params as unknown[];
  const { types, rowMode, ...transaction } = options;
  const name = preparesStatements(pool) ? statementName(sql) : undefined;
  const statement = { text: sql, values, types, rowMode };
  if (name === undefined) return readOnce<R>(pool, context, statement, transaction);
  try {
    return await readOnce<R>(pool, context, { ...statement, name }, transaction);
  } catch (error) {
    // The named read did not run (its result changed under it, or the connection does not keep
    // prepared statements): the same read, unnamed.
    if (!isStalePreparedStatement(error) && !isUnkeptPreparedStatement(error)) throw error;
    return readOnce<R>(pool, context, statement, transaction);
  }
}

async function readOnce<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  context: TenantContext,
  statement: Statement,
  options: Omit<TransactionOptions, 'readOnly'>,
): Promise<R[]> {
  return onTenantConnection(pool, context, { ...options, readOnly: true }, async (client, opened) => {
    if (!isPipelined(client)) {
      const { rows } = await issue<R>(client, statement);
      await client.query('COMMIT');
      return rows;
    }
    const read = issue<R>(client, statement);
    const commit = client.query('COMMIT');
    // A failed step aborts the transaction, so COMMIT then only rolls back; the first failure is the answer.
    const [, result] = await Promise.all([opened, read, commit]);
    return result.rows;
  });
}

/**
 * Borrows a connection, writes BEGIN and the tenant settings WITHOUT waiting for them (`opened`
 * settles when both are answered), and runs `use`; on any failure rolls back, and destroys a
 * connection that cannot even roll back.
 */
async function onTenantConnection<T>(
  pool: pg.Pool,
  context: TenantContext,
  options: TransactionOptions,
  use: (client: pg.PoolClient, opened: Promise<unknown>) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    return await timed(pool, options.operation ?? 'tenant_tx', async () => {
      if (!isPipelined(client)) {
        // A pool without pipeline mode (the owner's, a test's): one statement at a time.
        await client.query(`BEGIN ${transactionMode(options)}`);
        await issue(client, settingsStatement(pool, context, options));
        return use(client, Promise.resolve());
      }
      // Corked, the statements issued in this tick leave in one write (pg corks each query on
      // its own): one system call instead of four, which on loopback also carries the delivery.
      const socket = socketOf(client);
      socket?.cork();
      const opened = Promise.all([
        client.query(`BEGIN ${transactionMode(options)}`),
        issue(client, settingsStatement(pool, context, options)),
      ]);
      opened.catch(() => {}); // awaited by `use`; this only keeps an early failure from being unhandled
      try {
        return use(client, opened);
      } finally {
        socket?.uncork();
      }
    });
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch {
      broken = true; // the connection is unusable: destroy it rather than return it to the pool
    }
    // A prepared statement whose result changed stays broken on this connection: drop it with it.
    if (isStalePreparedStatement(error)) broken = true;
    // A connection that does not keep them: pg's list of what it prepared there is wrong, and no
    // statement of this pool is named again (prepared.ts).
    if (isUnkeptPreparedStatement(error)) {
      broken = true;
      stopPreparing(pool, error as Error);
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

const SETTINGS = `SELECT set_config('app.current_org_id', $1, true),
                          set_config('app.current_user_id', $2, true),
                          set_config('app.request_id', $3, true),
                          set_config('statement_timeout', $4, true)`;

/** The settings with their values; named (parsed once per connection) where the pool prepares statements. */
function settingsStatement(pool: pg.Pool, context: TenantContext, options: TransactionOptions): Statement {
  const values = [
    context.orgId,
    context.userId ?? '',
    context.requestId ?? '',
    String(options.statementTimeoutMs ?? statementTimeoutOf(pool)),
  ];
  return preparesStatements(pool)
    ? { name: 'sertantai_settings', text: SETTINGS, values }
    : { text: SETTINGS, values };
}

/** A statement's text and values, and its name when it is to be prepared once per connection. */
type Statement = {
  name?: string | undefined;
  text: string;
  values: unknown[];
  types?: pg.CustomTypesConfig | undefined;
  rowMode?: 'array' | undefined;
};

/**
 * tenantRead's options: the transaction's, and how this read's rows come back: pg's `types`
 * (how each value is parsed) and `rowMode` ('array': each row its values in select-list order).
 */
export type ReadOptions = Omit<TransactionOptions, 'readOnly'> & {
  types?: pg.CustomTypesConfig;
  rowMode?: 'array';
};

/**
 * Issues a statement. Named, as a pg Query made from the text alone and named afterwards:
 * given a config object ({ name, text, values }) pg copies it property by property on every
 * query (cloneQueryConfig, ~1.5 µs, into an object in V8's slow dictionary layout).
 */
function issue<R extends pg.QueryResultRow = pg.QueryResultRow>(
  client: pg.PoolClient,
  statement: Statement,
): Promise<pg.QueryResult<R>> {
  const { name, text, values, types, rowMode } = statement;
  const plain = types === undefined && rowMode === undefined;
  if (name === undefined && plain) return client.query<R>(text, values);
  return new Promise((resolve, reject) => {
    const callback = (error: Error | undefined, result: unknown) =>
      error ? reject(error) : resolve(result as pg.QueryResult<R>);
    // Types and row mode go in a config object: pg sets up the row parser when the query is made.
    const query = plain
      ? new pg.Query<R>(text, values, callback)
      : new pg.Query<R>({ text, values, types, rowMode } as pg.QueryConfig, callback);
    if (name !== undefined) (query as unknown as { name: string }).name = name;
    client.query(query);
  });
}

function transactionMode(options: TransactionOptions): string {
  return [
    options.isolation ? `ISOLATION LEVEL ${options.isolation.toUpperCase()}` : '',
    options.readOnly ? 'READ ONLY' : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** The id of the current (writing) transaction, as the number sync clients match on. */
export async function currentTxid(tx: Tx): Promise<number> {
  const { rows } = await tx.query(`SELECT pg_current_xact_id()::xid::text AS txid`);
  return Number(rows[0].txid);
}
