// A large register syncs on demand (issue 15, item 6): the organisation is over
// SYNC_ON_DEMAND_CONTROLS (300 here), so the register page shows its first page from a subset
// snapshot, never downloads the whole register, and still follows live changes.
import { expect, test } from '@playwright/test';
import { api, registerAccount } from './helpers';

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
  // The page is 200 rows and one to know whether there are more; TanStack DB's request for the
  // rows tied with its last name is answered in the browser (data/proven-ties.ts), not by the server.
  expect(syncUrls.some((url) => new URL(url).searchParams.get('subset__limit') === '201')).toBe(true);
  const tieRequests = syncUrls.filter((url) =>
    /^"name" = \$1$/.test(new URL(url).searchParams.get('subset__where') ?? ''),
  );
  expect(tieRequests).toEqual([]);

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

test('a reload starts the register with the sync plan remembered, without waiting for the server', async ({
  page,
  request,
}) => {
  const account = await registerAccount(request, 'Remembered plan');
  const csv = [
    'name,control_type,functional_range',
    ...Array.from({ length: COUNT }, (_, i) => `Item ${String(i).padStart(4, '0')},physical,narrow`),
  ].join('\n');
  const imported = await request.post('/api/controls/import', {
    headers: { authorization: `Bearer ${account.token}`, 'content-type': 'text/csv' },
    data: csv,
  });
  expect(imported.status()).toBe(201);
  await page.goto('/sign-in?next=/controls');
  await page.getByLabel('E-mail').fill(account.email);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const rows = page.getByTestId('register-row');
  await expect(rows).toHaveCount(200); // the plan was asked and is now remembered

  // The server's plan answer is held back: the reloaded register draws its page anyway, on
  // demand (the remembered plan), and the plan is still asked (to notice a change).
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let planAsked = false;
  await page.route('**/api/sync/plan', async (route) => {
    planAsked = true;
    await held;
    await route.continue();
  });
  await page.reload();
  await expect(rows).toHaveCount(200);
  await expect(rows.first()).toContainText('Item 0000');
  expect(planAsked).toBe(true);
  release();
});

test('on demand, the providers and movement screens load only what they show, and stay live', async ({
  page,
  request,
}) => {
  const account = await registerAccount(request, 'Large screens');
  const auth = { authorization: `Bearer ${account.token}` };
  const csv = [
    'name,control_type,functional_range',
    ...Array.from({ length: COUNT }, (_, i) => `Bulk ${String(i).padStart(4, '0')},physical,narrow`),
  ].join('\n');
  const imported = await request.post('/api/controls/import', {
    headers: { ...auth, 'content-type': 'text/csv' },
    data: csv,
  });
  expect(imported.status()).toBe(201);
  const crew = await api<{ data: { id: string } }>(request, account, 'post', '/api/providers', {
    name: 'Our crew',
    provider_type: 'internal',
    is_user_themselves: true,
  });
  const make = async (name: string) =>
    (
      await api<{ data: { id: string } }>(request, account, 'post', '/api/controls', {
        name,
        control_type: 'physical',
        functional_range: 'narrow',
        primary_provider_id: crew.data.id,
      })
    ).data.id;
  for (const name of ['Guard A', 'Guard B', 'Guard C']) await make(name);

  const syncUrls: URL[] = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.pathname === '/api/electric/sync' && url.searchParams.get('table') === 'controls')
      syncUrls.push(url);
  });
  await page.goto('/sign-in?next=/providers');
  await page.getByLabel('E-mail').fill(account.email);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Providers', exact: true })).toBeVisible();

  // Controls per provider, counted by the server: 3 of the 653 controls are the crew's.
  const crewRow = page.getByRole('row').filter({ hasText: 'Our crew' });
  await expect(crewRow.getByRole('cell').nth(3)).toHaveText('3');
  // A control added elsewhere (the API) reaches the count without a reload.
  await make('Guard D');
  await expect(crewRow.getByRole('cell').nth(3)).toHaveText('4');
  // The providers screen asks for no control rows at all: only the changes-only log.
  expect(syncUrls.length).toBeGreaterThan(0);
  for (const url of syncUrls) {
    expect(url.searchParams.get('log'), url.href).toBe('changes_only');
    expect(url.searchParams.has('subset__where'), url.href).toBe(false);
  }

  // Movement: the latest moves (each creation is one) name their controls, loaded by id.
  syncUrls.length = 0;
  await page.getByRole('link', { name: 'Movement' }).click();
  await expect(page.getByRole('heading', { name: 'Latest moves' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Guard D', exact: true })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Guard A', exact: true })).toBeVisible();
  const subsets = syncUrls.filter((url) => url.searchParams.has('subset__where'));
  expect(subsets.length).toBeGreaterThan(0);
  for (const url of subsets) expect(url.searchParams.get('subset__where'), url.href).toContain('"id" = $1');
  // Live: a control renamed elsewhere is renamed in the list.
  const guardD = await request.get('/api/controls?limit=5&q=Guard%20D', { headers: auth });
  const id = ((await guardD.json()) as { data: { id: string; name: string }[] }).data.find(
    (c) => c.name === 'Guard D',
  )?.id;
  expect(id).toBeDefined();
  await api(request, account, 'patch', `/api/controls/${id}`, { name: 'Guard D (north gate)' });
  await expect(page.getByRole('link', { name: 'Guard D (north gate)' })).toBeVisible();
});

test('sorted by a column its page ends in nulls of (never touched, no provider) or ties in (one quadrant), the register loads pages, never the whole register', async ({
  page,
  request,
}) => {
  const account = await registerAccount(request, 'Untouched');
  const csv = [
    'name,control_type,functional_range',
    ...Array.from({ length: COUNT }, (_, i) => `New ${String(i).padStart(4, '0')},physical,narrow`),
  ].join('\n');
  const imported = await request.post('/api/controls/import', {
    headers: { authorization: `Bearer ${account.token}`, 'content-type': 'text/csv' },
    data: csv,
  });
  expect(imported.status()).toBe(201);

  // Every answer about controls, with the rows it carried (a subset answer or a log batch).
  const answers: { url: string; rows: number }[] = [];
  page.on('response', async (response) => {
    const url = new URL(response.url());
    if (url.pathname !== '/api/electric/sync' || url.searchParams.get('table') !== 'controls') return;
    const body = (await response.json().catch(() => undefined)) as
      | { data?: unknown[] }
      | Array<{ value?: unknown }>
      | undefined;
    const rows = Array.isArray(body) ? body.filter((m) => m.value).length : (body?.data?.length ?? 0);
    answers.push({ url: url.href, rows });
  });

  await page.goto('/sign-in?next=/controls');
  await page.getByLabel('E-mail').fill(account.email);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const rows = page.getByTestId('register-row');
  await expect(rows).toHaveCount(200);

  // No control was ever touched or has a provider, and all are in one quadrant: every row of
  // these pages has no value in the sort column, or the same one. Each direction shows a full
  // page, in the same rows' order both ways (ties keep their id order, as before), and "Show
  // more" pages on.
  for (const column of ['Last touched', 'Distance', 'Quadrant']) {
    await page.getByRole('button', { name: column }).click();
    await expect(page.getByRole('columnheader', { name: column })).toHaveAttribute('aria-sort', /ascending/);
    await expect(rows).toHaveCount(200);
    const ascending = await rows.first().textContent();
    await page.getByRole('button', { name: column }).click();
    await expect(page.getByRole('columnheader', { name: column })).toHaveAttribute('aria-sort', 'descending');
    await expect(rows).toHaveCount(200);
    expect(await rows.first().textContent()).toBe(ascending);
  }
  await page.getByRole('button', { name: 'Show more' }).click();
  await expect(rows).toHaveCount(400);
  await expect(page.getByText('400 controls shown')).toBeVisible();

  // The whole register (650 rows) never came: no answer carried more than the largest page.
  expect(answers.length).toBeGreaterThan(0);
  for (const answer of answers) expect(answer.rows, answer.url).toBeLessThanOrEqual(401);
});
