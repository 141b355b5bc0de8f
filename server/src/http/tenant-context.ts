// The tenant context of an authenticated request: the organisation and user from the verified
// token, and the request id for the audit trail. The one way routes build it.
import type { FastifyRequest } from 'fastify';
import { authOf } from '../auth/authenticate.ts';
import type { TenantContext } from '../db/tenant.ts';

export function tenantOf(request: FastifyRequest): TenantContext {
  const auth = authOf(request);
  return { orgId: auth.orgId, userId: auth.userId, requestId: request.id };
}
