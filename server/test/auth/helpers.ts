// Helpers for the identity tests: register through the real HTTP routes, read JSON answers.
import { randomBytes, randomUUID } from 'node:crypto';
import type { App } from '../../src/app.ts';
import { identityFeature } from '../../src/auth/feature.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';

export type Registered = {
  email: string;
  password: string;
  userId: string;
  orgId: string;
  accessToken: string;
  refreshToken: string;
  // biome-ignore lint/suspicious/noExplicitAny: the parsed JSON answer, read freely by tests
  body: Record<string, any>;
};

/**
 * A fresh client address, so tests do not share rate limits unless they mean to. Limits live in
 * the database, shared by every test file of a run: each address is a random IPv6 /64 (limits
 * count an IPv6 address by its /64), so no two files ever draw the same one.
 */
export function freshIp(): string {
  const group = () => randomBytes(2).toString('hex');
  return `fd${randomBytes(1).toString('hex')}:${group()}:${group()}:${group()}::1`;
}

export const uniqueEmail = (label = 'user') => `${label}-${randomUUID().slice(0, 8)}@example.test`;

export async function register(
  app: App,
  overrides: Partial<{ email: string; password: string; organization_name: string }> = {},
): Promise<Registered> {
  const email = overrides.email ?? uniqueEmail('owner');
  const password = overrides.password ?? 'correct horse battery';
  const response = await app.inject({
    method: 'POST',
    url: '/auth/register',
    remoteAddress: freshIp(),
    payload: {
      email,
      password,
      organization_name: overrides.organization_name ?? `Acme ${randomUUID().slice(0, 6)}`,
    },
  });
  if (response.statusCode !== 201)
    throw new Error(`register failed: ${response.statusCode} ${response.body}`);
  const body = response.json();
  return {
    email: email.toLowerCase(),
    password,
    userId: body.user.id,
    orgId: body.organization.id,
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    body,
  };
}

export async function login(app: App, email: string, password: string, ip = freshIp()) {
  return app.inject({ method: 'POST', url: '/auth/login', remoteAddress: ip, payload: { email, password } });
}

export async function refresh(app: App, refreshToken: string, ip = freshIp()) {
  return app.inject({
    method: 'POST',
    url: '/auth/refresh',
    remoteAddress: ip,
    payload: { refresh_token: refreshToken },
  });
}

export async function me(app: App, accessToken: string) {
  return app.inject({ method: 'GET', url: '/auth/me', headers: { authorization: `Bearer ${accessToken}` } });
}

export const auth = (token: string) => ({ authorization: `Bearer ${token}` });

/** These suites test the identity feature alone, independent of the other features' state. */
export const IDENTITY_ONLY = { features: [identityFeature] };

/**
 * createTestApp, retried when two test files open the database at the same moment and
 * PostgreSQL refuses one of the concurrent `ALTER ROLE`/`GRANT` of the runtime role
 * ("tuple concurrently updated", in db/database.ts ensureRuntimeRole).
 */
export async function createIdentityTestApp(
  options: Parameters<typeof createTestApp>[0] = IDENTITY_ONLY,
): Promise<TestApp> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await createTestApp(options);
    } catch (error) {
      if (attempt >= 5 || !/tuple concurrently updated/.test(String((error as Error).message))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}
