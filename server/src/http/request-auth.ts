// Owns what authentication leaves on a request, as every route reads it: the bearer token a
// request carries, and the verified context (`request.auth`) the identity feature's
// authenticate hook (auth/authenticate.ts) puts there. Kept here, below auth, so that
// the tenant context and the operations routes read a request without depending on identity.
import type { Role } from '@sertantai/core';
import type { FastifyRequest } from 'fastify';
import { unauthorized } from './errors.ts';

export type AuthContext = {
  userId: string;
  orgId: string;
  role: Role;
  sessionId: string;
};

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | undefined;
  }
}

/** The token of `Authorization: Bearer <token>`: undefined without the header, '' when malformed. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : '';
}

/** The verified context of an authenticated request (throws if authenticate did not run). */
export function authOf(request: FastifyRequest): AuthContext {
  if (!request.auth) throw unauthorized('MISSING_TOKEN', 'Sign in first.');
  return request.auth;
}
