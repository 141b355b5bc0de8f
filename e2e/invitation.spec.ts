import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { registerAccount, signIn, watchErrors } from './helpers';

test('an invited member sets a password from the link and is signed in; the link works once', async ({
  page,
  browser,
  request,
}) => {
  const owner = await registerAccount(request, 'Invite');
  await signIn(page, owner.email, owner.password);
  await page.getByRole('link', { name: 'Members' }).click();
  const email = `invited-${randomUUID().slice(0, 8)}@example.test`;
  const add = page.locator('form').filter({ hasText: 'Initial password' });
  await add.getByLabel('E-mail').fill(email);
  await add.getByLabel('Role').selectOption('member');
  await add.getByRole('button', { name: 'Add member' }).click();
  const linkField = page.getByLabel(`Invitation link for ${email}`);
  await expect(linkField).toBeVisible();
  await expect(page.getByTestId('invitation')).toContainText('Shown only once');
  const link = await linkField.inputValue();
  // The token travels in the fragment, which the browser never sends to the server.
  expect(link).toMatch(/\/invitation#token=.+/);

  // The invited person, in a browser that has never signed in.
  const invited = await browser.newContext();
  const invitedPage = await invited.newPage();
  const errors = watchErrors(invitedPage);
  await invitedPage.goto(link);
  await expect(invitedPage.getByRole('heading', { name: 'Accept your invitation' })).toBeVisible();
  // Read, then taken out of the address bar.
  await expect(invitedPage).toHaveURL(/\/invitation$/);
  // Too short: refused before anything is sent, and the link still works afterwards.
  await invitedPage.getByLabel('New password').fill('short');
  await invitedPage.getByLabel('Confirm password').fill('short');
  await invitedPage.getByRole('button', { name: 'Set password and sign in' }).click();
  await expect(invitedPage.getByRole('alert').filter({ hasText: 'password' })).toHaveText(
    'Choose a password of at least 8 characters.',
  );
  await invitedPage.getByLabel('New password').fill('invited long password');
  await invitedPage.getByLabel('Confirm password').fill('invited long password');
  await invitedPage.getByRole('button', { name: 'Set password and sign in' }).click();
  await expect(invitedPage.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await expect(invitedPage).toHaveURL(/\/$/);
  await expect(invitedPage.getByTestId('role')).toHaveText('member');
  await expect(invitedPage.getByTestId('org-name')).toHaveText(owner.organization);
  // The new password signs in too.
  const login = await request.post('/auth/login', { data: { email, password: 'invited long password' } });
  expect(login.status()).toBe(200);
  expect(errors).toEqual([]);
  await invited.close();

  // A second use of the same link is refused with a clear message.
  const again = await browser.newContext();
  const againPage = await again.newPage();
  await againPage.goto(link);
  await againPage.getByLabel('New password').fill('another long password');
  await againPage.getByLabel('Confirm password').fill('another long password');
  await againPage.getByRole('button', { name: 'Set password and sign in' }).click();
  await expect(againPage.getByRole('alert').filter({ hasText: 'invitation' })).toContainText(
    'not valid, was already used, or has expired',
  );
  await expect(againPage.getByTestId('role')).toHaveCount(0);
  await again.close();
});
