import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { addMember, registerAccount, signIn, watchErrors } from './helpers';

test('members: re-send an invitation (the old link dies) and make a password-reset link; account: change the password', async ({
  page,
  browser,
  request,
}) => {
  const owner = await registerAccount(request, 'Account');
  const colleague = await addMember(request, owner, 'member');
  const errors = watchErrors(page);
  await signIn(page, owner.email, owner.password);
  await page.getByRole('link', { name: 'Members' }).click();

  // Invite, then re-send: a new link, and the first one stops working.
  const invited = `invited-${randomUUID().slice(0, 8)}@example.test`;
  const add = page.locator('form').filter({ hasText: 'Initial password' });
  await add.getByLabel('E-mail').fill(invited);
  await add.getByRole('button', { name: 'Add member' }).click();
  const firstLink = await page.getByLabel(`Invitation link for ${invited}`).inputValue();
  await page.getByRole('button', { name: `Re-send invitation for ${invited}` }).click();
  await expect(page.getByLabel(`Invitation link for ${invited}`)).not.toHaveValue(firstLink);
  const secondLink = await page.getByLabel(`Invitation link for ${invited}`).inputValue();
  // Links carry the token in the fragment (/invitation#token=…), never sent to the server.
  const token = (link: string) => new URLSearchParams(new URL(link).hash.slice(1)).get('token');
  const stale = await request.post('/auth/invitations/accept', {
    data: { token: token(firstLink), password: 'stale long password' },
  });
  expect(stale.status()).toBe(401);
  const joined = await request.post('/auth/invitations/accept', {
    data: { token: token(secondLink), password: 'fresh long password' },
  });
  expect(joined.status()).toBe(200);

  // A reset link for the colleague: they set a new password from it.
  await page.getByRole('button', { name: `Reset password for ${colleague.email}` }).click();
  const resetLink = await page.getByLabel(`Password reset link for ${colleague.email}`).inputValue();
  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await otherPage.goto(resetLink);
  await otherPage.getByLabel('New password').fill('colleague new password');
  await otherPage.getByLabel('Confirm password').fill('colleague new password');
  await otherPage.getByRole('button', { name: 'Set password and sign in' }).click();
  await expect(otherPage.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await other.close();
  expect(
    (
      await request.post('/auth/login', { data: { email: colleague.email, password: colleague.password } })
    ).status(),
  ).toBe(401);

  // The owner changes their own password on the Account page.
  await page.getByRole('link', { name: 'Account' }).click();
  await page.getByLabel('Current password').fill('not my password');
  await page.getByLabel('New password (at least 8 characters)').fill('owner new password');
  await page.getByLabel('Confirm new password').fill('owner new password');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'current password' })).toBeVisible();
  await page.getByLabel('Current password').fill(owner.password);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('Password changed.')).toBeVisible();
  await expect(page.getByTestId('account-role')).toHaveText('owner'); // still signed in
  const relogin = await request.post('/auth/login', {
    data: { email: owner.email, password: 'owner new password' },
  });
  expect(relogin.status()).toBe(200);
  expect(errors).toEqual([]);
});
