// Issue 11's invitation findings, tried as an attacker would, and the invitation features:
// no e-mail enumeration through POST /auth/members, no squatting by unaccepted invitations,
// rate limits per actor and per organisation, expiry, re-send (new token, old one dead),
// and password-reset links made by owners and admins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentityFeature } from '../../src/auth/feature.ts';
import { tenantTransaction } from '../../src/db/tenant.ts';
import type { TestApp } from '../helpers/app.ts';
import { auth, createIdentityTestApp, freshIp, login, me, register, uniqueEmail } from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createIdentityTestApp({
    features: [
      createIdentityFeature({
        rateLimits: {
          invitePerActor: { limit: 6, windowSeconds: 3600 },
          invitePerOrganization: { limit: 9, windowSeconds: 3600 },
        },
      }),
    ],
  });
});
afterAll(() => t.close());

const invite = (token: string, email: string, role = 'member') =>
  t.app.inject({ method: 'POST', url: '/auth/members', headers: auth(token), payload: { email, role } });
const accept = (token: string, password = 'invited long password') =>
  t.app.inject({
    method: 'POST',
    url: '/auth/invitations/accept',
    remoteAddress: freshIp(),
    payload: { token, password },
  });
const post = (token: string, url: string) => t.app.inject({ method: 'POST', url, headers: auth(token) });
const members = async (token: string) =>
  (await t.app.inject({ method: 'GET', url: '/auth/members', headers: auth(token) })).json().data as Array<{
    id: string;
    email: string;
    invitation_pending: boolean;
    invitation_expires_at: string | null;
  }>;

describe('inviting reveals nothing about other organisations', () => {
  it('answers the same for an address with an account elsewhere as for a new one', async () => {
    const victim = await register(t.app);
    const prober = await register(t.app);
    const known = await invite(prober.accessToken, victim.email);
    const unknown = await invite(prober.accessToken, uniqueEmail('nobody'));
    expect(known.statusCode).toBe(201);
    expect(unknown.statusCode).toBe(201);
    const shape = (body: Record<string, unknown>) => ({
      keys: Object.keys(body).sort(),
      data: Object.keys(body.data as object).sort(),
      invitation: Object.keys(body.invitation as object).sort(),
    });
    expect(shape(known.json())).toEqual(shape(unknown.json()));
    // Accepting it cannot tell the prober either: the answer is that of a used link.
    const accepted = await accept(known.json().invitation.token);
    expect(accepted.statusCode).toBe(401);
    expect(accepted.json().code).toBe('INVALID_TOKEN');
    // …and the victim's account is untouched.
    expect((await login(t.app, victim.email, victim.password)).statusCode).toBe(200);
  });

  it('an unaccepted invitation holds no address: another organisation invites it and wins', async () => {
    const squatter = await register(t.app);
    const employer = await register(t.app);
    const email = uniqueEmail('wanted');
    expect((await invite(squatter.accessToken, email)).statusCode).toBe(201);
    const real = await invite(employer.accessToken, email);
    expect(real.statusCode).toBe(201);
    const signedIn = await accept(real.json().invitation.token);
    expect(signedIn.statusCode, signedIn.body).toBe(200);
    expect(signedIn.json().organization.id).toBe(employer.orgId);
  });

  it('within the organisation, an address that is already a member or invited is a clear 409', async () => {
    const owner = await register(t.app);
    expect((await invite(owner.accessToken, owner.email)).statusCode).toBe(409);
    const email = uniqueEmail('twice');
    const first = await invite(owner.accessToken, email);
    const second = await invite(owner.accessToken, email);
    expect(second.statusCode).toBe(409);
    expect(second.json().details).toMatchObject({
      reason: 'already_invited',
      member_id: first.json().data.id,
    });
  });
});

describe('invitation lifetime', () => {
  it('is listed as pending; expires; an expired invitation frees the address and can be re-sent', async () => {
    const owner = await register(t.app);
    const email = uniqueEmail('late');
    const first = (await invite(owner.accessToken, email)).json();
    const listed = (await members(owner.accessToken)).find((row) => row.id === first.data.id)!;
    expect(listed).toMatchObject({ email, invitation_pending: true });
    expect(new Date(listed.invitation_expires_at!).getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);

    await tenantTransaction(t.db.appPool, { orgId: owner.orgId }, (tx) =>
      tx.query(`UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE id = $1`, [
        first.data.id,
      ]),
    );
    expect((await accept(first.invitation.token)).statusCode).toBe(401);
    // Expired: inviting the address again is allowed (the old row goes).
    const again = await invite(owner.accessToken, email);
    expect(again.statusCode).toBe(201);
    // Re-sending gives a new token; the previous one stops working.
    const resent = await post(owner.accessToken, `/auth/members/${again.json().data.id}/invitation`);
    expect(resent.statusCode).toBe(201);
    expect(resent.json().data.id).toBe(again.json().data.id);
    expect(resent.json().invitation.token).not.toBe(again.json().invitation.token);
    expect((await accept(again.json().invitation.token)).statusCode).toBe(401);
    const joined = await accept(resent.json().invitation.token);
    expect(joined.statusCode, joined.body).toBe(200);
    expect(joined.json().user).toMatchObject({ email, role: 'member' });
    // Accepted: listed as a member, no longer pending; nothing left to re-send.
    const row = (await members(owner.accessToken)).find((m) => m.email === email)!;
    expect(row.invitation_pending).toBe(false);
    expect(
      (await post(owner.accessToken, `/auth/members/${again.json().data.id}/invitation`)).statusCode,
    ).toBe(404);
  });

  it('removing a pending invitation cancels it', async () => {
    const owner = await register(t.app);
    const { data, invitation } = (await invite(owner.accessToken, uniqueEmail('cancel'))).json();
    const removed = await t.app.inject({
      method: 'DELETE',
      url: `/auth/members/${data.id}`,
      headers: auth(owner.accessToken),
    });
    expect(removed.statusCode).toBe(204);
    expect((await accept(invitation.token)).statusCode).toBe(401);
    expect((await members(owner.accessToken)).some((row) => row.id === data.id)).toBe(false);
  });

  it('an admin cannot cancel an invitation to be an owner (it stays usable); an owner can', async () => {
    const owner = await register(t.app);
    const adminEmail = uniqueEmail('admin');
    const added = await t.app.inject({
      method: 'POST',
      url: '/auth/members',
      headers: auth(owner.accessToken),
      payload: { email: adminEmail, role: 'admin', password: 'admin long password' },
    });
    expect(added.statusCode).toBe(201);
    const admin = (await login(t.app, adminEmail, 'admin long password')).json().access_token as string;
    const { data, invitation } = (await invite(owner.accessToken, uniqueEmail('co-owner'), 'owner')).json();
    const remove = (token: string) =>
      t.app.inject({ method: 'DELETE', url: `/auth/members/${data.id}`, headers: auth(token) });
    const refused = await remove(admin);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe('FORBIDDEN');
    expect((await members(owner.accessToken)).some((row) => row.id === data.id)).toBe(true);
    expect((await remove(owner.accessToken)).statusCode).toBe(204);
    expect((await accept(invitation.token)).statusCode).toBe(401);
  });
});

describe('invitation rate limits', () => {
  it('limits invitations per acting user, then per organisation (40 probes do not all pass)', async () => {
    const owner = await register(t.app);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await invite(owner.accessToken, uniqueEmail('probe'))).statusCode);
    expect(statuses).toEqual([201, 201, 201, 201, 201, 201, 429, 429]);
    const limited = await invite(owner.accessToken, uniqueEmail('probe'));
    expect(limited.json().code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);

    // A second admin of the same organisation has their own budget, within the organisation's.
    const other = await register(t.app);
    const admin = await t.app.inject({
      method: 'POST',
      url: '/auth/members',
      headers: auth(other.accessToken),
      payload: { email: uniqueEmail('admin'), role: 'admin', password: 'admin password 1' },
    });
    const adminToken = (await login(t.app, admin.json().data.email, 'admin password 1')).json().access_token;
    const perOrg: number[] = [];
    for (let i = 0; i < 9; i++) {
      const who = i % 2 === 0 ? other.accessToken : adminToken;
      perOrg.push((await invite(who, uniqueEmail('probe'))).statusCode);
    }
    // 9 per organisation, the password-path add above included: the 9th is refused.
    expect(perOrg.filter((status) => status === 201)).toHaveLength(8);
    expect(perOrg.at(-1)).toBe(429);
  });
});

describe('password reset links', () => {
  it('an admin makes a one-time link; using it sets the password and ends the member’s sessions', async () => {
    const owner = await register(t.app);
    const email = uniqueEmail('forgetful');
    await t.app.inject({
      method: 'POST',
      url: '/auth/members',
      headers: auth(owner.accessToken),
      payload: { email, role: 'member', password: 'old password 1' },
    });
    const session = (await login(t.app, email, 'old password 1')).json();
    const made = await post(owner.accessToken, `/auth/members/${session.user.id}/password-reset`);
    expect(made.statusCode).toBe(201);
    expect(made.json().reset.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const used = await accept(made.json().reset.token, 'brand new password');
    expect(used.statusCode).toBe(200);
    expect(used.json().user.id).toBe(session.user.id);
    expect((await me(t.app, session.access_token)).statusCode).toBe(401);
    expect((await login(t.app, email, 'old password 1')).statusCode).toBe(401);
    expect((await login(t.app, email, 'brand new password')).statusCode).toBe(200);
    expect((await accept(made.json().reset.token, 'again new password')).statusCode).toBe(401);
  });

  it('members cannot make reset links; admins cannot for an owner; other organisations get 404', async () => {
    const owner = await register(t.app);
    const stranger = await register(t.app);
    const plain = await t.app.inject({
      method: 'POST',
      url: '/auth/members',
      headers: auth(owner.accessToken),
      payload: { email: uniqueEmail('plain'), role: 'member', password: 'member password' },
    });
    const plainToken = (await login(t.app, plain.json().data.email, 'member password')).json().access_token;
    expect((await post(plainToken, `/auth/members/${owner.userId}/password-reset`)).statusCode).toBe(403);
    expect(
      (await post(stranger.accessToken, `/auth/members/${owner.userId}/password-reset`)).statusCode,
    ).toBe(404);
  });
});
