// Owns the list of tables browsers may sync. The server's shape allow-lists are keyed by it
// (a missing or extra table does not compile), the engine refuses any other table, the web app
// opens one stream per table, and publication sertantai_sync (migration 003) must hold exactly
// these: server/test/sync/shapes.test.ts compares pg_publication_tables with this list.
export const SYNCED_TABLES = [
  'organizations',
  'users',
  'control_providers',
  'controls',
  'control_interactions',
  'quadrant_classifications',
  'organizational_traces',
  'competency_records',
] as const;
export type SyncedTable = (typeof SYNCED_TABLES)[number];

export function isSyncedTable(name: unknown): name is SyncedTable {
  return typeof name === 'string' && (SYNCED_TABLES as readonly string[]).includes(name);
}
