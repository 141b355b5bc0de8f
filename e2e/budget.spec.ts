// The HTTP/1.1 connection budget: a browser opens at most 6 connections per origin and every
// live shape holds one. The app keeps at most 4 shapes live, so API writes never queue behind
// long polls. This test counts the sync requests in flight while writing in a burst.
import { expect, test } from '@playwright/test';
import { api, registerAccount, signIn } from './helpers';

test('at most 4 live shape requests at once, and writes do not hang behind them', async ({
  page,
  request,
}) => {
  const owner = await registerAccount(request, 'Budget');
  const provider = await api<{ data: { id: string } }>(request, owner, 'post', '/api/providers', {
    name: 'Our crew',
    provider_type: 'internal',
    is_user_themselves: true,
  });
  const control = await api<{ data: { id: string } }>(request, owner, 'post', '/api/controls', {
    name: 'Fall-arrest harness',
    control_type: 'physical',
    functional_range: 'narrow',
    primary_provider_id: provider.data.id,
  });

  const inFlight = new Set<unknown>();
  let peak = 0;
  let peakTables: string[] = [];
  const isSync = (url: string) => url.includes('/api/electric/sync');
  // Long polls (live=true) are what hold a connection for ~20 s; catch-up requests (and the
  // Electric client's prefetch of the next chunk) are short, so only live ones are counted.
  page.on('request', (r) => {
    if (!isSync(r.url()) || !r.url().includes('live=true')) return;
    inFlight.add(r);
    if (inFlight.size > peak) {
      peak = inFlight.size;
      peakTables = [...inFlight].map((x) => {
        const u = new URL((x as { url: () => string }).url());
        return `${u.searchParams.get('table')}${u.searchParams.get('live') ? ' (live)' : ''}`;
      });
    }
  });
  const done = (r: unknown) => {
    inFlight.delete(r);
  };
  page.on('requestfinished', done);
  page.on('requestfailed', done);
  // The sync endpoint's rate limits (default settings) never refuse what the app does.
  const refusedSyncs: string[] = [];
  page.on('response', (r) => {
    if (isSync(r.url()) && r.status() === 429) refusedSyncs.push(r.url());
  });

  await signIn(page, owner.email, owner.password);
  // Visit every screen in the app (client-side navigation, as a person does), ending on the
  // busiest one (the control page: 4 shapes).
  for (const name of ['Register', 'Providers', 'Movement', 'Members', 'Dashboard']) {
    await page.getByRole('link', { name, exact: true }).click();
    await page.waitForTimeout(800);
  }
  await page.locator(`[data-testid="point"][data-id="${control.data.id}"]`).click();
  await page.waitForTimeout(800);
  await expect(page.getByTestId('control-name')).toHaveText('Fall-arrest harness');

  const writes: number[] = [];
  page.on('response', (r) => {
    if (r.url().endsWith('/interactions') && r.request().method() === 'POST') writes.push(r.status());
  });
  const started = Date.now();
  for (const label of ['Used', 'Inspected', 'Maintained', 'Tested']) {
    await page.getByRole('button', { name: label, exact: true }).click();
  }
  await expect.poll(() => writes.length, { timeout: 20_000 }).toBe(4);
  expect(writes).toEqual([201, 201, 201, 201]);
  for (const verb of ['Used', 'Inspected', 'Maintained', 'Tested']) {
    await expect(page.getByTestId('timeline').locator('li', { hasText: verb })).toHaveCount(1);
  }
  // Generous bound: a starved connection pool would make these wait ~20 s for a long poll.
  expect(Date.now() - started).toBeLessThan(15_000);
  expect(peak, `live shape requests in flight at the peak: ${peakTables.join(', ')}`).toBeLessThanOrEqual(4);
  expect(refusedSyncs).toEqual([]);
});
