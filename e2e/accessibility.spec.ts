// Accessibility: axe-core on every screen, light and dark, with no serious or critical
// violations; and a keyboard-only walk through the matrix (one tab stop, arrow keys, Enter).
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, test } from '@playwright/test';
import { DEMO_ORGANIZATIONS, DEMO_PASSWORDS } from '../server/src/seed/demo-data.ts';
import { signIn } from './helpers';

const acme = DEMO_ORGANIZATIONS[0]!;

/** Every serious or critical violation on the screen, described for the failure message. */
async function seriousViolations(page: Page, screen: string): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${screen}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes
          .map((n) => `${n.target.join(' ')} ${n.failureSummary?.split('\n')[1] ?? ''}`)
          .slice(0, 4)
          .join(' | ')}`,
    );
}

for (const colorScheme of ['light', 'dark'] as const) {
  test(`every screen passes axe with no serious or critical violations (${colorScheme})`, async ({
    browser,
  }) => {
    test.setTimeout(900_000); // axe over nine screens is slow on a loaded 2-core machine
    const context = await browser.newContext({ colorScheme });
    const page = await context.newPage();
    const found: string[] = [];
    const expectNoSeriousViolations = async (_page: Page, screen: string) => {
      found.push(...(await seriousViolations(page, screen)));
    };
    await page.goto('/sign-in');
    await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
    await expectNoSeriousViolations(page, 'sign-in');
    await page.goto('/sign-up');
    await expect(page.getByRole('button', { name: /create/i })).toBeVisible();
    await expectNoSeriousViolations(page, 'sign-up');

    await signIn(page, `owner@${acme.domain}`, DEMO_PASSWORDS.owner);
    await expect(page.locator('[data-testid="point"]').first()).toBeAttached();
    await expectNoSeriousViolations(page, 'dashboard');

    const screens: [string, string, () => Promise<void>][] = [
      ['Register', 'register', () => expect(page.getByTestId('register-row').first()).toBeVisible()],
      [
        'Providers',
        'providers',
        () => expect(page.getByRole('heading', { name: 'Providers', exact: true })).toBeVisible(),
      ],
      ['Movement', 'movement', () => expect(page.getByRole('heading', { name: 'Movement' })).toBeVisible()],
      ['Members', 'members', () => expect(page.getByRole('heading', { name: 'Members' })).toBeVisible()],
      ['Audit', 'audit', () => expect(page.getByTestId('audit-table')).toBeVisible()],
      ['Settings', 'settings', () => expect(page.getByTestId('strategy-self')).toBeVisible()],
    ];
    for (const [link, screen, ready] of screens) {
      await page.getByRole('link', { name: link, exact: true }).click();
      await ready();
      await expectNoSeriousViolations(page, screen);
    }
    await page.getByRole('link', { name: 'Register', exact: true }).click();
    await page.getByTestId('register-row').first().getByRole('link').click();
    await expect(page.getByTestId('risk-explanation')).toBeVisible();
    await expectNoSeriousViolations(page, 'control');
    await context.close();
    expect(found, found.join('\n')).toEqual([]);
  });
}

test('keyboard only: the matrix is one tab stop, arrows move between controls, Enter opens one', async ({
  page,
}) => {
  await signIn(page, `owner@${acme.domain}`, DEMO_PASSWORDS.owner);
  const points = page.locator('[data-testid="point"]');
  await expect(points.first()).toBeAttached();
  expect(await points.count()).toBeGreaterThan(3);
  // Exactly one point is in the tab order.
  await expect(page.locator('[data-testid="point"][tabindex="0"]')).toHaveCount(1);

  // Tab from the page start until the focus is in the matrix.
  await page.locator('body').focus();
  const focusedPoint = () =>
    page.evaluate(
      () => document.activeElement?.closest('[data-testid="point"]')?.getAttribute('data-id') ?? null,
    );
  let first: string | null = null;
  for (let i = 0; i < 40 && first === null; i++) {
    await page.keyboard.press('Tab');
    first = await focusedPoint();
  }
  expect(first).not.toBeNull();

  // Arrow keys walk between points; every step lands on a different control.
  const seen = new Set([first]);
  for (const key of ['ArrowRight', 'ArrowUp', 'ArrowRight', 'ArrowDown', 'ArrowLeft', 'End', 'Home']) {
    await page.keyboard.press(key);
    const now = await focusedPoint();
    expect(now, key).not.toBeNull();
    seen.add(now);
  }
  expect(seen.size).toBeGreaterThanOrEqual(3);
  await expect(page.locator('[data-testid="point"][tabindex="0"]')).toHaveCount(1);

  // One Tab leaves the matrix: the points are not 1 tab stop each.
  await page.keyboard.press('ArrowRight');
  const chosen = await focusedPoint();
  await page.keyboard.press('Tab');
  expect(await focusedPoint()).toBeNull();
  await page.keyboard.press('Shift+Tab');
  expect(await focusedPoint()).toBe(chosen);

  // Enter opens the control it is on.
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`/controls/${chosen}$`));
  await expect(page.getByTestId('control-name')).toBeVisible();
});
