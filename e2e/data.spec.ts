import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { api, registerAccount, signIn } from './helpers';

test('a write the server refuses is rolled back with a message', async ({ page, request }) => {
  const owner = await registerAccount(request, 'Refuse');
  await api(request, owner, 'post', '/api/providers', { name: 'Our crew', provider_type: 'internal' });
  await signIn(page, owner.email, owner.password);
  await page.getByRole('link', { name: 'Providers' }).click();
  await expect(page.getByRole('cell', { name: 'Our crew' })).toBeVisible();
  // Provider names are unique per organisation: the optimistic row must go away again.
  await page.getByLabel('Name').fill('our crew');
  await page.getByRole('button', { name: 'Add provider' }).click();
  await expect(page.getByRole('alert')).toContainText(/already exists/i);
  await expect(page.getByRole('cell', { name: /^our crew$/i })).toHaveCount(1);
});

test('CSV import is checked first (dry run), imports on confirmation, and export downloads the register', async ({
  page,
  request,
}) => {
  const owner = await registerAccount(request, 'Csv');
  await signIn(page, owner.email, owner.password);
  await page.getByRole('link', { name: 'Register' }).click();
  await page.locator('input[type="file"]').setInputFiles({
    name: 'controls.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(
      'name,control_type,functional_range\nEye wash station,physical,narrow\nHot work permit,procedural,wide\n',
    ),
  });
  // The dry run writes nothing: the file waits for confirmation.
  await expect(page.getByTestId('import-ready')).toContainText('2 controls ready to import');
  await expect(page.getByRole('link', { name: 'Eye wash station' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Import 2' }).click();
  await expect(page.getByRole('link', { name: 'Eye wash station' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Hot work permit' })).toBeVisible();

  // A bad file: nothing is written and every problem is listed by line (not cut to three),
  // and downloadable.
  const bad = Array.from({ length: 5 }, (_, i) => `Broken ${i},not-a-type,narrow`).join('\n');
  await page.locator('input[type="file"]').setInputFiles({
    name: 'bad.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(`name,control_type,functional_range\n${bad}\n`),
  });
  const problems = page.getByTestId('import-problems');
  await expect(page.getByRole('alert')).toContainText('5 problems');
  for (const line of [2, 3, 4, 5, 6]) await expect(problems).toContainText(`Line ${line}:`);
  const problemFile = page.waitForEvent('download');
  await problems.getByRole('button', { name: 'Download the problems (CSV)' }).click();
  const problemText = readFileSync(await (await problemFile).path(), 'utf8');
  expect(problemText.split('\r\n').filter(Boolean)).toHaveLength(6);
  await expect(page.getByTestId('register-row')).toHaveCount(2);

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export CSV' }).click();
  const file = await (await download).path();
  const text = readFileSync(file, 'utf8');
  expect(text).toContain('Eye wash station');
  expect(text).toContain('Hot work permit');
});

test('signing out clears the local copy of the data', async ({ page, request }) => {
  const owner = await registerAccount(request, 'Leave');
  await api(request, owner, 'post', '/api/controls', {
    name: 'Lockout kit',
    control_type: 'physical',
    functional_range: 'narrow',
  });
  await signIn(page, owner.email, owner.password);
  await expect(page.locator('[data-testid="point"]')).toHaveCount(1);
  await page.waitForTimeout(1200); // the offline copy is written shortly after each change
  const countRows = () =>
    page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const open = indexedDB.open('sertantai-shapes', 1);
          open.onupgradeneeded = () => open.result.createObjectStore('shapes');
          open.onsuccess = () => {
            const all = open.result.transaction('shapes').objectStore('shapes').getAll();
            all.onsuccess = () => {
              resolve((all.result as { rows: unknown[] }[]).reduce((n, shape) => n + shape.rows.length, 0));
              open.result.close();
            };
          };
        }),
    );
  expect(await countRows()).toBeGreaterThan(0);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/sign-in/);
  await expect.poll(countRows).toBe(0);
  // And the session is really over: a reload stays signed out.
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
});

test('an admin changes a link weight and the control moves with its new distance', async ({
  page,
  request,
}) => {
  const owner = await registerAccount(request, 'Network');
  const self = await api<{ data: { id: string } }>(request, owner, 'post', '/api/providers', {
    name: 'Our crew',
    provider_type: 'internal',
    is_user_themselves: true,
  });
  const vendor = await api<{ data: { id: string } }>(request, owner, 'post', '/api/providers', {
    name: 'Far vendor',
    provider_type: 'vendor',
  });
  await api(request, owner, 'post', '/api/provider-links', {
    from_provider_id: self.data.id,
    to_provider_id: vendor.data.id,
    relationship_type: 'contracts',
    path_weight: 5,
  });
  const control = await api<{ data: { id: string } }>(request, owner, 'post', '/api/controls', {
    name: 'Fire alarm service',
    control_type: 'technical',
    functional_range: 'wide',
    primary_provider_id: vendor.data.id,
  });
  await api(request, owner, 'post', `/api/controls/${control.data.id}/interactions`, {
    interaction_type: 'test',
  });

  await signIn(page, owner.email, owner.password);
  const point = page.locator(`[data-testid="point"][data-id="${control.data.id}"]`);
  await expect(point).toHaveAttribute('data-quadrant', 'service');
  await page.getByRole('link', { name: 'Providers' }).click();
  await expect(page.getByRole('row', { name: /Far vendor/ })).toContainText('5');
  const weight = page.getByLabel('Weight of the link Our crew to Far vendor');
  await weight.fill('1');
  await weight.press('Enter');
  await expect(
    page
      .getByRole('row', { name: /Far vendor/ })
      .getByRole('cell')
      .nth(2),
  ).toHaveText('1');
  await page.getByRole('link', { name: 'Dashboard' }).click();
  await expect(point).toHaveAttribute('data-quadrant', 'self');
});
