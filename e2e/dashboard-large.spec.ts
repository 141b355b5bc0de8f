// A large organisation's dashboard (issue 16, item 4): over SYNC_ON_DEMAND_CONTROLS (300 here)
// the register syncs on demand, and the dashboard follows a narrow shape of every control (the
// matrix's columns only) instead of loading the whole register; past CANVAS_FROM (1,000) points
// the marks are drawn on a canvas. Every control is drawn, a write elsewhere repaints live, the
// keyboard keeps its one tab stop with arrow keys, and axe finds nothing serious.
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { api, registerAccount } from './helpers';

const COUNT = 1_200;

test('a large organisation’s matrix draws every control and repaints live on a write elsewhere', async ({
  page,
  request,
}) => {
  test.setTimeout(300_000);
  const account = await registerAccount(request, 'Huge');
  const auth = { authorization: `Bearer ${account.token}` };
  await api(request, account, 'post', '/api/providers', {
    name: 'Our crew',
    provider_type: 'internal',
    is_user_themselves: true,
  });
  // Never touched, looked after by the organisation itself: every control is a Specialist.
  const csv = [
    'name,control_type,functional_range,provider',
    ...Array.from(
      { length: COUNT },
      (_, i) => `Guard ${String(i).padStart(4, '0')},physical,narrow,Our crew`,
    ),
  ].join('\n');
  const imported = await request.post('/api/controls/import', {
    headers: { ...auth, 'content-type': 'text/csv' },
    data: csv,
  });
  expect(imported.status()).toBe(201);

  const syncUrls: URL[] = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.pathname === '/api/electric/sync' && url.searchParams.get('table') === 'controls')
      syncUrls.push(url);
  });
  await page.goto('/sign-in');
  await page.getByLabel('E-mail').fill(account.email);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();

  const canvas = page.getByTestId('matrix-canvas');
  await expect(canvas).toHaveAttribute('data-drawn', String(COUNT), { timeout: 60_000 });
  await expect(canvas).toHaveAttribute('data-drawn-specialist', String(COUNT));
  await expect(canvas).toHaveAttribute('data-drawn-self', '0');
  await expect(page.getByTestId('matrix')).toHaveAttribute('data-rendering', 'canvas');
  await expect(page.getByTestId('quadrant-count-specialist')).toHaveText(String(COUNT));
  // The dashboard's rows came from the narrow shape; the whole register (every column, or a
  // subset of it) was never asked for.
  const narrow = syncUrls.filter((url) => url.searchParams.has('columns'));
  expect(narrow.length).toBeGreaterThan(0);
  expect(narrow[0]!.searchParams.get('columns')).not.toContain('description');
  for (const url of syncUrls) {
    if (url.searchParams.has('columns')) continue;
    expect(url.searchParams.get('log'), String(url)).toBe('changes_only');
    expect(
      [...url.searchParams.keys()].some((key) => key.startsWith('subset__')),
      String(url),
    ).toBe(false);
  }

  // Another organisation's new control never reaches this dashboard: it is written before the
  // touch below, so on this stream it would have come first.
  const other = await registerAccount(request, 'Elsewhere');
  await api(request, other, 'post', '/api/controls', {
    name: 'Not yours',
    control_type: 'physical',
    functional_range: 'narrow',
  });

  // A touch logged elsewhere (the API) moves one control to Self on the open dashboard.
  const specialists = await api<{ data: { id: string }[] }>(
    request,
    account,
    'get',
    '/api/controls?quadrant=specialist&limit=1',
  );
  const touched = specialists.data[0]!.id;
  await api(request, account, 'post', `/api/controls/${touched}/interactions`, { interaction_type: 'use' });
  await expect(canvas).toHaveAttribute('data-drawn-self', '1');
  await expect(canvas).toHaveAttribute('data-drawn-specialist', String(COUNT - 1));
  await expect(canvas).toHaveAttribute('data-drawn', String(COUNT));
  await expect(page.getByTestId('quadrant-count-self')).toHaveText('1');

  // The keyboard path over the canvas: one link in the tab order, arrows move it, Enter opens.
  const focus = page.getByTestId('matrix-focus');
  await expect(focus).toHaveCount(1);
  await expect(focus).toHaveAttribute('tabindex', '0');
  await focus.focus();
  const first = await focus.getAttribute('data-id');
  // (Every mark here sits at the same place but for a small jitter: End reaches another one.)
  await page.keyboard.press('End');
  await expect(focus).not.toHaveAttribute('data-id', first!);
  await expect(focus).toBeFocused();
  await expect(focus).toHaveAttribute('aria-label', /Guard \d{4}: (Specialist|Self)/);

  const axe = await new AxeBuilder({ page }).include('[data-testid="matrix-overlay"]').analyze();
  const serious = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => v.id)).toEqual([]);

  const opened = await focus.getAttribute('data-id');
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(new RegExp(`/controls/${opened}$`));
});

test('signing in to a large organisation asks for the dashboard’s rows before the dashboard’s code has loaded', async ({
  page,
  request,
}) => {
  const account = await registerAccount(request, 'Early');
  const csv = [
    'name,control_type,functional_range,provider',
    ...Array.from({ length: 400 }, (_, i) => `Valve ${String(i).padStart(3, '0')},physical,narrow,`),
  ].join('\n');
  const imported = await request.post('/api/controls/import', {
    headers: { authorization: `Bearer ${account.token}`, 'content-type': 'text/csv' },
    data: csv,
  });
  expect(imported.status()).toBe(201);

  // The dashboard's route module (the sign-in page fetches it while the form is filled) is held
  // back until the narrow shape's request has been made, or 30 s have passed.
  let narrowAsked: () => void = () => {};
  const narrow = new Promise<void>((resolve) => {
    narrowAsked = resolve;
  });
  let askedWhileHeld = false;
  let held = 0;
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.pathname === '/api/electric/sync' && url.searchParams.has('columns')) {
      askedWhileHeld ||= held > 0;
      narrowAsked();
    }
  });
  await page.route('**/_app/immutable/nodes/**', async (route) => {
    const response = await route.fetch();
    const body = await response.text();
    if (body.includes('Dashboard · Sertantai Controls')) {
      held++;
      await Promise.race([narrow, new Promise((resolve) => setTimeout(resolve, 30_000))]);
      held--;
    }
    await route.fulfill({ response, body });
  });
  await page.goto('/sign-in');
  await page.getByLabel('E-mail').fill(account.email);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('point')).toHaveCount(400, { timeout: 60_000 });
  expect(askedWhileHeld).toBe(true);
});
