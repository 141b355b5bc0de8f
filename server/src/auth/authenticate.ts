// Owns request authentication for /api and /api/electric: the Bearer token is verified
// (auth/tokens.ts), its session checked against revocation, and the verified context put on
// `request.auth`. Handlers read the organisation only from there, never from the body.
// Routes attach `authenticate` (and `requireRole`) as onRequest hooks: they run before the body
// is read and before any schema validation, so a caller without a valid token (or with too low
// a role) learns nothing about a route's body, query or parameters (401/403, never 400).
import { type Role, roleAtLeast } from '@sertantai/core';
import type {
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  onRequestAsyncHookHandler,
  onRequestHookHandler,
} from 'fastify';
import { forbidden, unauthorized } from '../http/errors.ts';
import { bearerToken } from '../http/request-auth.ts';
import { type AccessClaims, TokenRejected, type TokenSettings, verifyAccessToken } from './tokens.ts';

/** Answers whether a session has been revoked (logout, reuse detection, member removed). */
export type RevocationCheck = (claims: AccessClaims) => Promise<boolean>;

/** Called on every rejection, for the structured log line and auth_failures_total. */
export type RejectionListener = (request: FastifyRequest, reason: string) => void;

export function createAuthenticate(
  settings: TokenSettings,
  isRevoked: RevocationCheck,
  onRejected: RejectionListener = () => {},
): onRequestAsyncHookHandler {
  return async function authenticate(request: FastifyRequest, _reply: FastifyReply) {
    const token = bearerToken(request);
    if (token === undefined) {
      onRejected(request, 'missing_token');
      throw unauthorized(
        'MISSING_TOKEN',
        'Sign in first: this request needs an Authorization: Bearer token.',
      );
    }
    let claims: AccessClaims;
    try {
      claims = await verifyAccessToken(settings, token);
    } catch (error) {
      if (!(error instanceof TokenRejected)) throw error;
      onRejected(request, error.reason);
      throw unauthorized(error.code, error.message);
    }
    if (await isRevoked(claims)) {
      onRejected(request, 'revoked');
      throw unauthorized('TOKEN_REVOKED', 'This session has been signed out. Sign in again.');
    }
    request.auth = {
      userId: claims.userId,
      orgId: claims.orgId,
      role: claims.role,
      sessionId: claims.sessionId,
    };
  };
}

/**
 * Hook that refuses callers below `minimum` with 403 FORBIDDEN. Put it after authenticate, in
 * onRequest. A callback, not async: it runs on nearly every request (no promise, no microtask).
 */
export function requireRole(minimum: Role): onRequestHookHandler {
  return function checkRole(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) {
    const auth = request.auth;
    if (!auth) return done(unauthorized('MISSING_TOKEN', 'Sign in first.'));
    if (!roleAtLeast(auth.role, minimum)) {
      return done(forbidden(`This action needs the ${minimum} role or higher; you are ${auth.role}.`));
    }
    done();
  };
}
