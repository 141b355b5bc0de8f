// `npm run admin`, tested by spawning it against the run's test database: create an
// organisation and its owner, reset a password (link or direct), end sessions, list.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createIdentityTestApp, freshIp, login, me, uniqueEmail } from '../auth/helpers.ts';
import type { TestApp } from '../helpers/app.ts';
import { TEST_SECRET } from '../helpers/constants.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const run = promisify(execFile);

/** Runs the CLI; resolves with its exit code and output (never throws on a non-zero exit). */
async function admin(...args: string[]) {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', 'server/src/admin/cli.ts', ...args],
      {
        cwd: root,
        env: {
          ...process.env,
          NODE_ENV: 'test',
          DATABASE_URL: inject('databaseUrl'),
          SHARED_TOKEN_SECRET: TEST_SECRET,
          DATA_DIR: '.data-test',
          PUBLIC_ORIGIN: 'https://controls.example',
          LOG_LEVEL: 'silent',
        },
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Every command is a fresh `node --import tsx` process: slow on a loaded machine. */
const SLOW = 300_000;
let t: TestApp;
beforeAll(async () => {
  t = await createIdentityTestApp();
});
afterAll(() => t.close());

const acceptLink = (link: string, password: string) =>
  t.app.inject({
    method: 'POST',
    url: '/auth/invitations/accept',
    remoteAddress: freshIp(),
    payload: { token: new URL(link).searchParams.get('token'), password },
  });

describe('npm run admin', () => {
  it(
    '--help lists the commands; an unknown command is a usage error (exit 2)',
    async () => {
      const help = await admin('--help');
      expect(help.code).toBe(0);
      for (const command of ['create-org', 'reset-password', 'end-sessions', 'list-orgs']) {
        expect(help.stdout).toContain(command);
      }
      const unknown = await admin('drop-everything');
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('unknown command: drop-everything');
      const missing = await admin('create-org', '--name', 'No owner');
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('--owner is required');
    },
    SLOW,
  );

  it(
    'creates an organisation whose owner signs in; lists it; refuses a taken address (exit 1)',
    async () => {
      const owner = uniqueEmail('operator-owner');
      const created = await admin(
        'create-org',
        '--name',
        'Operated Ltd',
        '--owner',
        owner,
        '--password',
        'owner password 1',
        '--json',
      );
      expect(created.code, created.stderr).toBe(0);
      const body = JSON.parse(created.stdout);
      expect(body.organization).toMatchObject({ name: 'Operated Ltd' });
      const signedIn = await login(t.app, owner, 'owner password 1');
      expect(signedIn.statusCode).toBe(200);
      expect(signedIn.json()).toMatchObject({
        user: { role: 'owner' },
        organization: { id: body.organization.id },
      });

      const listed = await admin('list-orgs', '--json');
      const row = JSON.parse(listed.stdout).find((org: { id: string }) => org.id === body.organization.id);
      expect(row).toMatchObject({ name: 'Operated Ltd', members: 1, owners: [owner] });

      const again = await admin(
        'create-org',
        '--name',
        'Twice',
        '--owner',
        owner,
        '--password',
        'owner password 1',
      );
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('already has an account');
    },
    SLOW,
  );

  it(
    'without a password, the owner gets a one-time link to set one',
    async () => {
      const owner = uniqueEmail('link-owner');
      const created = await admin('create-org', '--name', 'Linked', '--owner', owner, '--json');
      const { link } = JSON.parse(created.stdout);
      expect(link).toMatch(/^https:\/\/controls\.example\/invitation\?token=[\w-]{43}$/);
      expect((await login(t.app, owner, 'anything at all')).statusCode).toBe(401);
      expect((await acceptLink(link, 'chosen password 1')).statusCode).toBe(200);
      expect((await login(t.app, owner, 'chosen password 1')).statusCode).toBe(200);
    },
    SLOW,
  );

  it(
    'reset-password (set, or a link) and end-sessions sign the user out everywhere',
    async () => {
      const owner = uniqueEmail('reset-owner');
      await admin('create-org', '--name', 'Reset Co', '--owner', owner, '--password', 'first password 1');
      const session = (await login(t.app, owner, 'first password 1')).json();

      const ended = await admin('end-sessions', '--email', owner, '--json');
      expect(JSON.parse(ended.stdout)).toEqual({ sessions_ended: 1 });
      expect((await me(t.app, session.access_token)).json().code).toBe('TOKEN_REVOKED');

      const second = (await login(t.app, owner, 'first password 1')).json();
      const set = await admin(
        'reset-password',
        '--email',
        owner,
        '--password',
        'second password 2',
        '--json',
      );
      expect(JSON.parse(set.stdout)).toEqual({ sessions_ended: 1 });
      expect((await me(t.app, second.access_token)).statusCode).toBe(401);
      expect((await login(t.app, owner, 'second password 2')).statusCode).toBe(200);

      const linked = await admin('reset-password', '--email', owner, '--json');
      expect((await acceptLink(JSON.parse(linked.stdout).link, 'third password 3')).statusCode).toBe(200);
      expect((await login(t.app, owner, 'third password 3')).statusCode).toBe(200);

      const unknown = await admin('end-sessions', '--email', uniqueEmail('nobody'));
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/no account with the e-mail/);
    },
    SLOW,
  );
});
