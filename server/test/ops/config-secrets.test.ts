// Secrets at start-up: every secret setting is refused when set but empty or short, one line
// per problem; INTERNAL_SYNC_SECRET is its own secret (generated in development, required in
// production, never the token secret); the side listeners' settings.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, ConfigError, loadConfig } from '../../src/config.ts';

const LONG = 'a-secret-that-is-long-enough-0123456789';
const PRODUCTION = {
  NODE_ENV: 'production',
  EMBEDDED_DB: 'true',
  SHARED_TOKEN_SECRET: `token-${LONG}`,
  INTERNAL_SYNC_SECRET: `internal-${LONG}`,
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'sertantai-config-'));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('secret settings', () => {
  const SECRETS = [
    'SHARED_TOKEN_SECRET',
    'SHARED_TOKEN_SECRET_PREVIOUS',
    'INTERNAL_SYNC_SECRET',
    'ELECTRIC_SECRET',
    'METRICS_TOKEN',
  ];

  it.each(SECRETS)('%s set but empty is refused at start, in development too', (name) => {
    for (const empty of ['', '   ']) {
      const problems = problemsOf({ NODE_ENV: 'development', DATA_DIR: dataDir, [name]: empty });
      expect(problems).toEqual([expect.stringMatching(new RegExp(`^${name}: is set but empty`))]);
    }
  });

  it.each(SECRETS)('%s shorter than 32 bytes is refused', (name) => {
    const problems = problemsOf({ ...PRODUCTION, [name]: 'x'.repeat(31) });
    expect(problems).toEqual([`${name}: must be at least 32 bytes`]);
  });

  it('lists every problem at once, one line each', () => {
    const problems = problemsOf({
      NODE_ENV: 'production',
      EMBEDDED_DB: 'true',
      ELECTRIC_SECRET: '',
      METRICS_TOKEN: 'short',
    });
    expect(problems).toEqual([
      'ELECTRIC_SECRET: is set but empty; unset it or give at least 32 bytes',
      'METRICS_TOKEN: must be at least 32 bytes',
      'SHARED_TOKEN_SECRET: required in production (at least 32 bytes)',
      'INTERNAL_SYNC_SECRET: required in production (at least 32 bytes)',
    ]);
  });

  it('accepts 32-byte secrets and carries them into the config', () => {
    const config = loadConfig({
      ...PRODUCTION,
      SHARED_TOKEN_SECRET_PREVIOUS: `previous-${LONG}`,
      ELECTRIC_SECRET: `electric-${LONG}`,
      METRICS_TOKEN: `metrics-${LONG}`,
    });
    expect(config).toMatchObject<Partial<Config>>({
      tokenSecret: PRODUCTION.SHARED_TOKEN_SECRET,
      previousTokenSecret: `previous-${LONG}`,
      internalSyncSecret: PRODUCTION.INTERNAL_SYNC_SECRET,
      electricSecret: `electric-${LONG}`,
      metricsToken: `metrics-${LONG}`,
    });
  });
});

describe('INTERNAL_SYNC_SECRET', () => {
  it('is required in production', () => {
    const { INTERNAL_SYNC_SECRET: _, ...withoutIt } = PRODUCTION;
    expect(problemsOf(withoutIt)).toEqual([
      'INTERNAL_SYNC_SECRET: required in production (at least 32 bytes)',
    ]);
  });

  it('must not be the shared token secret', () => {
    const problems = problemsOf({ ...PRODUCTION, INTERNAL_SYNC_SECRET: PRODUCTION.SHARED_TOKEN_SECRET });
    expect(problems).toEqual([
      expect.stringMatching(/^INTERNAL_SYNC_SECRET: must differ from SHARED_TOKEN_SECRET/),
    ]);
  });

  it('is generated once into DATA_DIR in development, apart from the token secret, and reused', () => {
    const first = loadConfig({ NODE_ENV: 'development', DATA_DIR: dataDir });
    const file = path.join(dataDir, 'dev-internal-sync-secret');
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.internalSyncSecret);
    expect(Buffer.byteLength(first.internalSyncSecret)).toBeGreaterThanOrEqual(32);
    expect(first.internalSyncSecret).not.toBe(first.tokenSecret);
    expect(loadConfig({ NODE_ENV: 'development', DATA_DIR: dataDir }).internalSyncSecret).toBe(
      first.internalSyncSecret,
    );
    // Changing the token secret does not change it: nothing is derived from the token secret.
    const other = loadConfig({
      NODE_ENV: 'development',
      DATA_DIR: dataDir,
      SHARED_TOKEN_SECRET: `x-${LONG}`,
    });
    expect(other.internalSyncSecret).toBe(first.internalSyncSecret);
  });
});

describe('listener settings', () => {
  it('keep the internal route and operations on the app port by default', () => {
    const config = loadConfig(PRODUCTION);
    expect(config).toMatchObject({
      internalPort: undefined,
      metricsPort: undefined,
      metricsToken: undefined,
    });
  });

  it('take a port and a host for each, the host defaulting to HOST', () => {
    const config = loadConfig({
      ...PRODUCTION,
      HOST: '0.0.0.0',
      INTERNAL_PORT: '4100',
      INTERNAL_HOST: '10.0.0.5',
      METRICS_PORT: '9464',
    });
    expect(config).toMatchObject({
      internalPort: 4100,
      internalHost: '10.0.0.5',
      metricsPort: 9464,
      metricsHost: '0.0.0.0',
    });
  });

  it('refuse a port that is not one', () => {
    expect(problemsOf({ ...PRODUCTION, INTERNAL_PORT: '70000', METRICS_PORT: 'nine' })).toEqual([
      expect.stringMatching(/^INTERNAL_PORT: /),
      expect.stringMatching(/^METRICS_PORT: /),
    ]);
  });
});
