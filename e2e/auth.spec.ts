import { expect, test } from '@playwright/test';
import { addMember, api, registerAccount, shot, signIn, watchErrors } from './helpers';

test('register a new organisation and land on an empty dashboard', async ({ page }) => {
  const errors = watchErrors(page);
  await page.goto('/');
  await expect(page).toHaveURL(/\/sign-in$/);
  await shot(page, 'sign-in');
  await page.getByRole('link', { name: 'Create an organisation' }).click();
  const id = Date.now().toString(36);
  await page.getByLabel('Organisation name').fill(`Acme Works ${id}`);
  await page.getByLabel('E-mail').fill(`owner-${id}@example.test`);
  await page.getByLabel('Password (at least 8 characters)').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create and sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
  await expect(page.getByTestId('empty-dashboard')).toBeVisible();
  await expect(page.getByTestId('org-name')).toHaveText(`Acme Works ${id}`);
  await expect(page.getByTestId('role')).toHaveText('owner');
  // The session survives a reload (refresh cookie → new access token in memory).
  await page.reload();
  await expect(page.getByTestId('empty-dashboard')).toBeVisible();
  expect(errors).toEqual([]);
});

test('the sign-in page fetches the code of the screen it opens next before the form is sent', async ({
  page,
  request,
}) => {
  const account = await registerAccount(request, 'Preload');
  const code: { url: string; afterClick: boolean }[] = [];
  let clicked = false;
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/_app/immutable/nodes/'))
      code.push({ url: r.url(), afterClick: clicked });
  });
  await page.goto('/sign-in?next=/controls');
  await page.getByLabel('E-mail').fill(account.email);
  await page.getByLabel('Password').fill(account.password);
  const before = code.length;
  clicked = true;
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Register' })).toBeVisible();
  // The register's route code came while the form was filled: the sign-in answer waits for nothing else.
  expect(before).toBeGreaterThan(1);
  expect(code.filter((c) => c.afterClick)).toEqual([]);
});

test('a member removed by the owner is signed out with a message', async ({ page, request }) => {
  const owner = await registerAccount(request, 'Removal');
  const member = await addMember(request, owner, 'member');
  await signIn(page, member.email, member.password);
  const members = await api<{ data: { id: string; email: string }[] }>(
    request,
    owner,
    'get',
    '/auth/members',
  );
  const id = members.data.find((m) => m.email === member.email)!.id;
  await api(request, owner, 'delete', `/auth/members/${id}`);
  // The session is revoked: the next stream poll or request gets a 401 and the refresh is
  // refused, so the app signs out by itself (no click needed) and says why.
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible({ timeout: 45_000 });
  await expect(page.getByRole('status').filter({ hasText: 'Your session has ended' })).toBeVisible();
  await expect(page.getByTestId('org-name')).toHaveCount(0);
});
