// Owns cookie mode for browsers and its CSRF defence.
//
// A client opts in with the request header `X-Auth-Mode: cookie` on register, login, refresh,
// invitation acceptance and logout. The refresh token then travels only in an HttpOnly,
// SameSite=Strict cookie scoped to Path=/auth (never in the body); the access token is in the
// body for the client to keep in memory. Over HTTPS the cookie is `Secure` and named with the
// `__Secure-` prefix: `__Host-` would force Path=/, which would send the refresh token with every
// request to the site, so the narrower path wins.
//
// CSRF: any request that *uses* the cookie (refresh or logout without a body token or Bearer)
// must carry the custom header `X-Auth-Mode: cookie` (a header a cross-site form cannot send and
// a cross-origin script cannot send without a CORS preflight, which this server never grants)
// AND an Origin (or, failing that, Referer) equal to this server's own origin or PUBLIC_ORIGIN.
// SameSite=Strict is a third layer, not relied on alone.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { forbidden } from '../http/errors.ts';

export const AUTH_MODE_HEADER = 'x-auth-mode';
export const COOKIE_PATH = '/auth';
const PLAIN_NAME = 'sertantai_refresh';
const SECURE_NAME = '__Secure-sertantai_refresh';

export function wantsCookieMode(request: FastifyRequest): boolean {
  const value = request.headers[AUTH_MODE_HEADER];
  return typeof value === 'string' && value.trim().toLowerCase() === 'cookie';
}

function isHttps(request: FastifyRequest): boolean {
  return request.protocol === 'https';
}

export function refreshCookieName(request: FastifyRequest): string {
  return isHttps(request) ? SECURE_NAME : PLAIN_NAME;
}

export function readRefreshCookie(request: FastifyRequest): string | undefined {
  const value = request.cookies?.[refreshCookieName(request)];
  return value ? value : undefined;
}

export function setRefreshCookie(
  request: FastifyRequest,
  reply: FastifyReply,
  token: string,
  maxAgeSeconds: number,
) {
  reply.setCookie(refreshCookieName(request), token, {
    httpOnly: true,
    sameSite: 'strict',
    secure: isHttps(request),
    path: COOKIE_PATH,
    maxAge: maxAgeSeconds,
  });
}

export function clearRefreshCookie(request: FastifyRequest, reply: FastifyReply) {
  reply.clearCookie(refreshCookieName(request), {
    httpOnly: true,
    sameSite: 'strict',
    secure: isHttps(request),
    path: COOKIE_PATH,
  });
}

/** Throws 403 FORBIDDEN (details.reason says why) unless the cookie-using request is same-origin. */
export function assertCsrfSafe(request: FastifyRequest, publicOrigin: string | undefined) {
  if (!wantsCookieMode(request)) {
    throw forbidden('Requests authenticated by cookie must send the header X-Auth-Mode: cookie.', {
      reason: 'csrf_header_missing',
    });
  }
  const origin = requestOrigin(request);
  if (origin === undefined) {
    throw forbidden('Requests authenticated by cookie must come with an Origin header.', {
      reason: 'origin_missing',
    });
  }
  const allowed = new Set<string>();
  const own = `${request.protocol}://${request.host}`;
  if (URL.canParse(own)) allowed.add(new URL(own).origin.toLowerCase()); // drops a default port
  if (publicOrigin) allowed.add(new URL(publicOrigin).origin.toLowerCase());
  if (!allowed.has(origin)) {
    throw forbidden('This request comes from another site.', { reason: 'origin_mismatch' });
  }
}

function requestOrigin(request: FastifyRequest): string | undefined {
  const origin = request.headers.origin;
  if (origin === 'null') return 'null';
  if (typeof origin === 'string' && origin !== '') {
    return URL.canParse(origin) ? new URL(origin).origin.toLowerCase() : origin.toLowerCase();
  }
  const referer = request.headers.referer;
  if (typeof referer === 'string' && URL.canParse(referer)) return new URL(referer).origin.toLowerCase();
  return undefined;
}
