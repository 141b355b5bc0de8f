// Owns what binds the generic engine (sync/engine) to the tenant model, for the public shape
// endpoint: the publication of the synced tables, snapshots read as the runtime role inside the
// organisation's tenant transaction (RLS is the second wall), and the organisation column that
// partitions every synced table (changes are routed by it and checked against it again).
import type { Database } from '../db/database.ts';
import { tenantTransaction } from '../db/tenant.ts';
import type { EngineScope } from './engine/scope.ts';

/** The publication of the synced tables (migrations/003). */
export const TENANT_PUBLICATION = 'sertantai_sync';

/** The column that names a row's organisation. */
export const tenantColumnOf = (table: string) => (table === 'organizations' ? 'id' : 'organization_id');

export function tenantScope(db: Pick<Database, 'appPool'>): EngineScope {
  return {
    publication: TENANT_PUBLICATION,
    runSnapshot: (def, work, options) =>
      tenantTransaction(db.appPool, { orgId: def.orgId }, work, { ...options, operation: 'snapshot' }),
    partitionColumn: tenantColumnOf,
  };
}
