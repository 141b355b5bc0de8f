// The app works under its Content-Security-Policy: sign-in, the dashboard drawn, the network
// graph (cytoscape), the service worker — with no policy violation reported by the browser.
import { expect, test } from '@playwright/test';
import { DEMO_ORGANIZATIONS, DEMO_PASSWORDS } from '../server/src/seed/demo-data.ts';
import { signIn, watchCspViolations, watchErrors } from './helpers';

const acme = DEMO_ORGANIZATIONS[0]!;

test('the app runs under its CSP with no violation', async ({ page }) => {
  const errors = watchErrors(page);
  const violations = await watchCspViolations(page);

  const shell = await page.goto('/sign-in');
  const headers = shell!.headers();
  expect(headers['content-security-policy']).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('same-origin');

  await signIn(page, `owner@${acme.domain}`, DEMO_PASSWORDS.owner);
  await expect(page.locator('[data-testid="point"]').first()).toBeAttached();
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-state', 'online');

  await page.getByRole('link', { name: 'Providers' }).click();
  await page.getByRole('button', { name: 'Show graph' }).click();
  await expect(page.locator('.graph canvas').first()).toBeAttached();

  // The service worker (its script served under the same policy) installs and activates.
  await expect
    .poll(() =>
      page.evaluate(async () => (await navigator.serviceWorker?.getRegistration())?.active?.state ?? 'none'),
    )
    .toBe('activated');

  expect(await violations()).toEqual([]);
  expect(errors).toEqual([]);
});

test('the app refuses to be framed', async ({ page, baseURL }) => {
  // Another page tries to frame the app: frame-ancestors 'none' stops it (Chromium shows its
  // error page in the frame instead).
  await page.setContent(`<iframe id="framed" src="${baseURL}/sign-in"></iframe>`);
  const framed = page.frameLocator('#framed');
  await expect.poll(() => page.frames()[1]?.url() ?? '').toMatch(/^chrome-error:/);
  await expect(framed.getByRole('button', { name: 'Sign in' })).toHaveCount(0);
});
