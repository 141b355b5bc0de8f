// Owns whether a pool's hot reads run as named (protocol-level) prepared statements, and their
// names. A named statement is parsed and planned once per connection instead of on every read.
// Off behind a transaction-mode pooler (PgBouncer before 1.21 cannot keep a statement prepared
// on one server connection for the next transaction, which may run on another): the setting
// DB_PREPARED_STATEMENTS (config.ts) says which, defaulting to on only for direct connections.
import type pg from 'pg';

const preparedPools = new WeakSet<pg.Pool>();
/** Who is told when a pool stops preparing on its own (the server's log). */
const notices = new WeakMap<pg.Pool, (line: string) => void>();

export function setPreparedStatements(pool: pg.Pool, on: boolean, notice?: (line: string) => void) {
  if (on) preparedPools.add(pool);
  else preparedPools.delete(pool);
  if (notice) notices.set(pool, notice);
}

/**
 * A named statement met a connection that does not keep it: PostgreSQL's "prepared statement
 * "sertantai_…" does not exist" (26000) or "… already exists" (42P05). A transaction-mode pooler
 * that cannot hold prepared statements (PgBouncer before 1.21, or without max_prepared_statements)
 * runs each transaction on whichever server connection is free, so DB_PREPARED_STATEMENTS was set
 * on where it cannot work. The statement never ran, so the read can run again unnamed.
 */
export function isUnkeptPreparedStatement(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (code === '26000' || code === '42P05') &&
    typeof message === 'string' &&
    message.includes('prepared statement "sertantai_')
  );
}

/**
 * Stops naming statements on `pool` for the rest of the process after isUnkeptPreparedStatement,
 * and says so once in the log: every later transaction runs unnamed, as with
 * DB_PREPARED_STATEMENTS=false, instead of failing whenever it lands on another server connection.
 */
export function stopPreparing(pool: pg.Pool, error: Error) {
  if (!preparedPools.has(pool)) return;
  preparedPools.delete(pool);
  notices.get(pool)?.(
    `prepared statements turned off for the app pool: ${error.message} (DB_PREPARED_STATEMENTS is on, but the ` +
      'connection does not keep them, as behind a transaction-mode pooler; set DB_PREPARED_STATEMENTS=false)',
  );
}

export function preparesStatements(pool: pg.Pool): boolean {
  return preparedPools.has(pool);
}

/**
 * Most distinct statement texts named per process: past it a text runs unnamed (parsed each
 * time), so a caller building many variants (the list's filters and sorts: hundreds) cannot
 * grow every connection's statement cache without bound. A prepared list statement holds
 * ~130 KB of the backend's memory (its cached plan and source, pg_backend_memory_contexts), so
 * 64 of them are ~8 MB per connection at worst; everyday use names a handful.
 */
const MAX_NAMED = 64;
const names = new Map<string, string>();

/** The statement's name for `text` (the same text always gets the same name), or undefined past the cap. */
export function statementName(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED) {
    name = `sertantai_${names.size + 1}`;
    names.set(text, name);
  }
  return name;
}

/**
 * PostgreSQL's "cached plan must not change result type" (SQLSTATE 0A000): a prepared statement
 * whose result columns changed under it (a rolling migration altered a column it returns). The
 * statement stays broken on that connection until deallocated, so the caller discards the
 * connection and runs the read again unnamed.
 */
export function isStalePreparedStatement(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === '0A000' && typeof message === 'string' && message.includes('cached plan must not change');
}
