import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import {
  auth,
  createIdentityTestApp,
  freshIp,
  login,
  me,
  type Registered,
  refresh,
  register,
  uniqueEmail,
} from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createIdentityTestApp();
});
afterAll(() => t.close());

type Member = { id: string; email: string; password: string; token: string; refreshToken: string };

async function addMember(
  owner: { accessToken: string } | { token: string },
  role: string,
  extra: Record<string, unknown> = {},
) {
  const token = 'accessToken' in owner ? owner.accessToken : owner.token;
  return t.app.inject({
    method: 'POST',
    url: '/auth/members',
    headers: auth(token),
    payload: { email: uniqueEmail(role), role, ...extra },
  });
}

/** Adds a member with a password and signs them in. */
async function member(owner: Registered | Member, role: string): Promise<Member> {
  const password = 'member password 1';
  const response = await addMember(owner, role, { password });
  expect(response.statusCode, response.body).toBe(201);
  const { data } = response.json();
  const signedIn = (await login(t.app, data.email, password)).json();
  return {
    id: data.id,
    email: data.email,
    password,
    token: signedIn.access_token,
    refreshToken: signedIn.refresh_token,
  };
}

const patch = (as: { token: string } | Registered, id: string, payload: Record<string, unknown>) =>
  t.app.inject({
    method: 'PATCH',
    url: `/auth/members/${id}`,
    headers: auth('token' in as ? as.token : as.accessToken),
    payload,
  });
const remove = (as: { token: string } | Registered, id: string) =>
  t.app.inject({
    method: 'DELETE',
    url: `/auth/members/${id}`,
    headers: auth('token' in as ? as.token : as.accessToken),
  });

describe('GET /auth/members', () => {
  it('lists the organisation’s members only, without password hashes, for every role', async () => {
    const owner = await register(t.app);
    const viewer = await member(owner, 'viewer');
    const other = await register(t.app);
    await member(other, 'member');
    for (const token of [owner.accessToken, viewer.token]) {
      const response = await t.app.inject({ method: 'GET', url: '/auth/members', headers: auth(token) });
      expect(response.statusCode).toBe(200);
      const rows = response.json().data;
      expect(rows.map((row: { email: string }) => row.email).sort()).toEqual(
        [owner.email, viewer.email].sort(),
      );
      for (const row of rows) {
        expect(row).not.toHaveProperty('password_hash');
        expect(row.organization_id).toBe(owner.orgId);
        expect(row.invitation_pending).toBe(false);
      }
    }
  });
});

describe('POST /auth/members', () => {
  it('adds a member with an initial password who can sign in with their role', async () => {
    const owner = await register(t.app);
    const m = await member(owner, 'member');
    const response = await me(t.app, m.token);
    expect(response.json()).toMatchObject({ role: 'member', organization: { id: owner.orgId } });
  });

  it('invites without a password: the token is returned once and sets the password', async () => {
    const owner = await register(t.app);
    const email = uniqueEmail('Invited').replace('invited', 'Invited');
    const response = await t.app.inject({
      method: 'POST',
      url: '/auth/members',
      headers: auth(owner.accessToken),
      payload: { email, role: 'viewer', name: 'Vera Viewer' },
    });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body.data).toMatchObject({
      email: email.toLowerCase(),
      role: 'viewer',
      name: 'Vera Viewer',
      confirmed_at: null,
    });
    expect(body.invitation.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Date(body.invitation.expires_at).getTime()).toBeGreaterThan(Date.now() + 6 * 86_400_000);

    const list = (
      await t.app.inject({ method: 'GET', url: '/auth/members', headers: auth(owner.accessToken) })
    ).json();
    expect(list.data.find((row: { id: string }) => row.id === body.data.id).invitation_pending).toBe(true);
    // cannot sign in before accepting
    expect((await login(t.app, email, 'anything at all')).statusCode).toBe(401);

    const accept = (payload: Record<string, unknown>) =>
      t.app.inject({ method: 'POST', url: '/auth/invitations/accept', remoteAddress: freshIp(), payload });
    expect((await accept({ token: body.invitation.token, password: 'short' })).statusCode).toBe(400);
    const accepted = await accept({ token: body.invitation.token, password: 'my new password' });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toMatchObject({
      user: { id: body.data.id, role: 'viewer' },
      organization: { id: owner.orgId },
      token_type: 'Bearer',
    });
    expect(accepted.json().user.confirmed_at).not.toBeNull();
    expect((await login(t.app, email, 'my new password')).statusCode).toBe(200);
    // the token works once only
    const again = await accept({ token: body.invitation.token, password: 'another password' });
    expect(again.statusCode).toBe(401);
    expect(again.json().code).toBe('INVALID_TOKEN');
    expect((await accept({ token: 'A'.repeat(43), password: 'another password' })).statusCode).toBe(401);
  });

  it('refuses an expired invitation', async () => {
    const owner = await register(t.app);
    const response = await addMember(owner, 'member');
    const { data, invitation } = response.json();
    const { tenantTransaction } = await import('../../src/db/tenant.ts');
    await tenantTransaction(t.db.appPool, { orgId: owner.orgId }, (tx) =>
      tx.query(`UPDATE invitations SET expires_at = now() - interval '1 minute' WHERE id = $1`, [data.id]),
    );
    const accepted = await t.app.inject({
      method: 'POST',
      url: '/auth/invitations/accept',
      remoteAddress: freshIp(),
      payload: { token: invitation.token, password: 'my new password' },
    });
    expect(accepted.statusCode).toBe(401);
    expect(accepted.json().code).toBe('INVALID_TOKEN');
  });

  it('refuses members and viewers (403), an admin adding an owner (403), and duplicates (409)', async () => {
    const owner = await register(t.app);
    const admin = await member(owner, 'admin');
    const plain = await member(owner, 'member');
    const viewer = await member(owner, 'viewer');
    for (const caller of [plain, viewer]) {
      const response = await addMember(caller, 'viewer', { password: 'password 123' });
      expect(response.statusCode).toBe(403);
      expect(response.json().code).toBe('FORBIDDEN');
    }
    expect((await addMember(admin, 'owner', { password: 'password 123' })).statusCode).toBe(403);
    expect((await addMember(admin, 'admin', { password: 'password 123' })).statusCode).toBe(201);
    expect((await addMember(owner, 'owner', { password: 'password 123' })).statusCode).toBe(201);
    const duplicate = await t.app.inject({
      method: 'POST',
      url: '/auth/members',
      headers: auth(owner.accessToken),
      payload: { email: viewer.email.toUpperCase(), role: 'viewer', password: 'password 123' },
    });
    expect(duplicate.statusCode).toBe(409);
    const invalid = await addMember(owner, 'superuser', { password: 'password 123' });
    expect(invalid.statusCode).toBe(400);
    const noAuth = await t.app.inject({ method: 'POST', url: '/auth/members', payload: {} });
    expect(noAuth.statusCode).toBe(401);
  });
});

describe('PATCH /auth/members/:id', () => {
  it('changes a role; the member’s old tokens die and a fresh sign-in carries the new role', async () => {
    const owner = await register(t.app);
    const m = await member(owner, 'viewer');
    const response = await patch(owner, m.id, { role: 'admin' });
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toMatchObject({ id: m.id, role: 'admin' });
    expect(response.json().data).not.toHaveProperty('password_hash');
    expect((await me(t.app, m.token)).json().code).toBe('TOKEN_REVOKED');
    expect((await refresh(t.app, m.refreshToken)).statusCode).toBe(401);
    const again = (await login(t.app, m.email, m.password)).json();
    expect((await me(t.app, again.access_token)).json().role).toBe('admin');
  });

  it('renames without touching sessions', async () => {
    const owner = await register(t.app);
    const m = await member(owner, 'member');
    const response = await patch(owner, m.id, { name: 'Mo Member' });
    expect(response.json().data).toMatchObject({ name: 'Mo Member', role: 'member' });
    expect((await me(t.app, m.token)).statusCode).toBe(200);
    expect((await patch(owner, m.id, {})).statusCode).toBe(400);
    expect((await patch(owner, m.id, { name: 'Mo\u0000' })).statusCode).toBe(400);
    expect((await addMember(owner, 'member', { name: 'Nul\u0000' })).statusCode).toBe(400);
  });

  it('never demotes the last owner; a second owner makes it possible', async () => {
    const owner = await register(t.app);
    const demote = await patch(owner, owner.userId, { role: 'admin' });
    expect(demote.statusCode).toBe(409);
    expect(demote.json()).toMatchObject({ code: 'CONFLICT', details: { reason: 'last_owner' } });
    const second = await member(owner, 'owner');
    expect((await patch(second, owner.userId, { role: 'member' })).statusCode).toBe(200);
    expect((await patch(second, second.id, { role: 'admin' })).statusCode).toBe(409);
  });

  it('concurrent demotions of the two owners leave one owner', async () => {
    const owner = await register(t.app);
    const second = await member(owner, 'owner');
    const results = await Promise.all([
      patch(owner, second.id, { role: 'admin' }),
      patch(second, owner.userId, { role: 'admin' }),
    ]);
    const codes = results.map((response) => response.statusCode).sort();
    // One wins; the other is refused (409 last owner, or 401 when its own session died first).
    expect(codes.filter((code) => code === 200)).toHaveLength(1);
    const fresh = (await login(t.app, owner.email, owner.password)).json();
    const list = (
      await t.app.inject({ method: 'GET', url: '/auth/members', headers: auth(fresh.access_token) })
    ).json();
    expect(list.data.filter((row: { role: string }) => row.role === 'owner')).toHaveLength(1);
  });

  it('an admin cannot promote to owner nor change an owner; members and viewers cannot change anyone', async () => {
    const owner = await register(t.app);
    const admin = await member(owner, 'admin');
    const m = await member(owner, 'member');
    expect((await patch(admin, m.id, { role: 'owner' })).statusCode).toBe(403);
    expect((await patch(admin, owner.userId, { role: 'viewer' })).statusCode).toBe(403);
    expect((await patch(admin, owner.userId, { name: 'x' })).statusCode).toBe(403);
    expect((await patch(admin, m.id, { role: 'viewer' })).statusCode).toBe(200);
    const viewer = (await login(t.app, m.email, m.password)).json();
    expect((await patch({ token: viewer.access_token }, admin.id, { role: 'viewer' })).statusCode).toBe(403);
  });
});

describe('DELETE /auth/members/:id', () => {
  it('removes a member and kills their sessions at once', async () => {
    const owner = await register(t.app);
    const m = await member(owner, 'member');
    expect((await me(t.app, m.token)).statusCode).toBe(200);
    expect((await remove(owner, m.id)).statusCode).toBe(204);
    const after = await me(t.app, m.token);
    expect(after.statusCode).toBe(401);
    expect(after.json().code).toBe('TOKEN_REVOKED');
    expect((await refresh(t.app, m.refreshToken)).statusCode).toBe(401);
    expect((await login(t.app, m.email, m.password)).statusCode).toBe(401);
    expect((await remove(owner, m.id)).statusCode).toBe(404);
    const text = await t.metrics.registry.metrics();
    expect(text).toMatch(/sessions_revoked_total\{reason="member_removed"\} [1-9]/);
  });

  it('never removes the last owner; an admin cannot remove an owner', async () => {
    const owner = await register(t.app);
    const admin = await member(owner, 'admin');
    expect((await remove(admin, owner.userId)).statusCode).toBe(403);
    const self = await remove(owner, owner.userId);
    expect(self.statusCode).toBe(409);
    expect((await me(t.app, owner.accessToken)).statusCode).toBe(200);
    expect((await remove(admin, admin.id)).statusCode).toBe(204);
  });
});

describe('isolation between organisations', () => {
  it('an admin of org A cannot see or touch members of org B (404), and cannot guess ids', async () => {
    const a = await register(t.app);
    const adminA = await member(a, 'admin');
    const b = await register(t.app);
    const memberB = await member(b, 'member');
    for (const caller of [a as Registered | Member, adminA]) {
      expect((await patch(caller, memberB.id, { role: 'viewer' })).statusCode).toBe(404);
      expect((await patch(caller, b.userId, { role: 'viewer' })).statusCode).toBe(404);
      expect((await remove(caller, memberB.id)).statusCode).toBe(404);
      expect((await remove(caller, randomUUID())).statusCode).toBe(404);
    }
    const list = (
      await t.app.inject({ method: 'GET', url: '/auth/members', headers: auth(adminA.token) })
    ).json();
    expect(list.data.map((row: { id: string }) => row.id)).not.toContain(memberB.id);
    // B's member is untouched
    expect((await me(t.app, memberB.token)).json()).toMatchObject({
      role: 'member',
      organization: { id: b.orgId },
    });
    expect((await patch(a, 'not-a-uuid', { role: 'viewer' })).statusCode).toBe(400);
  });
});
