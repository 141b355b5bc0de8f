// Helpers for the browser tests: organisations and data made through the real API, sign-in
// through the real UI, screenshots for the docs.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { type APIRequestContext, expect, type Page } from '@playwright/test';

// Every run saves screenshots of the main screens under test-results/ (not tracked);
// UPDATE_SCREENSHOTS=1 writes them into docs/screenshots/ instead, to refresh the docs.
export const SCREENSHOTS = path.resolve(
  import.meta.dirname,
  process.env.UPDATE_SCREENSHOTS === '1' ? '../docs/screenshots' : '../test-results/screenshots',
);

export type Account = { email: string; password: string; organization: string; token: string; orgId: string };

export async function registerAccount(request: APIRequestContext, label = 'Org'): Promise<Account> {
  const id = randomUUID().slice(0, 8);
  const email = `owner-${id}@example.test`;
  const password = 'correct horse battery';
  const organization = `${label} ${id}`;
  const response = await request.post('/auth/register', {
    data: { email, password, organization_name: organization },
  });
  expect(response.status(), await response.text()).toBe(201);
  const body = await response.json();
  return { email, password, organization, token: body.access_token, orgId: body.organization.id };
}

export async function addMember(
  request: APIRequestContext,
  owner: Account,
  role: 'admin' | 'member' | 'viewer',
): Promise<{ email: string; password: string }> {
  const email = `${role}-${randomUUID().slice(0, 8)}@example.test`;
  const password = 'correct horse battery';
  const response = await request.post('/auth/members', {
    headers: { authorization: `Bearer ${owner.token}` },
    data: { email, role, password },
  });
  expect(response.status(), await response.text()).toBe(201);
  return { email, password };
}

export async function api<T = Record<string, unknown>>(
  request: APIRequestContext,
  account: Account,
  method: 'get' | 'post' | 'patch' | 'delete',
  url: string,
  data?: unknown,
): Promise<T> {
  const response = await request[method](url, {
    headers: { authorization: `Bearer ${account.token}` },
    ...(data === undefined ? {} : { data }),
  });
  expect(response.ok(), `${method.toUpperCase()} ${url}: ${response.status()} ${await response.text()}`).toBe(
    true,
  );
  return (response.status() === 204 ? {} : await response.json()) as T;
}

export async function signIn(page: Page, email: string, password: string) {
  await page.goto('/sign-in');
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard' })).toBeVisible();
}

export async function shot(page: Page, name: string) {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

/** Collects messages shown to the person (alerts, toasts) and page errors. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  // A Content-Security-Policy refusal is reported on the console ("Refused to …").
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) {
      errors.push(`csp: ${message.text()}`);
    }
  });
  return errors;
}

/** Records every `securitypolicyviolation` event of every document the page loads. */
export async function watchCspViolations(page: Page): Promise<() => Promise<string[]>> {
  const violations: string[] = [];
  await page.exposeFunction('__reportCspViolation', (text: string) => violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = (window as unknown as { __reportCspViolation: (text: string) => void })
        .__reportCspViolation;
      report(
        `${event.violatedDirective} blocked ${event.blockedURI || 'inline'} (${event.sourceFile}:${event.lineNumber})`,
      );
    });
  });
  return async () => violations;
}
