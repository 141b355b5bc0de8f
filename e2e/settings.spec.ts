// Settings: an owner changes the Self frequency (the Recent line) and the Close threshold; a
// second browser with the dashboard open sees the line, the controls and today's quadrant
// counts over time move live; the audit screen shows both changes.
import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { addMember, api, registerAccount, signIn } from './helpers';

test('changing the thresholds in Settings moves the dashboard line and reclassifies live elsewhere', async ({
  browser,
  request,
}) => {
  const owner = await registerAccount(request, 'Settings');
  const admin = await addMember(request, owner, 'admin');
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
    path_weight: 3,
  });
  const make = async (name: string, provider: string) =>
    (
      await api<{ data: { id: string } }>(request, owner, 'post', '/api/controls', {
        name,
        control_type: 'physical',
        functional_range: 'narrow',
        primary_provider_id: provider,
      })
    ).data.id;
  const harness = await make('Harness', self.data.id);
  const boiler = await make('Boiler service', vendor.data.id);
  const twentyDaysAgo = new Date(Date.now() - 20 * 86_400_000).toISOString();
  for (const id of [harness, boiler]) {
    await api(request, owner, 'post', `/api/controls/${id}/interactions`, {
      interaction_type: 'inspect',
      occurred_at: twentyDaysAgo,
    });
  }

  const watcherContext = await browser.newContext();
  const watcher = await watcherContext.newPage();
  await signIn(watcher, admin.email, admin.password);
  const point = (id: string) => watcher.locator(`[data-testid="point"][data-id="${id}"]`);
  await expect(point(harness)).toHaveAttribute('data-quadrant', 'self');
  await expect(point(boiler)).toHaveAttribute('data-quadrant', 'service');
  await expect(watcher.getByTestId('matrix-legend')).toContainText('recent under 30 days');
  // The dashboard's quadrants over time: today's counts (Self, Specialist, Service, Strange).
  const today = new Date().toISOString().slice(0, 10);
  const todayCounts = watcher.getByTestId('quadrant-trend').locator(`tr[data-day="${today}"] td`);
  await expect(todayCounts).toHaveText([today, '1', '0', '1', '0']);

  const editorContext = await browser.newContext();
  const editor = await editorContext.newPage();
  await signIn(editor, owner.email, owner.password);
  await editor.getByRole('link', { name: 'Settings' }).click();
  await editor.getByLabel('Recent: touched within (days)').fill('10');
  await editor.getByRole('button', { name: 'Save thresholds' }).click();
  await expect(editor.getByText(/Thresholds saved: recent within 10 days/)).toBeVisible();
  // The strategy table shows the same number: one setting.
  await expect(editor.getByLabel('Self frequency (days)')).toHaveValue('10');

  // Live in the other browser: the line's label and the controls both move.
  await expect(watcher.getByTestId('matrix-legend')).toContainText('recent under 10 days');
  await expect(point(harness)).toHaveAttribute('data-quadrant', 'specialist');
  await expect(point(boiler)).toHaveAttribute('data-quadrant', 'strange');
  await expect(todayCounts).toHaveText([today, '0', '1', '0', '1']);

  // The Close line: distance 3 becomes Close under 4.
  await editor.getByLabel('Close: provider distance under').fill('4');
  await editor.getByRole('button', { name: 'Save thresholds' }).click();
  await expect(editor.getByText(/close under 4 \(1 control moved\)/)).toBeVisible();
  await expect(watcher.getByTestId('matrix-legend')).toContainText('close under distance 4');
  await expect(point(boiler)).toHaveAttribute('data-quadrant', 'specialist');
  await expect(todayCounts).toHaveText([today, '0', '2', '0', '0']);

  // The audit screen shows both changes, with who made them.
  await editor.getByRole('link', { name: 'Audit' }).click();
  const audit = editor.getByTestId('audit-table');
  await expect(audit).toContainText('verification_strategies');
  await expect(audit).toContainText('frequency_days: 30 → 10');
  await expect(audit).toContainText('organizations');
  await expect(audit).toContainText('close_threshold_distance: 2 → 4');
  await expect(audit).toContainText(owner.email);
  // Filtered by entity, and the same filter exported as CSV.
  await editor.getByLabel('Entity').selectOption('organizations');
  await editor.getByRole('button', { name: 'Show' }).click();
  await expect(audit).not.toContainText('verification_strategies');
  const download = editor.waitForEvent('download');
  await editor.getByRole('button', { name: 'Export CSV' }).click();
  const csv = readFileSync(await (await download).path(), 'utf8');
  expect(csv.split('\r\n')[0]).toBe(
    'id,occurred_at,actor_user_id,actor_email,action,entity_type,entity_id,request_id,before,after',
  );
  expect(csv).toContain(owner.email);
  expect(csv).toContain('close_threshold_distance');
  expect(csv).not.toContain('verification_strategies');

  await watcherContext.close();
  await editorContext.close();
});
