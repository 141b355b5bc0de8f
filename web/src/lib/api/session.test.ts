import { describe, expect, it } from 'vitest';
import { createSession } from './session';
import type { SessionDeps } from './session-types';
import { decodeClaims, refreshDelay } from './token-claims';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: 'HS256' })}.${b64(claims)}.sig`;

const USER = { id: 'u1', email: 'a@example.test', role: 'owner' };
const ORG = { id: 'o1', name: 'Acme' };

/** A fake server and clock: timers run only when the test advances time. */
function harness() {
  let now = 1_000_000_000_000;
  let issued = 0;
  const timers: { at: number; fn: () => void; id: number }[] = [];
  const calls: { path: string; auth: string | null; mode: string | null }[] = [];
  let refreshStatus = 200;
  let apiStatuses: number[] = [];
  let invitationUsed = false;
  const token = () => {
    issued++;
    const iat = Math.floor(now / 1000);
    return jwt({ exp: iat + 100, iat, n: issued, role: 'owner' });
  };
  const json = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const deps: SessionDeps = {
    now: () => now,
    setTimer: (fn, ms) => {
      const id = timers.length + 1;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimer: (id) => {
      const i = timers.findIndex((t) => t.id === id);
      if (i >= 0) timers.splice(i, 1);
    },
    fetch: async (path, init) => {
      const headers = new Headers(init?.headers);
      calls.push({ path, auth: headers.get('authorization'), mode: headers.get('x-auth-mode') });
      if (path === '/auth/invitations/accept') {
        const body = JSON.parse(String(init?.body)) as { token: string; password: string };
        if (body.token !== 'invite-ok' || invitationUsed)
          return json(401, {
            error: 'This invitation is not valid, was already used, or has expired.',
            code: 'INVALID_TOKEN',
          });
        invitationUsed = true;
        return json(200, {
          user: { ...USER, role: 'member' },
          organization: ORG,
          access_token: token(),
          expires_in: 100,
        });
      }
      if (path === '/auth/login' || path === '/auth/register') {
        return json(200, { user: USER, organization: ORG, access_token: token(), expires_in: 100 });
      }
      if (path === '/auth/refresh') {
        if (refreshStatus !== 200)
          return json(refreshStatus, { error: 'Refresh token reused', code: 'REFRESH_TOKEN_REUSED' });
        return json(200, { user: USER, organization: ORG, access_token: token(), expires_in: 100 });
      }
      if (path === '/auth/logout') return new Response(null, { status: 204 });
      const status = apiStatuses.shift() ?? 200;
      return json(status, status === 200 ? { ok: true } : { error: 'expired', code: 'TOKEN_EXPIRED' });
    },
  };
  return {
    deps,
    calls,
    get issued() {
      return issued;
    },
    setRefreshStatus: (status: number) => {
      refreshStatus = status;
    },
    setApiStatuses: (statuses: number[]) => {
      apiStatuses = statuses;
    },
    /** Moves the clock and runs due timers. */
    async advance(ms: number) {
      now += ms;
      for (const timer of [...timers].sort((a, b) => a.at - b.at)) {
        if (timer.at <= now && timers.includes(timer)) {
          timers.splice(timers.indexOf(timer), 1);
          timer.fn();
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 0));
    },
  };
}

describe('session', () => {
  it('signs in in cookie mode and keeps the access token in memory only', async () => {
    const h = harness();
    const stored: unknown[] = [];
    const session = createSession({ ...h.deps, storeProfile: (p) => stored.push(p) });
    const profile = await session.login('a@example.test', 'secret-password');
    expect(profile).toEqual({ user: USER, organization: ORG, role: 'owner' });
    expect(session.state.status).toBe('signed-in');
    expect(h.calls[0]).toMatchObject({ path: '/auth/login', mode: 'cookie' });
    expect(session.token).toMatch(/\./);
    expect(JSON.stringify(stored)).not.toContain(session.token);
  });

  it('accepts an invitation in cookie mode and signs in as the invited member, once', async () => {
    const h = harness();
    const session = createSession(h.deps);
    const profile = await session.acceptInvitation('invite-ok', 'a long password');
    expect(profile.role).toBe('member');
    expect(session.state.status).toBe('signed-in');
    expect(h.calls[0]).toMatchObject({ path: '/auth/invitations/accept', mode: 'cookie' });
    const again = createSession(h.deps);
    await expect(again.acceptInvitation('invite-ok', 'a long password')).rejects.toMatchObject({
      status: 401,
      code: 'INVALID_TOKEN',
      message: 'This invitation is not valid, was already used, or has expired.',
    });
    expect(again.state.status).not.toBe('signed-in');
  });

  it('refreshes before the token expires, from its exp', async () => {
    const h = harness();
    const session = createSession(h.deps);
    await session.login('a@example.test', 'pw');
    const first = session.token;
    // Lifetime 100 s → refresh 25 s before expiry, at 75 s.
    await h.advance(74_000);
    expect(h.calls.filter((c) => c.path === '/auth/refresh')).toHaveLength(0);
    await h.advance(1_500);
    expect(h.calls.filter((c) => c.path === '/auth/refresh')).toHaveLength(1);
    expect(session.token).not.toBe(first);
    // And the next one is scheduled from the new token.
    await h.advance(76_000);
    expect(h.calls.filter((c) => c.path === '/auth/refresh')).toHaveLength(2);
  });

  it('on a 401 refreshes once and retries the request once', async () => {
    const h = harness();
    const session = createSession(h.deps);
    await session.login('a@example.test', 'pw');
    const before = session.token;
    h.setApiStatuses([401, 200]);
    const response = await session.fetch('/api/controls');
    expect(response.status).toBe(200);
    const apiCalls = h.calls.filter((c) => c.path === '/api/controls');
    expect(apiCalls).toHaveLength(2);
    expect(apiCalls[0]!.auth).toBe(`Bearer ${before}`);
    expect(apiCalls[1]!.auth).toBe(`Bearer ${session.token}`);
    expect(apiCalls[1]!.auth).not.toBe(apiCalls[0]!.auth);
  });

  it('does not loop when the retried request is refused again', async () => {
    const h = harness();
    const session = createSession(h.deps);
    await session.login('a@example.test', 'pw');
    h.setApiStatuses([401, 401, 401]);
    const response = await session.fetch('/api/controls');
    expect(response.status).toBe(401);
    expect(h.calls.filter((c) => c.path === '/api/controls')).toHaveLength(2);
    expect(h.calls.filter((c) => c.path === '/auth/refresh')).toHaveLength(1);
  });

  it('runs one refresh at a time (refresh tokens rotate)', async () => {
    const h = harness();
    const session = createSession(h.deps);
    await session.login('a@example.test', 'pw');
    const results = await Promise.all([session.refresh(), session.refresh(), session.refresh()]);
    expect(results).toEqual([true, true, true]);
    expect(h.calls.filter((c) => c.path === '/auth/refresh')).toHaveLength(1);
  });

  it('signs out with a message when the refresh is refused', async () => {
    const h = harness();
    const reasons: string[] = [];
    const session = createSession({ ...h.deps, onSignedOut: (reason) => void reasons.push(reason) });
    await session.login('a@example.test', 'pw');
    h.setRefreshStatus(401);
    expect(await session.refresh()).toBe(false);
    expect(session.state).toEqual({
      status: 'signed-out',
      message: 'Your session has ended. Please sign in again.',
    });
    expect(session.token).toBeUndefined();
    expect(reasons).toEqual(['expired']);
  });

  it('logout ends the session, clears the token and local data', async () => {
    const h = harness();
    const reasons: string[] = [];
    const session = createSession({ ...h.deps, onSignedOut: (reason) => void reasons.push(reason) });
    await session.login('a@example.test', 'pw');
    await session.logout();
    expect(h.calls.at(-1)).toMatchObject({ path: '/auth/logout', mode: 'cookie' });
    expect(session.state.status).toBe('signed-out');
    expect(session.token).toBeUndefined();
    expect(reasons).toEqual(['logout']);
    // No refresh timer survives the logout.
    await h.advance(200_000);
    expect(h.calls.filter((c) => c.path === '/auth/refresh')).toHaveLength(0);
  });

  it('restores from the refresh cookie, and offline from the last profile', async () => {
    const h = harness();
    const session = createSession(h.deps);
    expect((await session.restore()).status).toBe('signed-in');

    const offline = createSession({
      ...h.deps,
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
      loadProfile: () => ({ user: USER as never, organization: ORG, role: 'member' }),
    });
    const state = await offline.restore();
    expect(state).toMatchObject({ status: 'signed-in', offline: true });
  });
});

describe('token helpers', () => {
  it('reads exp and iat without verifying', () => {
    expect(decodeClaims(jwt({ exp: 200, iat: 100, role: 'viewer' }))).toEqual({
      exp: 200,
      iat: 100,
      role: 'viewer',
    });
    expect(decodeClaims('garbage')).toEqual({});
  });

  it('schedules a quarter of the lifetime before expiry, at most a minute, never in the past', () => {
    expect(refreshDelay(0, 100_000, 0)).toBe(75_000);
    expect(refreshDelay(0, 900_000, 0)).toBe(840_000);
    expect(refreshDelay(200_000, 100_000, 0)).toBe(0);
  });
});
