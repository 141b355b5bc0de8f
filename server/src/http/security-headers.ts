// Owns the browser security headers on every response. Written by hand rather than with
// @fastify/helmet: the app needs a handful of fixed headers, a CSP whose script hashes come
// from the built web app at start (web/feature.ts), and HSTS only over HTTPS, which helmet
// would each need overriding for.
// - Content-Security-Policy: pages (HTML, and scripts such as the service worker, whose
//   policy governs the worker) get PAGE_POLICY; every other answer (JSON, CSV, metrics) gets
//   API_POLICY, which allows nothing at all. A route may set its own (the web app's index.html
//   adds the hashes of its inline bootstrap script).
// - frame-ancestors 'none' and X-Frame-Options: DENY (no framing, so no click-jacking),
//   X-Content-Type-Options: nosniff, and Referrer-Policy: same-origin — nothing is sent to
//   other sites. Not no-referrer: under it browsers send `Origin: null` on the app's own POSTs,
//   which the cookie mode's CSRF check (auth/cookies.ts) must refuse.
// - Strict-Transport-Security only when the request came over HTTPS (with TRUST_PROXY, as the
//   proxy's X-Forwarded-Proto says): over plain HTTP it would be ignored, and sending it from a
//   development server on localhost would pin HTTPS onto every other localhost app.
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

export const API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * The policy of the web app and the API docs page. Styles may be inline: Svelte and cytoscape
 * set style attributes, and a style cannot run code; scripts are 'self' plus the given hashes.
 */
export function pagePolicy(scriptHashes: string[] = []): string {
  return [
    "default-src 'self'",
    `script-src 'self'${scriptHashes.map((hash) => ` '${hash}'`).join('')}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The CSP hash sources ('sha256-…') of every inline <script> of an HTML document. */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (/\bsrc\s*=/i.test(match[1] ?? '') || !match[2]) continue;
    hashes.push(`sha256-${createHash('sha256').update(match[2]).digest('base64')}`);
  }
  return hashes;
}

const HSTS = 'max-age=31536000; includeSubDomains';

/** The page policy without inline script hashes (the same text on every answer). */
const PAGE_POLICY = pagePolicy();

export function installSecurityHeaders(app: FastifyInstance) {
  // A callback, not async: this runs on every answer (no promise, no microtask).
  app.addHook('onSend', (request, reply, payload, done) => {
    if (!reply.hasHeader('content-security-policy')) {
      const type = String(reply.getHeader('content-type') ?? '');
      const page = /text\/html|javascript/.test(type);
      reply.header('content-security-policy', page ? PAGE_POLICY : API_POLICY);
    }
    reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    if (request.protocol === 'https') reply.header('strict-transport-security', HSTS);
    done(null, payload);
  });
}
