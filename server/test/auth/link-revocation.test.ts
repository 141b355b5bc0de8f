// One-time links outlive nothing their maker loses (docs/security.md, "Attacks tried"): an
// admin who made a password-reset link or an invitation, then is removed or made a viewer,
// cannot use those links to get back in as a colleague or through a new account.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import {
  auth,
  createIdentityTestApp,
  freshIp,
  login,
  type Registered,
  register,
  uniqueEmail,
} from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createIdentityTestApp();
});
afterAll(() => t.close());

const accept = (token: string, password: string) =>
  t.app.inject({
    method: 'POST',
    url: '/auth/invitations/accept',
    remoteAddress: freshIp(),
    payload: { token, password },
  });

async function addWithPassword(owner: Registered, role: string) {
  const email = uniqueEmail(role);
  const password = `${role} long password`;
  const added = await t.app.inject({
    method: 'POST',
    url: '/auth/members',
    headers: auth(owner.accessToken),
    payload: { email, role, password },
  });
  expect(added.statusCode).toBe(201);
  const token = (await login(t.app, email, password)).json().access_token as string;
  return { id: added.json().data.id as string, token };
}

/** An organisation where an admin has made a reset link for an admin colleague and invited an admin. */
async function adminWithLinks() {
  const owner = await register(t.app);
  const rogue = await addWithPassword(owner, 'admin');
  const colleague = await addWithPassword(owner, 'admin');
  const reset = await t.app.inject({
    method: 'POST',
    url: `/auth/members/${colleague.id}/password-reset`,
    headers: auth(rogue.token),
  });
  expect(reset.statusCode).toBe(201);
  const invited = await t.app.inject({
    method: 'POST',
    url: '/auth/members',
    headers: auth(rogue.token),
    payload: { email: uniqueEmail('alt'), role: 'admin' },
  });
  expect(invited.statusCode).toBe(201);
  return {
    owner,
    rogue,
    resetToken: reset.json().reset.token as string,
    inviteToken: invited.json().invitation.token as string,
  };
}

it('removing an admin ends the reset links and invitations they made', async () => {
  const { owner, rogue, resetToken, inviteToken } = await adminWithLinks();
  const removed = await t.app.inject({
    method: 'DELETE',
    url: `/auth/members/${rogue.id}`,
    headers: auth(owner.accessToken),
  });
  expect(removed.statusCode).toBe(204);
  // Before the fix: 200 and a session as the colleague (an admin), and an admin account of their own.
  expect((await accept(resetToken, 'taken over password')).statusCode).toBe(401);
  expect((await accept(inviteToken, 'my way back in')).statusCode).toBe(401);
});

it('making an admin a viewer ends their links; a promotion keeps them', async () => {
  const demoted = await adminWithLinks();
  const patch = (who: Registered, id: string, role: string) =>
    t.app.inject({
      method: 'PATCH',
      url: `/auth/members/${id}`,
      headers: auth(who.accessToken),
      payload: { role },
    });
  expect((await patch(demoted.owner, demoted.rogue.id, 'viewer')).statusCode).toBe(200);
  expect((await accept(demoted.resetToken, 'taken over password')).statusCode).toBe(401);
  expect((await accept(demoted.inviteToken, 'my way back in')).statusCode).toBe(401);

  const promoted = await adminWithLinks();
  expect((await patch(promoted.owner, promoted.rogue.id, 'owner')).statusCode).toBe(200);
  expect((await accept(promoted.resetToken, 'a fresh password')).statusCode).toBe(200);
  expect((await accept(promoted.inviteToken, 'a new member password')).statusCode).toBe(200);
});

it('a reset link made for a member dies when the member’s role changes (an admin cannot become the new owner)', async () => {
  const owner = await register(t.app);
  const admin = await addWithPassword(owner, 'admin');
  const member = await addWithPassword(owner, 'member');
  const reset = await t.app.inject({
    method: 'POST',
    url: `/auth/members/${member.id}/password-reset`,
    headers: auth(admin.token),
  });
  expect(reset.statusCode).toBe(201);
  const promoted = await t.app.inject({
    method: 'PATCH',
    url: `/auth/members/${member.id}`,
    headers: auth(owner.accessToken),
    payload: { role: 'owner' },
  });
  expect(promoted.statusCode).toBe(200);
  // Before the fix: 200, and the admin was signed in as an owner.
  expect((await accept(reset.json().reset.token, 'now i am the owner')).statusCode).toBe(401);
});
