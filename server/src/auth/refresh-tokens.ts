// Owns the refresh-token format: opaque, 256 random bits (base64url), stored only as its
// SHA-256. A rotated token's successor is derived, not random: HMAC-SHA256(secret, parent),
// so during the grace window the server can hand the same successor to a second, concurrent
// refresh of the parent without ever storing a usable token. Knowing a successor requires the
// parent token and the server secret.
import { createHash, createHmac, randomBytes } from 'node:crypto';

export const REFRESH_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

export function successorToken(secret: string, parent: string): string {
  return createHmac('sha256', secret)
    .update('sertantai-refresh-successor\0')
    .update(parent)
    .digest('base64url');
}

/** SHA-256 of the token: what the database stores (bytea). */
export function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** The directory key of a hash: lowercase hex of the bytea. */
export function hashKey(hash: Buffer): string {
  return hash.toString('hex');
}
