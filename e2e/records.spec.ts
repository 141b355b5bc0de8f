// The control page's records: an incident recorded, escalated and resolved (its risk
// explanation changes at once); a competency record for a member with an expiry; an SLA with a
// provider, terms and a recorded breach.
import { expect, test } from '@playwright/test';
import { addMember, api, registerAccount, signIn } from './helpers';

test('record an incident from the control page and see the risk explanation change; resolve it', async ({
  page,
  request,
}) => {
  const owner = await registerAccount(request, 'Incident');
  const created = await api<{ data: { id: string } }>(request, owner, 'post', '/api/controls', {
    name: 'Machine guard',
    control_type: 'physical',
    functional_range: 'narrow',
  });
  await signIn(page, owner.email, owner.password);
  await page.goto(`/controls/${created.data.id}`);
  const risk = page.getByTestId('risk');
  const incidentsRow = risk.locator('tr', { hasText: 'incident reports' });
  await expect(incidentsRow).toContainText('0.000');
  const scoreBefore = await risk.getByTestId('risk-score').textContent();

  const traces = page.getByTestId('traces');
  await traces.getByRole('button', { name: 'Record…' }).click();
  const form = page.getByRole('dialog', { name: 'Record a trace' });
  await form.getByLabel('Type').selectOption('incident_report');
  await form.getByLabel('Severity').selectOption('high');
  await form.getByLabel('What happened').fill('Guard interlock bypassed with a cable tie');
  await form.getByRole('button', { name: 'Record', exact: true }).click();

  await expect(traces).toContainText('Guard interlock bypassed');
  await expect(traces).toContainText('open');
  // The incident counts at once: 0.12 points, and a higher score than before.
  await expect(incidentsRow).toContainText('0.120');
  await expect(risk.getByTestId('risk-score')).not.toHaveText(scoreBefore ?? '');
  // Its risk over time now has two steps: at creation and after the incident.
  await expect(risk.getByTestId('risk-trend')).toBeVisible();

  await traces.getByLabel('Severity of incident report').selectOption('critical');
  await expect(page.getByText('Severity set to critical.')).toBeVisible();
  await traces.getByRole('button', { name: 'Resolve…' }).click();
  await page.getByLabel('How it was resolved').fill('Interlock replaced, cable tie removed');
  await page.getByRole('button', { name: 'Mark resolved' }).click();
  await expect(traces).toContainText('resolved');
  await expect(traces).toContainText('Resolution: Interlock replaced');

  const stored = await api<{ data: Record<string, unknown>[] }>(
    request,
    owner,
    'get',
    `/api/traces?control_id=${created.data.id}`,
  );
  expect(stored.data[0]).toMatchObject({
    trace_type: 'incident_report',
    severity: 'critical',
    resolution: 'Interlock replaced, cable tie removed',
  });
  expect(stored.data[0]!.resolved_at).not.toBeNull();
});

test('an admin adds a competency record with an expiry and an SLA with a breach', async ({
  page,
  request,
}) => {
  const owner = await registerAccount(request, 'Records');
  const member = await addMember(request, owner, 'member');
  const vendor = await api<{ data: { id: string } }>(request, owner, 'post', '/api/providers', {
    name: 'Lift Co',
    provider_type: 'vendor',
  });
  const created = await api<{ data: { id: string } }>(request, owner, 'post', '/api/controls', {
    name: 'Passenger lift',
    control_type: 'technical',
    functional_range: 'wide',
    primary_provider_id: vendor.data.id,
  });
  await signIn(page, owner.email, owner.password);
  await page.goto(`/controls/${created.data.id}`);

  const competencies = page.getByTestId('competencies');
  await competencies.getByRole('button', { name: 'Add…' }).click();
  await page.getByLabel('Member').selectOption({ label: member.email });
  await page.getByLabel('Level').selectOption('proficient');
  await page.getByLabel('Refresher due').fill('2027-03-01');
  await page.getByLabel('Certificate expires').fill('2027-06-30');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(competencies).toContainText(member.email);
  await expect(competencies).toContainText('proficient');
  await expect(competencies).toContainText('certificate expires 2027-06-30');

  const slas = page.getByTestId('slas');
  await slas.getByRole('button', { name: 'Add…' }).click();
  await page.getByLabel('Service', { exact: true }).fill('Lift maintenance');
  await page.getByLabel('Agreed uptime (%)').fill('99.5');
  await page.getByLabel('Current performance (%)').fill('98');
  await page.getByLabel('Response (hours)').fill('4');
  await page.getByLabel('Starts').fill('2026-01-01');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(slas).toContainText('Lift maintenance');
  await expect(slas).toContainText('below agreed');
  await expect(slas).toContainText('0 breaches');
  await slas.getByRole('button', { name: 'Record a breach' }).click();
  await expect(slas).toContainText('1 breach ');

  const stored = await api<{ data: Record<string, unknown>[] }>(
    request,
    owner,
    'get',
    `/api/slas?control_id=${created.data.id}`,
  );
  expect(stored.data[0]).toMatchObject({ service_name: 'Lift maintenance', breaches_count: 1 });
});
