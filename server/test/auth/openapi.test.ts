// The identity routes appear in the OpenAPI document with the full feature list.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.ts';
import { createIdentityTestApp } from './helpers.ts';

let t: TestApp;
beforeAll(async () => {
  t = await createIdentityTestApp({ features: undefined });
});
afterAll(() => t.close());

describe('identity in the OpenAPI document', () => {
  it('lists every identity route under the identity tag', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/docs/json' });
    expect(response.statusCode).toBe(200);
    const paths = response.json().paths;
    const routes: Array<[string, string]> = [
      ['/auth/register', 'post'],
      ['/auth/login', 'post'],
      ['/auth/refresh', 'post'],
      ['/auth/logout', 'post'],
      ['/auth/me', 'get'],
      ['/api/me', 'get'],
      ['/auth/members', 'get'],
      ['/auth/members', 'post'],
      ['/auth/members/{id}', 'patch'],
      ['/auth/members/{id}', 'delete'],
      ['/auth/invitations/accept', 'post'],
      ['/auth/members/{id}/invitation', 'post'],
      ['/auth/members/{id}/password-reset', 'post'],
      ['/auth/password', 'post'],
      ['/auth/config', 'get'],
    ];
    for (const [path, method] of routes) {
      expect(paths[path]?.[method]?.tags, `${method} ${path}`).toEqual(['identity']);
    }
  });
});
