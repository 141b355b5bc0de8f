// Owns the access-token format shared with the Sertantai ecosystem: JWT, HS256 only, signed
// with SHARED_TOKEN_SECRET. Claims: sub "user?id=<uuid>", org_id, role, sid, jti, iat, exp,
// iss, aud. Verification allow-lists the algorithm and checks every claim; each rejection
// carries a reason (for logs and metrics) and a contract code (for the client).
import { randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';

export const ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

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
  secret: string;
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

export async function verifyAccessToken(
  settings: TokenSettings,
  token: string,
  now = Math.floor(Date.now() / 1000),
): Promise<AccessClaims> {
  if (token.length > MAX_TOKEN_BYTES) throw new TokenRejected('INVALID_TOKEN', 'oversized');
  const header = decodeHeader(token);
  if (header.alg !== 'HS256') throw new TokenRejected('INVALID_TOKEN', 'algorithm_not_allowed');
  for (const field of ['jwk', 'jku', 'x5u', 'x5c', 'kid', 'crit'] as const) {
    if (field in header) throw new TokenRejected('INVALID_TOKEN', `header_${field}_not_allowed`);
  }
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, secretKey(settings.secret), {
      algorithms: ['HS256'],
      clockTolerance: CLOCK_SKEW_SECONDS,
      currentDate: new Date(now * 1000),
      requiredClaims: ['exp', 'sub'],
    }));
  } catch (error) {
    throw joseRejection(error);
  }
  if (payload.aud !== undefined && !audienceIncludes(payload.aud, settings.audience)) {
    throw new TokenRejected('INVALID_TOKEN', 'wrong_audience');
  }
  if (typeof payload.iat === 'number' && payload.iat > now + CLOCK_SKEW_SECONDS) {
    throw new TokenRejected('INVALID_TOKEN', 'issued_in_future');
  }
  const parsed = claimsSchema.safeParse(payload);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.join('.') || 'claims';
    throw new TokenRejected('INVALID_TOKEN', `bad_claim_${field}`);
  }
  const claims = parsed.data;
  return {
    userId: SUB_PATTERN.exec(claims.sub)![1]!.toLowerCase(),
    orgId: claims.org_id.toLowerCase(),
    role: claims.role,
    sessionId: claims.sid.toLowerCase(),
    tokenId: claims.jti ?? '',
    issuedAt: claims.iat ?? 0,
    expiresAt: claims.exp,
  };
}

function decodeHeader(token: string): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenRejected('INVALID_TOKEN', 'malformed');
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
    if (typeof header !== 'object' || header === null || Array.isArray(header))
      throw new Error('not an object');
    return header;
  } catch {
    throw new TokenRejected('INVALID_TOKEN', 'malformed');
  }
}

function audienceIncludes(aud: unknown, expected: string): boolean {
  return aud === expected || (Array.isArray(aud) && aud.includes(expected));
}

function joseRejection(error: unknown): TokenRejected {
  if (error instanceof joseErrors.JWTExpired) return new TokenRejected('TOKEN_EXPIRED', 'expired');
  if (error instanceof joseErrors.JWSSignatureVerificationFailed)
    return new TokenRejected('INVALID_TOKEN', 'bad_signature');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return new TokenRejected(
      'INVALID_TOKEN',
      error.claim === 'nbf' ? 'not_yet_valid' : `bad_claim_${error.claim}`,
    );
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed)
    return new TokenRejected('INVALID_TOKEN', 'algorithm_not_allowed');
  return new TokenRejected('INVALID_TOKEN', 'malformed');
}
