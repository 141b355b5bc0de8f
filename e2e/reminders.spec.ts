// Reminders in the browser: an overdue control shows up in the owner's inbox (badge in the
// header, the inbox page naming the control, axe-clean), marking it read clears the badge; in
// Settings an admin adds a webhook — an internal address is refused, a public one shows its
// signing secret once — and sees the (empty) delivery log.
import { randomUUID } from 'node:crypto';
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { api, registerAccount, shot, signIn, watchErrors } from './helpers';

test('an overdue control reaches the inbox; webhooks are added in Settings', async ({ page, request }) => {
  const errors = watchErrors(page);
  const owner = await registerAccount(request, 'Reminders');
  const name = `Fall arrest ${randomUUID().slice(0, 6)}`;
  await api(request, owner, 'post', '/api/controls', {
    name,
    control_type: 'physical',
    functional_range: 'wide',
  });
  // A threshold change re-sweeps the organisation at once (the periodic sweep would too, later):
  // the never-touched control is overdue, and its reminder goes to the owner.
  await api(request, owner, 'patch', '/api/organization', { close_threshold_distance: 3 });

  await signIn(page, owner.email, owner.password);
  await expect(page.getByTestId('inbox-badge')).toHaveText(/^1/);
  await page.getByTestId('inbox-link').click();
  await expect(page.getByRole('heading', { name: 'Inbox' })).toBeVisible();
  const item = page.getByTestId('notification').filter({ hasText: name });
  await expect(item).toBeVisible();
  await expect(item).toContainText('Overdue');
  await expect(item.getByRole('link', { name })).toHaveAttribute('href', /\/controls\/[0-9a-f-]{36}$/);
  const axe = await new AxeBuilder({ page }).analyze();
  const serious = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  await shot(page, 'inbox');

  await item.getByRole('button', { name: `Mark read: ${name}` }).click();
  await expect(item).toContainText('Read');
  await expect(page.getByTestId('inbox-badge')).toHaveCount(0);

  await page.getByRole('link', { name: 'Settings', exact: true }).click();
  const webhooks = page.getByTestId('webhooks');
  await expect(webhooks).toBeVisible();
  await webhooks.getByLabel('URL').fill('http://169.254.169.254/latest/meta-data/');
  await webhooks.getByRole('button', { name: 'Add webhook' }).click();
  await expect(webhooks.getByTestId('webhook-error')).toContainText(/private|reserved|loopback/);
  await expect(webhooks.getByTestId('webhook')).toHaveCount(0);

  await webhooks.getByLabel('URL').fill('https://93.184.215.14/sertantai');
  await webhooks.getByLabel('Description (optional)').fill('incident desk');
  await webhooks.getByRole('button', { name: 'Add webhook' }).click();
  await expect(webhooks.getByTestId('webhook-secret')).toContainText(/whsec_[A-Za-z0-9_-]{40,}/);
  await expect(webhooks.getByTestId('webhook')).toHaveCount(1);
  await expect(webhooks.getByTestId('deliveries-empty')).toBeVisible();
  const settingsAxe = await new AxeBuilder({ page }).include('[data-testid="webhooks"]').analyze();
  expect(
    settingsAxe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id),
  ).toEqual([]);
  await shot(page, 'webhooks');
  // The secret is shown once: after a reload only the URL is listed.
  await page.reload();
  await expect(page.getByTestId('webhook')).toHaveCount(1);
  await expect(page.getByTestId('webhook-secret')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('the inbox and the webhooks card pass axe in the dark theme too', async ({ browser, request }) => {
  const owner = await registerAccount(request, 'Dark');
  await api(request, owner, 'post', '/api/controls', {
    name: `Gas alarm ${randomUUID().slice(0, 6)}`,
    control_type: 'technical',
    functional_range: 'narrow',
  });
  await api(request, owner, 'patch', '/api/organization', { close_threshold_distance: 4 });
  const context = await browser.newContext({ colorScheme: 'dark' });
  const page = await context.newPage();
  await signIn(page, owner.email, owner.password);
  await page.getByTestId('inbox-link').click();
  await expect(page.getByTestId('notification')).toHaveCount(1);
  const serious = async () =>
    (await new AxeBuilder({ page }).analyze()).violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(await serious()).toEqual([]);
  await page.getByRole('link', { name: 'Settings', exact: true }).click();
  await expect(page.getByTestId('webhooks')).toBeVisible();
  expect(await serious()).toEqual([]);
  await context.close();
});
