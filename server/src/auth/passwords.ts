// Owns password hashing: argon2id (OWASP parameters: 19 MiB, 2 iterations, 1 lane), and the
// length rules (8..128 characters, never silently truncated).
import { hash, verify } from '@node-rs/argon2';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

const ARGON2ID = 2; // @node-rs/argon2 Algorithm.Argon2id (a const enum, so spelled out here)
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same argon2id work as a real verification and always answers false. Login calls
 * it when the email is unknown (or the user has no password yet), so an attacker cannot tell
 * "no such account" from "wrong password" by timing.
 */
export async function verifyDummyPassword(password: string): Promise<false> {
  dummyHash ??= hashPassword('sertantai-dummy-password-for-timing');
  await verifyPassword(await dummyHash, password);
  return false;
}

/** Computes the dummy hash ahead of the first unknown-e-mail login (so that one is not slower). */
export function primeDummyHash(): void {
  dummyHash ??= hashPassword('sertantai-dummy-password-for-timing');
  dummyHash.catch(() => {
    dummyHash = undefined;
  });
}
