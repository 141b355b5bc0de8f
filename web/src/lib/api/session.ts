// Owns the signed-in session in the browser.
//
// Cookie mode (the identity service's `X-Auth-Mode: cookie`): the refresh token lives only in
// an HttpOnly cookie scoped to /auth; the access token lives only in this module's memory.
// - The access token is refreshed shortly before it expires (from its `exp`), and again on a
//   401 from the API (then the request is retried exactly once).
// - Refreshes are single-flight (refresh tokens rotate: two parallel refreshes would present a
//   spent token and revoke the whole session) and, across tabs, serialised by a lock given in
//   `deps.lock` (Web Locks in the browser) with the new token shared through `deps.broadcast`.
// - A refused refresh signs the user out with a message; a refresh that cannot reach the
//   server keeps the session (offline) and tries again later.
// Pure TypeScript with injected fetch/clock/timers so it is unit-tested without a browser.
import type { Role } from '@sertantai/core';
import { ApiError, errorFromResponse, networkError } from './errors';
import type {
  Profile,
  SessionDeps,
  SessionMessage,
  SessionOrganization,
  SessionState,
  SessionUser,
} from './session-types';
import { decodeClaims, refreshDelay } from './token-claims';

type TokenAnswer = {
  access_token: string;
  expires_in?: number;
  user?: SessionUser;
  organization?: SessionOrganization;
  role?: Role;
};

const COOKIE_MODE = { 'x-auth-mode': 'cookie' } as const;
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' } as const;
/** Retry a refresh that could not reach the server after this long. */
export const OFFLINE_RETRY_MS = 15_000;
/** A token with less life than this is refreshed before it is used. */
const NEAR_EXPIRY_MS = 5_000;

export type Session = ReturnType<typeof createSession>;

export function createSession(deps: SessionDeps) {
  let state: SessionState = { status: 'loading' };
  let token: string | undefined;
  let expMs = 0;
  let tokenSetAt = 0;
  let timer: unknown;
  let inflight: Promise<boolean> | undefined;
  const listeners = new Set<(state: SessionState) => void>();
  const lock = deps.lock ?? (<T>(fn: () => Promise<T>) => fn());

  function set(next: SessionState) {
    state = next;
    for (const listener of listeners) listener(state);
  }

  function schedule() {
    if (timer !== undefined) deps.clearTimer(timer);
    timer = undefined;
    if (!token) return;
    const claims = decodeClaims(token);
    const delay = refreshDelay(deps.now(), expMs, claims.iat ? claims.iat * 1000 : undefined);
    timer = deps.setTimer(() => {
      timer = undefined;
      void refresh();
    }, delay);
  }

  function retryLater() {
    if (timer !== undefined) deps.clearTimer(timer);
    timer = deps.setTimer(() => {
      timer = undefined;
      void refresh();
    }, OFFLINE_RETRY_MS);
  }

  function adopt(answer: TokenAnswer) {
    token = answer.access_token;
    tokenSetAt = deps.now();
    const claims = decodeClaims(token);
    expMs = claims.exp ? claims.exp * 1000 : deps.now() + (answer.expires_in ?? 900) * 1000;
    schedule();
  }

  function profileFrom(answer: TokenAnswer, previous?: Profile): Profile | undefined {
    const user = answer.user ?? previous?.user;
    const organization = answer.organization ?? previous?.organization;
    const role = answer.role ?? answer.user?.role ?? decodeClaims(answer.access_token).role ?? previous?.role;
    if (!user || !organization || !role) return undefined;
    return { user, organization, role };
  }

  async function post(path: string, body: unknown, extra: Record<string, string> = {}): Promise<Response> {
    try {
      return await deps.fetch(path, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { ...JSON_HEADERS, ...COOKIE_MODE, ...extra },
        body: JSON.stringify(body ?? {}),
      });
    } catch {
      throw networkError();
    }
  }

  async function signIn(path: string, body: unknown): Promise<Profile> {
    const response = await post(path, body);
    if (!response.ok) throw await errorFromResponse(response);
    const answer = (await response.json()) as TokenAnswer;
    adopt(answer);
    let profile = profileFrom(answer);
    if (!profile) profile = await loadMe(answer);
    deps.storeProfile?.(profile);
    deps.broadcast?.({ type: 'token', token: answer.access_token, exp: expMs });
    set({ status: 'signed-in', profile, offline: false });
    return profile;
  }

  async function loadMe(answer: TokenAnswer): Promise<Profile> {
    const response = await authorizedFetch('/auth/me');
    if (!response.ok) throw await errorFromResponse(response);
    const me = (await response.json()) as {
      user: SessionUser;
      organization: SessionOrganization;
      role: Role;
    };
    const profile = profileFrom({ ...answer, ...me });
    if (!profile) throw new ApiError(500, 'BAD_PROFILE', 'The server did not say who you are. Try again.');
    return profile;
  }

  /** A refreshed session's profile: from the answer (or the one kept), else /auth/me; undefined if neither says. */
  async function restoredProfile(answer: TokenAnswer, previous?: Profile): Promise<Profile | undefined> {
    const known = profileFrom(answer, previous);
    if (known) return known;
    try {
      return await loadMe(answer);
    } catch {
      return undefined;
    }
  }

  async function endSession(reason: 'logout' | 'expired' | 'other-tab', message?: string) {
    token = undefined;
    expMs = 0;
    if (timer !== undefined) deps.clearTimer(timer);
    timer = undefined;
    deps.storeProfile?.(undefined);
    set({ status: 'signed-out', message });
    await deps.onSignedOut?.(reason);
  }

  /** One refresh at a time, in this tab and (through the lock) across tabs. */
  function refresh(): Promise<boolean> {
    if (!inflight) {
      const requestedAt = deps.now();
      inflight = lock(async () => {
        // Another tab may have refreshed while we waited for the lock: use its token.
        if (token && tokenSetAt > requestedAt && expMs - deps.now() > NEAR_EXPIRY_MS) return true;
        return doRefresh();
      }).finally(() => {
        inflight = undefined;
      });
    }
    return inflight;
  }

  async function doRefresh(): Promise<boolean> {
    let response: Response;
    try {
      response = await post('/auth/refresh', {});
    } catch {
      // Offline or server unreachable: keep what we have, try again later.
      if (state.status === 'signed-in' && !state.offline) set({ ...state, offline: true });
      retryLater();
      return false;
    }
    if (response.ok) {
      const answer = (await response.json()) as TokenAnswer;
      adopt(answer);
      deps.broadcast?.({ type: 'token', token: answer.access_token, exp: expMs });
      const previous = state.status === 'signed-in' ? state.profile : deps.loadProfile?.();
      const profile = await restoredProfile(answer, previous);
      if (!profile) {
        await endSession('expired', 'Your session could not be restored. Please sign in again.');
        return false;
      }
      deps.storeProfile?.(profile);
      set({ status: 'signed-in', profile, offline: false });
      return true;
    }
    if (response.status >= 500 || response.status === 429) {
      retryLater();
      return false;
    }
    // 400/401/403: the refresh token is gone, spent or refused. The session is over.
    const wasSignedIn = state.status === 'signed-in';
    deps.broadcast?.({ type: 'signed-out', reason: 'expired' });
    await endSession('expired', wasSignedIn ? 'Your session has ended. Please sign in again.' : undefined);
    return false;
  }

  async function authorizedFetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    try {
      return await deps.fetch(path, { credentials: 'same-origin', ...init, headers });
    } catch {
      throw networkError();
    }
  }

  /** Makes sure a usable token is at hand (refreshing when it is about to expire). */
  async function ensureFresh(): Promise<void> {
    if (!token || expMs - deps.now() < NEAR_EXPIRY_MS) await refresh();
  }

  return {
    subscribe(listener: (state: SessionState) => void): () => void {
      listeners.add(listener);
      listener(state);
      return () => listeners.delete(listener);
    },
    get state(): SessionState {
      return state;
    },
    /** The current access token (memory only). */
    get token(): string | undefined {
      return token;
    },
    get expiresAt(): number {
      return expMs;
    },

    /** On start: restore the session from the refresh cookie; offline, from the last profile. */
    async restore(): Promise<SessionState> {
      let response: Response | undefined;
      try {
        response = await post('/auth/refresh', {});
      } catch {
        response = undefined;
      }
      if (response === undefined || response.status >= 500) {
        const profile = deps.loadProfile?.();
        if (profile) {
          set({ status: 'signed-in', profile, offline: true });
          retryLater();
        } else {
          set({
            status: 'signed-out',
            message: response ? undefined : 'Cannot reach the server. Check your connection and try again.',
          });
        }
        return state;
      }
      if (!response.ok) {
        deps.storeProfile?.(undefined);
        set({ status: 'signed-out' });
        return state;
      }
      const answer = (await response.json()) as TokenAnswer;
      adopt(answer);
      const profile = await restoredProfile(answer, deps.loadProfile?.());
      if (!profile) {
        set({ status: 'signed-out' });
        return state;
      }
      deps.storeProfile?.(profile);
      set({ status: 'signed-in', profile, offline: false });
      return state;
    },

    login(email: string, password: string): Promise<Profile> {
      return signIn('/auth/login', { email, password });
    },

    register(email: string, password: string, organizationName: string): Promise<Profile> {
      return signIn('/auth/register', { email, password, organization_name: organizationName });
    },

    /** Sets a password with an invitation token (works once) and signs in as the invited member. */
    acceptInvitation(invitationToken: string, password: string): Promise<Profile> {
      return signIn('/auth/invitations/accept', { token: invitationToken, password });
    },

    refresh,

    /** `Bearer <token>`, refreshed first when missing or about to expire. Read per request. */
    async authorization(): Promise<string> {
      await ensureFresh();
      return token ? `Bearer ${token}` : '';
    },

    /**
     * fetch for the API: adds the token; on a 401 refreshes once and retries once. Throws
     * ApiError (status 0) when the server cannot be reached.
     */
    async fetch(path: string, init: RequestInit = {}): Promise<Response> {
      await ensureFresh();
      const used = token;
      const first = await authorizedFetch(path, init);
      if (first.status !== 401) return first;
      // Another request may already have refreshed the token: then only retry.
      const refreshed = token !== used && token !== undefined ? true : await refresh();
      if (!refreshed) return first;
      return authorizedFetch(path, init);
    },

    /** fetch + JSON + errors as ApiError. */
    async json<T>(path: string, init: RequestInit = {}): Promise<T> {
      const headers = new Headers(init.headers);
      headers.set('accept', 'application/json');
      if (init.body !== undefined && typeof init.body === 'string' && !headers.has('content-type')) {
        headers.set('content-type', 'application/json');
      }
      const response = await this.fetch(path, { ...init, headers });
      if (!response.ok) throw await errorFromResponse(response);
      if (response.status === 204) return undefined as T;
      return (await response.json()) as T;
    },

    async logout(): Promise<void> {
      try {
        // By the refresh cookie (no Bearer): it works even when the access token has expired,
        // revokes the session and clears the cookie.
        await post('/auth/logout', {});
      } catch {
        // Offline: the local session still ends; the server session expires on its own.
      }
      deps.broadcast?.({ type: 'signed-out', reason: 'logout' });
      await endSession('logout');
    },

    /** Messages from other tabs. */
    async receive(message: SessionMessage) {
      if (message.type === 'token') {
        if (message.exp > expMs) {
          token = message.token;
          expMs = message.exp;
          tokenSetAt = deps.now();
          schedule();
          if (state.status === 'signed-in' && state.offline) set({ ...state, offline: false });
        }
      } else if (state.status === 'signed-in') {
        await endSession(
          'other-tab',
          message.reason === 'logout'
            ? 'You signed out in another tab.'
            : 'Your session has ended. Please sign in again.',
        );
      }
    },

    /** Marks the app as back online (the browser said so): refresh if we have no token. */
    async online() {
      if (state.status === 'signed-in' && (!token || expMs - deps.now() < NEAR_EXPIRY_MS)) await refresh();
    },

    /** Timers in background tabs are throttled: check again when the tab comes back. */
    async wake() {
      if (state.status !== 'signed-in' || !token) return;
      const iat = decodeClaims(token).iat;
      if (refreshDelay(deps.now(), expMs, iat ? iat * 1000 : undefined) === 0) await refresh();
    },
  };
}
