// Evidence: "log with details" on the control page (kind, back-dated time, notes, issues found,
// duration) and for several controls at once from the register; the risk card tells one truth.
import { expect, test } from '@playwright/test';
import { api, registerAccount, signIn } from './helpers';

const newControl = { control_type: 'physical', functional_range: 'narrow' };

test('a touch logged with details is recorded with them and the risk explains the shown score', async ({
  page,
  request,
}) => {
  const owner = await registerAccount(request, 'Evidence');
  const created = await api<{ data: { id: string } }>(request, owner, 'post', '/api/controls', {
    name: 'Fire blanket',
    ...newControl,
  });
  await signIn(page, owner.email, owner.password);
  await page.goto(`/controls/${created.data.id}`);
  // One truth: the score shown and its explanation belong together.
  const risk = page.getByTestId('risk');
  await expect(risk.getByTestId('risk-explanation')).toBeVisible();
  await expect(risk).not.toContainText(/no prediction/i);

  await page.getByRole('button', { name: 'Log with details…' }).click();
  const form = page.getByTestId('touch-form');
  await form.getByLabel('Kind').selectOption('maintain');
  const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000);
  const local = new Date(threeDaysAgo.getTime() - threeDaysAgo.getTimezoneOffset() * 60_000)
    .toISOString()
    .slice(0, 16);
  await form.getByLabel('When').fill(local);
  await form.getByLabel('Duration (minutes)').fill('25');
  await form.getByLabel('Notes').fill('Blanket frayed at one corner');
  await form.getByLabel('Issues found').check();
  await form.getByRole('button', { name: 'Log it' }).click();

  const timeline = page.getByTestId('timeline');
  await expect(timeline).toContainText('Maintained');
  await expect(timeline).toContainText('Blanket frayed at one corner');
  await expect(timeline).toContainText('25 min');
  await expect(timeline).toContainText('issues found');
  // The issue counts in the risk model: the explanation shows it once re-scored.
  await expect(risk.locator('tr', { hasText: 'issues found' })).toContainText('0.060');

  await expect
    .poll(async () => {
      const list = await api<{ data: Record<string, unknown>[] }>(
        request,
        owner,
        'get',
        `/api/controls/${created.data.id}/interactions`,
      );
      return list.data[0];
    })
    .toMatchObject({
      interaction_type: 'maintain',
      notes: 'Blanket frayed at one corner',
      issues_found: true,
      duration_minutes: 25,
    });
  const stored = await api<{ data: { occurred_at: string }[] }>(
    request,
    owner,
    'get',
    `/api/controls/${created.data.id}/interactions`,
  );
  expect(Math.abs(Date.parse(stored.data[0]!.occurred_at) - threeDaysAgo.getTime())).toBeLessThan(120_000);
});

test('the register logs one touch with details for several selected controls', async ({ page, request }) => {
  const owner = await registerAccount(request, 'Bulk');
  const ids: string[] = [];
  for (const name of ['Ladder A', 'Ladder B', 'Ladder C']) {
    ids.push(
      (await api<{ data: { id: string } }>(request, owner, 'post', '/api/controls', { name, ...newControl }))
        .data.id,
    );
  }
  await signIn(page, owner.email, owner.password);
  await page.getByRole('link', { name: 'Register' }).click();
  await page.getByLabel('Select Ladder A').check();
  await page.getByLabel('Select Ladder C').check();
  await page.getByRole('button', { name: 'Log with details for 2 selected…' }).click();
  const form = page.getByTestId('touch-form');
  await form.getByLabel('Kind').selectOption('inspect');
  await form.getByLabel('Notes').fill('Monthly ladder check');
  await form.getByRole('button', { name: 'Log it' }).click();
  await expect(page.getByText('Logged for 2 controls.')).toBeVisible();

  const notesOf = async (id: string) => {
    const list = await api<{ data: { notes: string | null }[] }>(
      request,
      owner,
      'get',
      `/api/controls/${id}/interactions`,
    );
    return list.data.map((i) => i.notes);
  };
  await expect.poll(() => notesOf(ids[0]!)).toEqual(['Monthly ladder check']);
  await expect.poll(() => notesOf(ids[2]!)).toEqual(['Monthly ladder check']);
  expect(await notesOf(ids[1]!)).toEqual([]);
});
