// The tenant context of an authenticated request: the organisation and user from the verified
// token, and the request id for the audit trail. The one way routes build it, and the one way
// a route runs its service call in that tenant's transaction.
import type { FastifyRequest } from 'fastify';
import type { Database } from '../db/database.ts';
import { currentTxid, type TenantContext, type Tx, tenantTransaction } from '../db/tenant.ts';
import { type AuthContext, authOf } from './request-auth.ts';

export function tenantOf(request: FastifyRequest): TenantContext {
  return contextOf(authOf(request), request.id);
}

/** The same context from a verified token and a request id (for services given both). */
export function contextOf(auth: AuthContext, requestId: string): TenantContext {
  return { orgId: auth.orgId, userId: auth.userId, requestId };
}

/** `work` in one tenant transaction of the requesting organisation. */
export function inTenant<T>(db: Database, request: FastifyRequest, work: (tx: Tx) => Promise<T>): Promise<T> {
  return tenantTransaction(db.appPool, tenantOf(request), work);
}

/** `read` in one read-only tenant transaction of the requesting organisation. */
export function readInTenant<T>(
  db: Database,
  request: FastifyRequest,
  read: (tx: Tx) => Promise<T>,
): Promise<T> {
  return tenantTransaction(db.appPool, tenantOf(request), read, { readOnly: true });
}

/**
 * A write's answer, `{ data, txid }`: `write` in one tenant transaction, and that transaction's
 * id read inside it (the client waits for it on its sync stream).
 */
export function writeInTenant<T>(
  db: Database,
  request: FastifyRequest,
  write: (tx: Tx) => Promise<T>,
): Promise<{ data: T; txid: number }> {
  return inTenant(db, request, async (tx) => ({ data: await write(tx), txid: await currentTxid(tx) }));
}
