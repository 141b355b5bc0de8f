// Trends (LayerChart): the dashboard's quadrant counts over time follow a touch made elsewhere
// live; the movement page draws moves per day; both pass axe, in light and dark. And the
// providers screen imports providers and links by CSV: checked first, every problem listed and
// downloadable, imported on confirmation (with progress), nothing written from a bad file.
import { readFileSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, test } from '@playwright/test';
import { api, registerAccount, shot, signIn } from './helpers';

async function serious(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id}: ${v.help} — ${v.nodes
          .map((n) => n.target.join(' '))
          .slice(0, 3)
          .join(' | ')}`,
    );
}

test('quadrant counts over time on the dashboard move live; movement per day; axe on both', async ({
  page,
  request,
}) => {
  const owner = await registerAccount(request, 'Trends');
  const self = await api<{ data: { id: string } }>(request, owner, 'post', '/api/providers', {
    name: 'Our crew',
    provider_type: 'internal',
    is_user_themselves: true,
  });
  const make = async (name: string) =>
    (
      await api<{ data: { id: string } }>(request, owner, 'post', '/api/controls', {
        name,
        control_type: 'physical',
        functional_range: 'narrow',
        primary_provider_id: self.data.id,
      })
    ).data.id;
  const guard = await make('Guard');
  await make('Harness');
  const today = new Date().toISOString().slice(0, 10);

  await signIn(page, owner.email, owner.password);
  const chart = page.getByTestId('quadrant-trend');
  await expect(chart.locator('svg').first()).toBeVisible();
  const todayRow = chart.locator(`tr[data-day="${today}"]`);
  // Both never touched, close: Specialist. Columns: day, Self, Specialist, Service, Strange.
  await expect(todayRow.locator('td')).toHaveText([today, '0', '2', '0', '0']);
  await expect(chart).toContainText(`Specialist 0 → 2`);

  // A touch made elsewhere (the API) moves today's point without a reload.
  await api(request, owner, 'post', `/api/controls/${guard}/interactions`, { interaction_type: 'inspect' });
  await expect(todayRow.locator('td')).toHaveText([today, '1', '1', '0', '0']);
  await chart.getByText('The numbers').click();
  expect(await serious(page)).toEqual([]);
  await shot(page, 'dashboard-trend');

  await page.getByRole('link', { name: 'Movement' }).click();
  const moves = page.getByTestId('movement-trend');
  await expect(moves.locator('svg').first()).toBeVisible();
  // Two creations and one touch today.
  await expect(moves).toContainText(`3 moves over 30 days; the most on ${today} (3).`);
  expect(await serious(page)).toEqual([]);
  await shot(page, 'movement-trend');

  await page.emulateMedia({ colorScheme: 'dark' });
  expect(await serious(page)).toEqual([]);
  await page.getByRole('link', { name: 'Dashboard' }).click();
  await expect(page.getByTestId('quadrant-trend').locator('svg').first()).toBeVisible();
  expect(await serious(page)).toEqual([]);
});

test('providers and links are imported by CSV: dry run, every problem listed, then imported', async ({
  page,
  request,
}) => {
  const owner = await registerAccount(request, 'Import');
  await signIn(page, owner.email, owner.password);
  await page.getByRole('link', { name: 'Providers' }).click();

  const providers = page.getByTestId('providers-import');
  await providers.locator('input[type="file"]').setInputFiles({
    name: 'providers.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(
      'name,provider_type,is_user_themselves\nOur crew,internal,true\nAcme,vendor,\nBolt Ltd,contractor,\n',
    ),
  });
  await expect(providers.getByTestId('import-ready')).toContainText('3 providers ready to import');
  await expect(page.getByRole('cell', { name: 'Acme' })).toHaveCount(0);
  await providers.getByRole('button', { name: 'Import 3' }).click();
  await expect(page.getByText('Imported 3 providers.')).toBeVisible();
  await expect(page.getByRole('cell', { name: 'Acme', exact: true })).toBeVisible();

  // A bad links file: every problem, by line, all listed and downloadable; nothing written.
  const links = page.getByTestId('links-import');
  const bad = [
    'from_provider,to_provider,relationship_type,path_weight',
    'Our crew,Acme,contracts,0',
    'Our crew,Nobody,contracts,1',
    'Acme,Bolt Ltd,hires,1',
    'Acme,Acme,supplies,1',
    'Bolt Ltd,Acme,supplies,x',
  ].join('\n');
  await links
    .locator('input[type="file"]')
    .setInputFiles({ name: 'links.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  const problems = links.getByTestId('import-problems');
  await expect(problems.getByRole('alert')).toContainText('3 problems');
  for (const line of [2, 4, 6]) await expect(problems).toContainText(`Line ${line}:`);
  expect(await serious(page)).toEqual([]);
  const download = page.waitForEvent('download');
  await problems.getByRole('button', { name: 'Download the problems (CSV)' }).click();
  const text = readFileSync(await (await download).path(), 'utf8');
  expect(text.split('\r\n').filter(Boolean)).toEqual([
    'line,problem',
    '2,"path_weight must be over 0 and at most 1000"',
    '4,"relationship_type must be one of employs, contracts, supplies, subcontracts, manages, supports"',
    '6,"path_weight must be a number such as 1 or 2.5"',
  ]);
  await problems.getByRole('button', { name: 'Close' }).click();

  // The names are checked once the shapes are right.
  await links.locator('input[type="file"]').setInputFiles({
    name: 'links.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(
      'from_provider,to_provider,relationship_type,path_weight\nOur crew,Nobody,contracts,1\nAcme,Acme,supplies,1\n',
    ),
  });
  await expect(problems).toContainText('Line 2: No provider named "Nobody" in this organisation.');
  await expect(problems).toContainText('Line 3: A link must join two different providers.');
  const stored = await api<{ data: unknown[] }>(request, owner, 'get', '/api/provider-links');
  expect(stored.data).toHaveLength(0);

  await links.locator('input[type="file"]').setInputFiles({
    name: 'links.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(
      'from_provider,to_provider,relationship_type,path_weight\nour crew,Acme,contracts,1.5\nAcme,Bolt Ltd,subcontracts,2\n',
    ),
  });
  await links.getByRole('button', { name: 'Import 2' }).click();
  await expect(page.getByText('Imported 2 links.')).toBeVisible();
  await expect(page.getByRole('spinbutton', { name: 'Weight of the link Our crew to Acme' })).toHaveValue(
    '1.5',
  );
  await expect(page.getByRole('spinbutton', { name: 'Weight of the link Acme to Bolt Ltd' })).toHaveValue(
    '2',
  );
});
