// `npm run db:migrate` applies pending migrations; `npm run db:status [-- --show-tables]` lists
// migrations and, with --show-tables, every table with its RLS state and policies.
import { loadConfig } from '../config.ts';
import { type Database, openDatabase } from './database.ts';
import { migrationStatus } from './migrate.ts';

/** Tables without tenant rows; the runtime role has no grant on them. */
const GLOBAL_TABLES: Record<string, string> = {
  directory: 'global lookup keys; runtime role has no grant, read only via directory_lookup()',
  schema_migrations: 'migration record; runtime role has no grant',
  rate_limit_state:
    'shared rate limits; runtime role has no grant, reached only via rate_limit_*() functions',
};

type TableRow = { table: string; enabled: boolean; forced: boolean; policies: string[] };

export async function tableSecurity(db: Database): Promise<TableRow[]> {
  const { rows } = await db.ownerPool.query(`
    SELECT c.relname AS table, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
           COALESCE(array_agg(p.polname || ' (' ||
             CASE p.polcmd WHEN 'r' THEN 'select' WHEN 'a' THEN 'insert' WHEN 'w' THEN 'update'
                           WHEN 'd' THEN 'delete' ELSE 'all' END || ')' ORDER BY p.polname)
             FILTER (WHERE p.polname IS NOT NULL), '{}') AS policies
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
    LEFT JOIN pg_policy p ON p.polrelid = c.oid
    WHERE c.relkind = 'r'
    GROUP BY c.relname, c.relrowsecurity, c.relforcerowsecurity
    ORDER BY c.relname`);
  return rows;
}

async function main() {
  const [command = 'status', ...flags] = process.argv.slice(2);
  const config = loadConfig();
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    appDatabaseUrl: config.appDatabaseUrl,
    preparedStatements: config.preparedStatements,
    requireLogicalWal: false,
    // openDatabase migrates; `status` reports what that left.
    log: command === 'migrate' ? (line) => console.log(line) : undefined,
  });
  try {
    console.log(`database: ${db.description}`);
    const owner = await db.ownerPool.connect();
    try {
      for (const migration of await migrationStatus(owner)) {
        const when = migration.appliedAt ? `applied ${migration.appliedAt.toISOString()}` : 'pending';
        console.log(`  ${migration.name.padEnd(36)} ${when}  sha256:${migration.checksum.slice(0, 12)}`);
      }
    } finally {
      owner.release();
    }
    if (command === 'status' && flags.includes('--show-tables')) {
      console.log('\ntables (RLS enabled / forced, policies):');
      for (const table of await tableSecurity(db)) {
        const state = `${table.enabled ? 'enabled' : 'DISABLED'} / ${table.forced ? 'forced' : 'not forced'}`;
        const note = GLOBAL_TABLES[table.table] ? `  (${GLOBAL_TABLES[table.table]})` : '';
        console.log(
          `  ${table.table.padEnd(28)} ${state.padEnd(22)} ${table.policies.length} policies${note}`,
        );
        for (const policy of table.policies) console.log(`      ${policy}`);
      }
    }
  } finally {
    await db.close();
  }
}

main().catch((error: Error) => {
  console.error(`db: ${error.message}`);
  process.exit(1);
});
