// Owns whether a pool's hot reads run as named (protocol-level) prepared statements, and their
// names. A named statement is parsed and planned once per connection instead of on every read.
// Off behind a transaction-mode pooler (PgBouncer before 1.21 cannot keep a statement prepared
// on one server connection for the next transaction, which may run on another): the setting
// DB_PREPARED_STATEMENTS (config.ts) says which, defaulting to on only for direct connections.
import type pg from 'pg';

const preparedPools = new WeakSet<pg.Pool>();

export function setPreparedStatements(pool: pg.Pool, on: boolean) {
  if (on) preparedPools.add(pool);
  else preparedPools.delete(pool);
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
