// Owns the access-token format shared with the Sertantai ecosystem: JWT, HS256 only, signed
// with SHARED_TOKEN_SECRET (SHARED_TOKEN_SECRET_PREVIOUS also verifies during a rotation).
// Claims: sub "user?id=<uuid>", org_id, role, sid, jti, iat, exp, iss (must be TOKEN_ISSUER),
// aud (required, must include TOKEN_AUDIENCE). Verification allow-lists the algorithm and
// checks every claim; each rejection carries a reason (for logs and metrics) and a contract
// code (for the client).
import { createHmac, createSecretKey, type KeyObject, randomUUID, timingSafeEqual } from 'node:crypto';
import { ROLES, type Role } from '@sertantai/core';
import { SignJWT } from 'jose';
import { z } from 'zod';

export type AccessClaims = {
  userId: string;
  orgId: string;
  role: Role;
  sessionId: string;
  tokenId: string;
  issuedAt: number;
  expiresAt: number;
};

export type TokenSettings = {
  /** Signs new tokens and verifies. */
  secret: string;
  /** SHARED_TOKEN_SECRET_PREVIOUS during a rotation: verifies only, never signs. */
  previousSecret?: string | undefined;
  issuer: string;
  audience: string;
  accessTokenTtl: number;
};

export const MAX_TOKEN_BYTES = 4096;
const CLOCK_SKEW_SECONDS = 30;
const SUB_PATTERN = /^user\?id=([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

const claimsSchema = z.object({
  sub: z.string().regex(SUB_PATTERN),
  org_id: z.uuid(),
  role: z.enum(ROLES),
  sid: z.uuid(),
  exp: z.number().int(),
  iat: z.number().int().optional(),
  jti: z.string().max(200).optional(),
});

export class TokenRejected extends Error {
  constructor(
    /** Contract code: INVALID_TOKEN or TOKEN_EXPIRED. */
    readonly code: 'INVALID_TOKEN' | 'TOKEN_EXPIRED',
    /** Machine reason for logs and the auth_failures_total metric. */
    readonly reason: string,
  ) {
    super(code === 'TOKEN_EXPIRED' ? 'Your session token has expired.' : 'The access token is not valid.');
  }
}

export function secretKey(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

export async function signAccessToken(
  settings: TokenSettings,
  subject: { userId: string; orgId: string; role: Role; sessionId: string },
  now = Math.floor(Date.now() / 1000),
): Promise<{ token: string; expiresAt: number }> {
  const expiresAt = now + settings.accessTokenTtl;
  const token = await new SignJWT({ org_id: subject.orgId, role: subject.role, sid: subject.sessionId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(`user?id=${subject.userId}`)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(expiresAt)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .sign(secretKey(settings.secret));
  return { token, expiresAt };
}

/**
 * Verifies an access token. The JWS is checked by hand with node:crypto (HMAC-SHA256 over the
 * exact signing input, constant-time compare): the algorithm is allow-listed before anything
 * else, so there is no key-type confusion, and it costs a fraction of WebCrypto's async verify
 * (see bench/auth.ts). Every claim rule is explicit below.
 */
export async function verifyAccessToken(
  settings: TokenSettings,
  token: string,
  now = Math.floor(Date.now() / 1000),
): Promise<AccessClaims> {
  // A token is sent again and again until it expires: once its signature and claims are
  // verified, the same exact string needs only its expiry checked (nbf and iat only ever
  // become more valid with time). Only verified tokens enter, so callers cannot fill it.
  const cache = verifiedCacheOf(settings);
  const known = cache.get(token);
  if (known) {
    if (known.expiresAt <= now - CLOCK_SKEW_SECONDS) throw new TokenRejected('TOKEN_EXPIRED', 'expired');
    return known;
  }
  const claims = verifyUncached(settings, token, now);
  if (cache.size >= VERIFIED_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(token, claims);
  return claims;
}

/** Verified tokens per settings (a rotation builds new settings, so it starts a new cache). */
const verifiedCaches = new WeakMap<TokenSettings, Map<string, AccessClaims>>();
const VERIFIED_CACHE_SIZE = 10_000;

function verifiedCacheOf(settings: TokenSettings): Map<string, AccessClaims> {
  let cache = verifiedCaches.get(settings);
  if (!cache) {
    cache = new Map();
    verifiedCaches.set(settings, cache);
  }
  return cache;
}

function verifyUncached(settings: TokenSettings, token: string, now: number): AccessClaims {
  if (token.length > MAX_TOKEN_BYTES) throw new TokenRejected('INVALID_TOKEN', 'oversized');
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((part) => part.length > 0 && BASE64URL.test(part))) {
    throw new TokenRejected('INVALID_TOKEN', 'malformed');
  }
  const [encodedHeader, encodedPayload, encodedSignature] = parts as [string, string, string];
  const header = decodeJson(encodedHeader);
  if (header.alg !== 'HS256') throw new TokenRejected('INVALID_TOKEN', 'algorithm_not_allowed');
  for (const field of ['jwk', 'jku', 'x5u', 'x5c', 'kid', 'crit', 'b64'] as const) {
    if (field in header) throw new TokenRejected('INVALID_TOKEN', `header_${field}_not_allowed`);
  }
  if (header.typ !== undefined && !(typeof header.typ === 'string' && /^(jwt|at\+jwt)$/i.test(header.typ))) {
    throw new TokenRejected('INVALID_TOKEN', 'bad_typ');
  }
  const signingInput = `${encodedHeader}.${encodedPayload}`;
  const given = Buffer.from(encodedSignature, 'base64url');
  // One text per signature: the last of 43 characters carries 2 unused bits, so four texts
  // decode to the same 32 bytes. Only the canonical one is accepted, so no token has a twin
  // that a cache or deny list keyed by the token's text would treat as another token.
  if (given.toString('base64url') !== encodedSignature)
    throw new TokenRejected('INVALID_TOKEN', 'bad_signature');
  const signedBy = (secret: string) => {
    const expected = createHmac('sha256', keyFor(secret)).update(signingInput).digest();
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  if (!signedBy(settings.secret) && !(settings.previousSecret && signedBy(settings.previousSecret))) {
    throw new TokenRejected('INVALID_TOKEN', 'bad_signature');
  }
  const payload = decodeJson(encodedPayload);
  if (payload.exp === undefined) throw new TokenRejected('INVALID_TOKEN', 'bad_claim_exp');
  for (const name of ['exp', 'nbf', 'iat'] as const) {
    if (
      payload[name] !== undefined &&
      (typeof payload[name] !== 'number' || !Number.isFinite(payload[name]))
    ) {
      throw new TokenRejected('INVALID_TOKEN', `bad_claim_${name}`);
    }
  }
  if ((payload.exp as number) <= now - CLOCK_SKEW_SECONDS)
    throw new TokenRejected('TOKEN_EXPIRED', 'expired');
  if (typeof payload.nbf === 'number' && payload.nbf > now + CLOCK_SKEW_SECONDS) {
    throw new TokenRejected('INVALID_TOKEN', 'not_yet_valid');
  }
  if (typeof payload.iat === 'number' && payload.iat > now + CLOCK_SKEW_SECONDS) {
    throw new TokenRejected('INVALID_TOKEN', 'issued_in_future');
  }
  if (payload.iss !== settings.issuer) {
    throw new TokenRejected('INVALID_TOKEN', payload.iss === undefined ? 'missing_issuer' : 'wrong_issuer');
  }
  if (payload.aud === undefined) throw new TokenRejected('INVALID_TOKEN', 'missing_audience');
  if (!audienceIncludes(payload.aud, settings.audience)) {
    throw new TokenRejected('INVALID_TOKEN', 'wrong_audience');
  }
  const parsed = claimsSchema.safeParse(payload);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join('.') || 'claims';
    throw new TokenRejected('INVALID_TOKEN', `bad_claim_${field}`);
  }
  const claims = parsed.data;
  return Object.freeze({
    userId: SUB_PATTERN.exec(claims.sub)![1]!.toLowerCase(),
    orgId: claims.org_id.toLowerCase(),
    role: claims.role,
    sessionId: claims.sid.toLowerCase(),
    tokenId: claims.jti ?? '',
    issuedAt: claims.iat ?? 0,
    expiresAt: claims.exp,
  });
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const keys = new Map<string, KeyObject>();

function keyFor(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    if (keys.size > 8) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

function decodeJson(part: string): Record<string, unknown> {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value;
  } catch {
    throw new TokenRejected('INVALID_TOKEN', 'malformed');
  }
}

function audienceIncludes(aud: unknown, expected: string): boolean {
  return aud === expected || (Array.isArray(aud) && aud.includes(expected));
}
