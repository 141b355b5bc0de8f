// The shapes the session store deals in: who is signed in, its state, and what it needs
// from the outside world (fetch, clock, timers, cross-tab lock and broadcast, storage).
import type { Role } from '@sertantai/core';

export type SessionUser = { id: string; email: string; name?: string | null; role?: Role };
export type SessionOrganization = {
  id: string;
  name: string;
  slug?: string;
  recent_threshold_days?: number | string;
  close_threshold_distance?: number | string;
};

export type Profile = { user: SessionUser; organization: SessionOrganization; role: Role };

export type SessionState =
  | { status: 'loading' }
  | { status: 'signed-out'; message?: string }
  | { status: 'signed-in'; profile: Profile; offline: boolean };

export type SessionDeps = {
  fetch: (input: string, init?: RequestInit) => Promise<Response>;
  /** Milliseconds since the epoch. */
  now: () => number;
  setTimer: (fn: () => void, ms: number) => unknown;
  clearTimer: (handle: unknown) => void;
  /** Runs `fn` while holding a cross-tab lock (Web Locks); defaults to running it directly. */
  lock?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Tells other tabs about a new token or a sign-out. */
  broadcast?: (message: SessionMessage) => void;
  /** Remembers the last profile (never a token) so the app opens offline after a reload. */
  storeProfile?: (profile: Profile | undefined) => void;
  loadProfile?: () => Profile | undefined;
  /** Called after every sign-out (clears local data). */
  onSignedOut?: (reason: 'logout' | 'expired' | 'other-tab') => void | Promise<void>;
};

export type SessionMessage =
  | { type: 'token'; token: string; exp: number }
  | { type: 'signed-out'; reason: 'logout' | 'expired' };
