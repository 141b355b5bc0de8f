// Reads the timing of an access token in the browser: its claims (unverified: the server
// verifies) and when to refresh it. Pure, so the session store's schedule is unit-tested.
import type { Role } from '@sertantai/core';

/** Reads `exp` and `iat` (seconds) from a JWT without verifying it (the server verifies). */
export function decodeClaims(token: string): { exp?: number; iat?: number; role?: Role } {
  const part = token.split('.')[1];
  if (!part) return {};
  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    const json = typeof atob === 'function' ? atob(padded) : Buffer.from(padded, 'base64').toString('binary');
    const claims = JSON.parse(json) as Record<string, unknown>;
    return {
      exp: typeof claims.exp === 'number' ? claims.exp : undefined,
      iat: typeof claims.iat === 'number' ? claims.iat : undefined,
      role: typeof claims.role === 'string' ? (claims.role as Role) : undefined,
    };
  } catch {
    return {};
  }
}

/**
 * When to refresh a token that expires at `expMs` and was issued at `iatMs`: a quarter of its
 * lifetime before expiry, at most one minute before, never in the past.
 */
export function refreshDelay(nowMs: number, expMs: number, iatMs?: number): number {
  const lifetime = Math.max(0, expMs - (iatMs ?? nowMs));
  const margin = Math.min(60_000, lifetime * 0.25);
  return Math.max(0, expMs - margin - nowMs);
}
