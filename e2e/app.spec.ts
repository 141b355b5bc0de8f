import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { DEMO_ORGANIZATIONS, DEMO_PASSWORDS } from '../server/src/seed/demo-data.ts';
import { addMember, api, registerAccount, shot, signIn, watchErrors } from './helpers';

const acme = DEMO_ORGANIZATIONS[0]!;
const QUADRANTS = ['self', 'specialist', 'service', 'strange'] as const;

/** A fresh organisation with a self provider, a remote vendor and one never-touched control. */
async function organisationWithControl(request: Parameters<typeof registerAccount>[0], label: string) {
  const owner = await registerAccount(request, label);
  const self = await api<{ data: { id: string } }>(request, owner, 'post', '/api/providers', {
    name: 'Our crew',
    provider_type: 'internal',
    is_user_themselves: true,
  });
  const control = await api<{ data: { id: string; current_quadrant: string } }>(
    request,
    owner,
    'post',
    '/api/controls',
    {
      name: `Harness ${randomUUID().slice(0, 6)}`,
      control_type: 'physical',
      functional_range: 'narrow',
      primary_provider_id: self.data.id,
    },
  );
  return { owner, controlId: control.data.id, controlName: '' };
}

test('a seeded login sees controls in all four quadrants', async ({ page }) => {
  const errors = watchErrors(page);
  await signIn(page, `owner@${acme.domain}`, DEMO_PASSWORDS.owner);
  for (const q of QUADRANTS) {
    await expect(page.getByTestId(`quadrant-count-${q}`)).not.toHaveText('0');
    await expect(page.locator(`[data-testid="point"][data-quadrant="${q}"]`).first()).toBeAttached();
  }
  await expect(page.getByTestId('attention-list')).toBeVisible();
  await shot(page, 'dashboard');
  // Readable on a tablet in portrait: the layout stacks.
  await page.setViewportSize({ width: 820, height: 1180 });
  await shot(page, 'dashboard-tablet');
  await page.setViewportSize({ width: 1280, height: 860 });

  await page.getByRole('link', { name: 'Register' }).click();
  await expect(page.getByTestId('register-row').first()).toBeVisible();
  await shot(page, 'register');
  await page.getByTestId('register-row').first().getByRole('link').click();
  await expect(page.getByTestId('control-name')).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Quadrant history' })).toBeVisible();
  await expect(page.getByTestId('risk-explanation')).toBeVisible();
  await shot(page, 'control');

  await page.getByRole('link', { name: 'Providers' }).click();
  await page.getByRole('button', { name: 'Show graph' }).click();
  await expect(page.locator('.graph canvas').first()).toBeAttached();
  // Moving between screens stops and starts streams: that is not "offline".
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'online');
  await shot(page, 'providers');

  await page.getByRole('link', { name: 'Movement' }).click();
  await page.getByLabel('Period').selectOption('365');
  await expect(page.getByRole('heading', { name: /^\d+ moves$/ })).toBeVisible();
  await shot(page, 'movement');

  await page.getByRole('link', { name: 'Members' }).click();
  await expect(page.getByRole('cell', { name: `viewer@${acme.domain}`, exact: true })).toBeVisible();
  await shot(page, 'members');

  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByTestId('strategy-self')).toBeVisible();
  await shot(page, 'settings');
  await page.getByRole('link', { name: 'Audit' }).click();
  await expect(page.getByTestId('audit-table')).toBeVisible();
  await shot(page, 'audit');
  expect(errors).toEqual([]);
});

test('logging an interaction moves the control point to Self', async ({ page, request }) => {
  const { owner, controlId } = await organisationWithControl(request, 'Touch');
  await signIn(page, owner.email, owner.password);
  const point = page.locator(`[data-testid="point"][data-id="${controlId}"]`);
  await expect(point).toHaveAttribute('data-quadrant', 'specialist');
  await point.click();
  await expect(page.getByTestId('control-quadrant')).toHaveText('Specialist');
  await page.getByRole('button', { name: 'Used', exact: true }).click();
  // Optimistic at once, then confirmed by the server's transaction on the stream.
  await expect(page.getByTestId('control-quadrant')).toHaveText('Self');
  await expect(page.getByTestId('timeline')).toContainText('Used');
  await page.getByRole('link', { name: 'Dashboard' }).click();
  await expect(point).toHaveAttribute('data-quadrant', 'self');
  const stored = await api<{ data: { current_quadrant: string } }>(
    request,
    owner,
    'get',
    `/api/controls/${controlId}`,
  );
  expect(stored.data.current_quadrant).toBe('self');
});

test('two organisations see only their own data; changes appear live in the same organisation only', async ({
  browser,
  request,
}) => {
  const a = await organisationWithControl(request, 'Alpha');
  const b = await organisationWithControl(request, 'Beta');
  const aMember = await addMember(request, a.owner, 'member');

  const ownerA = await browser.newContext();
  const memberA = await browser.newContext();
  const ownerB = await browser.newContext();
  const pageA1 = await ownerA.newPage();
  const pageA2 = await memberA.newPage();
  const pageB = await ownerB.newPage();
  await signIn(pageA1, a.owner.email, a.owner.password);
  await signIn(pageA2, aMember.email, aMember.password);
  await signIn(pageB, b.owner.email, b.owner.password);

  // Each sees exactly its own control.
  await expect(pageA2.locator(`[data-testid="point"][data-id="${a.controlId}"]`)).toBeAttached();
  await expect(pageA2.locator(`[data-testid="point"][data-id="${b.controlId}"]`)).toHaveCount(0);
  await expect(pageB.locator(`[data-testid="point"][data-id="${b.controlId}"]`)).toBeAttached();
  await expect(pageB.locator(`[data-testid="point"][data-id="${a.controlId}"]`)).toHaveCount(0);

  await pageA2.goto('/controls');
  await pageB.goto('/controls');
  await expect(pageB.getByTestId('register-row')).toHaveCount(1);

  // Owner A creates a control in the UI; member A sees it appear without reloading.
  const name = `Gas detector ${randomUUID().slice(0, 6)}`;
  await pageA1.goto('/controls');
  await pageA1.getByRole('button', { name: 'New control' }).click();
  await pageA1.getByLabel('Name').fill(name);
  await pageA1.getByRole('button', { name: 'Create control' }).click();
  await expect(pageA1.getByRole('link', { name })).toBeVisible();
  await expect(pageA2.getByRole('link', { name })).toBeVisible();
  // …and never in organisation B.
  await pageB.waitForTimeout(3000);
  await expect(pageB.getByRole('link', { name })).toHaveCount(0);
  await expect(pageB.getByTestId('register-row')).toHaveCount(1);
  await Promise.all([ownerA.close(), memberA.close(), ownerB.close()]);
});

test('an access token expiring mid-session is refreshed without a visible error', async ({
  page,
  request,
}) => {
  const { owner, controlId } = await organisationWithControl(request, 'Expiry');
  const refreshes: number[] = [];
  page.on('response', (response) => {
    if (response.url().endsWith('/auth/refresh') && response.status() === 200) refreshes.push(Date.now());
  });
  await signIn(page, owner.email, owner.password);
  const ttl = Number(process.env.E2E_ACCESS_TOKEN_TTL ?? 20);
  // Stay on the dashboard past the token's lifetime (streams keep running meanwhile).
  await page.waitForTimeout((ttl + 6) * 1000);
  expect(refreshes.length).toBeGreaterThan(0);
  await page.locator(`[data-testid="point"][data-id="${controlId}"]`).click();
  await page.getByRole('button', { name: 'Tested', exact: true }).click();
  await expect(page.getByTestId('control-quadrant')).toHaveText('Self');
  await expect(page.getByTestId('timeline')).toContainText('Tested');
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(page).not.toHaveURL(/sign-in/);
});

test('an interaction logged offline survives a reload and lands exactly once', async ({
  page,
  context,
  request,
}) => {
  const { owner, controlId } = await organisationWithControl(request, 'Offline');
  const member = await addMember(request, owner, 'member');
  await signIn(page, member.email, member.password);
  await page.locator(`[data-testid="point"][data-id="${controlId}"]`).click();
  await expect(page.getByTestId('control-quadrant')).toHaveText('Specialist');
  // The app shell must be cached (service worker in control) and the offline copy written.
  await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, null, { timeout: 30_000 });
  await page.waitForFunction(
    () =>
      new Promise<boolean>((resolve) => {
        const open = indexedDB.open('sertantai-shapes', 1);
        open.onupgradeneeded = () => open.result.createObjectStore('shapes');
        open.onsuccess = () => {
          const keys = open.result.transaction('shapes').objectStore('shapes').getAllKeys();
          keys.onsuccess = () => {
            resolve((keys.result as string[]).some((key) => key.endsWith(':controls')));
            open.result.close();
          };
        };
      }),
    null,
    { timeout: 30_000, polling: 250 },
  );

  await context.setOffline(true);
  await page.getByRole('button', { name: 'Inspected', exact: true }).click();
  await expect(page.getByTestId('control-quadrant')).toHaveText('Self');
  await expect(page.getByTestId('pending-interaction')).toHaveCount(1);
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'offline');

  await page.reload();
  await expect(page.getByTestId('control-name')).toBeVisible();
  await expect(page.getByTestId('pending-interaction')).toHaveCount(1);
  await shot(page, 'offline');

  await context.setOffline(false);
  await expect(page.getByTestId('pending-interaction')).toHaveCount(0, { timeout: 45_000 });
  await expect(page.getByTestId('timeline').locator('li', { hasText: 'Inspected' })).toHaveCount(1);
  await expect(page.getByTestId('control-quadrant')).toHaveText('Self');
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'online');
  const history = await api<{ data: { interaction_type: string }[] }>(
    request,
    owner,
    'get',
    `/api/controls/${controlId}/interactions`,
  );
  expect(history.data.filter((i) => i.interaction_type === 'inspect')).toHaveLength(1);
});

test('a viewer sees no edit actions', async ({ page }) => {
  await signIn(page, `viewer@${acme.domain}`, DEMO_PASSWORDS.viewer);
  await expect(page.getByTestId('role')).toHaveText('viewer');
  await expect(page.getByRole('link', { name: 'Members' })).toHaveCount(0);
  await page.getByRole('link', { name: 'Register' }).click();
  await expect(page.getByTestId('register-row').first()).toBeVisible();
  await expect(page.getByRole('button', { name: 'New control' })).toHaveCount(0);
  await expect(page.getByText('Import CSV')).toHaveCount(0);
  await expect(page.getByRole('button', { name: /^Edit/ })).toHaveCount(0);
  await page.getByTestId('register-row').first().getByRole('link').click();
  await expect(page.getByTestId('control-name')).toBeVisible();
  for (const label of ['Used', 'Inspected', 'Maintained', 'Tested', 'Edit', 'Delete']) {
    await expect(page.getByRole('button', { name: label, exact: true })).toHaveCount(0);
  }
  await page.goto('/providers');
  await expect(page.getByRole('button', { name: 'Add provider' })).toHaveCount(0);
});
