// Owns the clean-up of dead sessions: revoked or expired sessions are deleted (with their
// refresh tokens and directory entries, by cascade and trigger) once no access token of theirs
// can still be valid — `retention` after the revocation or expiry, at least a day and at least
// twice the access-token lifetime. Until then they must stay: a revoked session's row is what
// refuses its tokens and what turns a replayed refresh token into REFRESH_TOKEN_REUSED.
import type { Database } from '../db/database.ts';
import { boundedQuery } from '../db/overload.ts';
import { tenantTransaction } from '../db/tenant.ts';

export function sessionRetentionSeconds(accessTokenTtl: number): number {
  return Math.max(86_400, 2 * accessTokenTtl);
}

/** Deletes dead sessions in every organisation, one tenant transaction each. Returns the count. */
export async function sweepDeadSessions(db: Database, retentionSeconds: number): Promise<number> {
  const { rows } = await boundedQuery(db.appPool, 'SELECT id FROM organization_ids() AS id');
  let deleted = 0;
  for (const { id } of rows as Array<{ id: string }>) {
    const result = await tenantTransaction(
      db.appPool,
      { orgId: id },
      (tx) =>
        tx.query(
          `DELETE FROM sessions
            WHERE (revoked_at IS NOT NULL AND revoked_at < now() - make_interval(secs => $1))
               OR expires_at < now() - make_interval(secs => $1)`,
          [retentionSeconds],
        ),
      { operation: 'sweep' },
    );
    deleted += result.rowCount ?? 0;
  }
  return deleted;
}
