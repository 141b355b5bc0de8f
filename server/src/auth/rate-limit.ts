// Owns the identity service's rate limits: what is limited, by which key, and how far. The
// counting lives in a shared store (limit-store.ts: PostgreSQL, or Redis with REDIS_URL), so
// every process of the service shares it.
//
// Login lock-out is designed so that it cannot be turned against the real user:
// - failures are counted per account *and* client address (IPv6: its /64); only the address
//   that has been failing is refused (429), never the account as a whole;
// - when an account collects many failures from anywhere (credential stuffing, a distributed
//   guesser), it is "under attack": from then on an address is locked after its *first*
//   failure for that account (for `lockSeconds`, doubling). An address that has not failed —
//   the real user's — still goes straight to the password check. The attacker pays with one
//   fresh address per guess; the user pays nothing.
//
// Written by hand rather than with @fastify/rate-limit: that plugin counts every request in a
// fixed window keyed before the body is read, while the login rule counts only failures, keys
// on the e-mail in the body and the address, and forgets on success.

import type { BucketSettings } from '../limit-settings.ts';
import { clientAddressKey } from './client-address.ts';
import {
  type BackoffSettings,
  DEFAULT_ROW_CAP,
  type LimitStore,
  type LimitVerdict,
  limitKey,
  type Queryable,
} from './limit-store.ts';

export type { BackoffSettings, LimitVerdict } from './limit-store.ts';

export type RateLimitSettings = {
  /** Login, refresh and invitation acceptance per address (GoTrue: 150 token requests / 5 min / IP). */
  tokenPerIp: BucketSettings;
  /** Sign-ups per address (GoTrue: 30 / 5 min / IP). */
  registerPerIp: BucketSettings;
  /** Sign-up attempts per e-mail address. */
  registerPerEmail: BucketSettings;
  /** Refreshes per session. */
  refreshPerSession: BucketSettings;
  /** Members added or invited (and invitations re-sent) per acting user. */
  invitePerActor: BucketSettings;
  /** Members added or invited (and invitations re-sent) per organisation. */
  invitePerOrganization: BucketSettings;
  /** Failed logins per account from one address: only that address is slowed. */
  loginPerAccountAndIp: BackoffSettings;
  /** An account with this many failures (from anywhere, forgotten after a quiet period) is under attack. */
  loginUnderAttack: {
    accountFailures: number;
    forgetAfterSeconds: number;
    /** Lock of an address after its first failure on an account under attack (doubles after). */
    lockSeconds: number;
    maxSeconds: number;
  };
  /** The store keeps at most this many rows (a client spraying new keys cannot grow it further). */
  maxRows: number;
};

export const DEFAULT_RATE_LIMITS: RateLimitSettings = {
  tokenPerIp: { limit: 150, windowSeconds: 300 },
  registerPerIp: { limit: 30, windowSeconds: 300 },
  registerPerEmail: { limit: 5, windowSeconds: 3600 },
  refreshPerSession: { limit: 30, windowSeconds: 300 },
  invitePerActor: { limit: 20, windowSeconds: 3600 },
  invitePerOrganization: { limit: 50, windowSeconds: 3600 },
  loginPerAccountAndIp: { freeFailures: 5, baseSeconds: 1, maxSeconds: 900, forgetAfterSeconds: 900 },
  loginUnderAttack: { accountFailures: 20, forgetAfterSeconds: 900, lockSeconds: 60, maxSeconds: 900 },
  maxRows: DEFAULT_ROW_CAP.maxRows,
};

/** The limiters of one identity service instance, over the shared store. */
export class AuthRateLimits {
  constructor(
    readonly store: LimitStore,
    readonly settings: RateLimitSettings = DEFAULT_RATE_LIMITS,
  ) {}

  /** Login, refresh and invitation acceptance share one budget per client address. */
  tokenRequest(ip: string): Promise<LimitVerdict> {
    return this.store.take(limitKey('token-ip', clientAddressKey(ip)), this.settings.tokenPerIp);
  }

  async registration(ip: string, email: string): Promise<LimitVerdict> {
    const perIp = await this.store.take(
      limitKey('register-ip', clientAddressKey(ip)),
      this.settings.registerPerIp,
    );
    if (!perIp.ok) return perIp;
    return this.store.take(limitKey('register-email', email), this.settings.registerPerEmail);
  }

  refresh(sessionId: string, via?: Queryable): Promise<LimitVerdict> {
    return this.store.take(limitKey('refresh-session', sessionId), this.settings.refreshPerSession, via);
  }

  async invitation(actorId: string, orgId: string): Promise<LimitVerdict> {
    const perActor = await this.store.take(limitKey('invite-actor', actorId), this.settings.invitePerActor);
    if (!perActor.ok) return perActor;
    return this.store.take(limitKey('invite-org', orgId), this.settings.invitePerOrganization);
  }

  /** Before the password check: refuses only an address that has been failing for this account. */
  async loginGate(email: string, ip: string): Promise<LimitVerdict> {
    // Both at once (the backoff is a read): one round trip of the login instead of two.
    const [perIp, [pair]] = await Promise.all([
      this.tokenRequest(ip),
      this.store.backoff([this.pairKey(email, ip)]),
    ]);
    if (!perIp.ok) return perIp;
    return pair!.retryAfterSeconds > 0
      ? { ok: false, retryAfterSeconds: pair!.retryAfterSeconds }
      : { ok: true };
  }

  /** After a wrong password (or unknown e-mail): counts it for the account and for this address. */
  async loginFailed(email: string, ip: string): Promise<void> {
    const attack = this.settings.loginUnderAttack;
    const accountFailures = await this.store.fail(limitKey('login-account', email), {
      freeFailures: 2 ** 31 - 1, // counts only: the account itself is never locked
      baseSeconds: 0,
      maxSeconds: 0,
      forgetAfterSeconds: attack.forgetAfterSeconds,
    });
    const underAttack = accountFailures > attack.accountFailures;
    await this.store.fail(
      this.pairKey(email, ip),
      underAttack
        ? {
            freeFailures: 0,
            baseSeconds: attack.lockSeconds,
            maxSeconds: attack.maxSeconds,
            forgetAfterSeconds: attack.forgetAfterSeconds,
          }
        : this.settings.loginPerAccountAndIp,
    );
  }

  /** A correct password clears this address's failures for the account (not the account's count). */
  loginSucceeded(email: string, ip: string): Promise<void> {
    return this.store.clear(this.pairKey(email, ip));
  }

  sweep(): Promise<number> {
    return this.store.sweep(this.settings.maxRows);
  }

  private pairKey(email: string, ip: string) {
    return limitKey('login-account-ip', `${email}\u0000${clientAddressKey(ip)}`);
  }
}
