// A large register syncs on demand (issue 15, item 6): the organisation is over
// SYNC_ON_DEMAND_CONTROLS (300 here), so the register page shows its first page from a subset
// snapshot, never downloads the whole register, and still follows live changes.
import { expect, test } from '@playwright/test';
import { registerAccount } from './helpers';

const COUNT = 650;

test('a large register shows its first page from subset snapshots and stays live', async ({
  page,
  request,
}) => {
  const account = await registerAccount(request, 'Large');
  const auth = { authorization: `Bearer ${account.token}` };
  const csv = [
    'name,control_type,functional_range',
    ...Array.from({ length: COUNT }, (_, i) => `Control ${String(i).padStart(4, '0')},physical,narrow`),
  ].join('\n');
  const imported = await request.post('/api/controls/import', {
    headers: { ...auth, 'content-type': 'text/csv' },
    data: csv,
  });
  expect(imported.status()).toBe(201);

  const syncUrls: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/electric/sync') && r.url().includes('table=controls')) syncUrls.push(r.url());
  });

  await page.goto('/sign-in?next=/controls');
  await page.getByLabel('E-mail').fill(account.email);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Register' })).toBeVisible();

  const rows = page.getByTestId('register-row');
  await expect(rows).toHaveCount(200);
  await expect(rows.first()).toContainText('Control 0000');
  await expect(page.getByText('200 controls shown')).toBeVisible();
  // Only changes-only requests: the whole register (a full snapshot) is never asked for.
  expect(syncUrls.length).toBeGreaterThan(0);
  for (const url of syncUrls) expect(new URL(url).searchParams.get('log'), url).toBe('changes_only');
  expect(syncUrls.some((url) => new URL(url).searchParams.get('subset__limit') === '201')).toBe(true);

  // Sorting and search become new subsets.
  await page.getByRole('button', { name: 'Name' }).click();
  await expect(rows.first()).toContainText(`Control ${String(COUNT - 1).padStart(4, '0')}`);
  await page.getByLabel('Search').fill('0123');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('Control 0123');
  await page.getByLabel('Search').fill('');

  // "Show more" pages on from where the server's order left off.
  await page.getByRole('button', { name: 'Name' }).click();
  await expect(rows.first()).toContainText('Control 0000');
  await page.getByRole('button', { name: 'Show more' }).click();
  await expect(rows).toHaveCount(400);
  await expect(rows.nth(399)).toContainText('Control 0399');

  // Live: a control written elsewhere that sorts first arrives on the changes-only log.
  const created = await request.post('/api/controls', {
    headers: auth,
    data: { name: 'Alarm panel', control_type: 'technical', functional_range: 'narrow' },
  });
  expect(created.status()).toBe(201);
  await expect(rows.first()).toContainText('Alarm panel');
});
