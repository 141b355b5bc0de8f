// The deployment settings of the configuration: which database a process may use, and how.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

const secret = 's'.repeat(40);
const production = {
  NODE_ENV: 'production',
  SHARED_TOKEN_SECRET: secret,
  INTERNAL_SYNC_SECRET: 'i'.repeat(40),
};
const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    return (error as ConfigError).problems;
  }
};

describe('the embedded database', () => {
  it('is refused in production without EMBEDDED_DB=true, in one line that says what to do', () => {
    expect(() => loadConfig(production)).toThrow(ConfigError);
    const problems = problemsOf(production);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^DATABASE_URL: required in production \(or set EMBEDDED_DB=true/);
    expect(new ConfigError(problems).message.split('\n')).toHaveLength(1);
  });
  it('is allowed in production with EMBEDDED_DB=true, and by default in development', () => {
    expect(loadConfig({ ...production, EMBEDDED_DB: 'true' }).databaseUrl).toBeUndefined();
    expect(problemsOf({ SHARED_TOKEN_SECRET: secret, DATA_DIR: '.data-test' })).toEqual([]);
  });
  it('can be turned off in development', () => {
    expect(problemsOf({ SHARED_TOKEN_SECRET: secret, EMBEDDED_DB: 'false' })[0]).toMatch(
      /DATABASE_URL: required when EMBEDDED_DB=false/,
    );
  });
});

describe('APP_DATABASE_URL', () => {
  const direct = { ...production, DATABASE_URL: 'postgres://owner:pw@db:5432/app' };
  it('carries the runtime role user and password beside a direct DATABASE_URL', () => {
    const config = loadConfig({ ...direct, APP_DATABASE_URL: 'postgres://app_rt:secret@pgbouncer:6432/app' });
    expect(config.appDatabaseUrl).toBe('postgres://app_rt:secret@pgbouncer:6432/app');
    expect(config.databaseUrl).toBe('postgres://owner:pw@db:5432/app');
  });
  it('must name a user and a password', () => {
    expect(problemsOf({ ...direct, APP_DATABASE_URL: 'postgres://pgbouncer:6432/app' })[0]).toMatch(
      /APP_DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL with the runtime role's user name and password/,
    );
  });
  it('needs DATABASE_URL beside it', () => {
    expect(
      problemsOf({
        ...production,
        EMBEDDED_DB: 'true',
        APP_DATABASE_URL: 'postgres://a:b@pgbouncer:6432/app',
      }),
    ).toEqual(['APP_DATABASE_URL: needs DATABASE_URL (the direct owner connection) beside it']);
  });
});

describe('DB_PREPARED_STATEMENTS', () => {
  const direct = { ...production, DATABASE_URL: 'postgres://owner:pw@db:5432/app' };
  const pooled = { ...direct, APP_DATABASE_URL: 'postgres://app_rt:secret@pgbouncer:6432/app' };
  it('defaults on for a direct connection and off behind APP_DATABASE_URL (maybe a transaction pooler)', () => {
    expect(loadConfig(direct).preparedStatements).toBe(true);
    expect(loadConfig(pooled).preparedStatements).toBe(false);
  });
  it('is set either way explicitly', () => {
    expect(loadConfig({ ...direct, DB_PREPARED_STATEMENTS: 'false' }).preparedStatements).toBe(false);
    expect(loadConfig({ ...pooled, DB_PREPARED_STATEMENTS: 'true' }).preparedStatements).toBe(true);
    expect(problemsOf({ ...direct, DB_PREPARED_STATEMENTS: 'maybe' })[0]).toMatch(
      /^DB_PREPARED_STATEMENTS: /,
    );
  });
});

describe('e-mail and webhooks for reminders', () => {
  const base = { ...production, EMBEDDED_DB: 'true' };
  it('takes smtp:// and smtps:// with MAIL_FROM, and defaults to no e-mail', () => {
    expect(loadConfig(base).reminders).toMatchObject({
      smtpUrl: undefined,
      webhookAllowPrivateAddresses: false,
    });
    for (const url of ['smtp://127.0.0.1:2525', 'smtps://user:pass@mail.example.com:465']) {
      expect(
        loadConfig({ ...base, SMTP_URL: url, MAIL_FROM: 'reminders@example.com' }).reminders.smtpUrl,
      ).toBe(url);
    }
  });
  it('refuses other schemes, and SMTP_URL or MAIL_FROM alone', () => {
    expect(problemsOf({ ...base, SMTP_URL: 'http://mail.example.com', MAIL_FROM: 'a@b.c' })[0]).toMatch(
      /^SMTP_URL: /,
    );
    expect(problemsOf({ ...base, SMTP_URL: 'smtp://127.0.0.1:25' })).toEqual([
      'SMTP_URL and MAIL_FROM: set both to send e-mail, or neither',
    ]);
    expect(problemsOf({ ...base, MAIL_FROM: 'a@b.c' })).toHaveLength(1);
    expect(problemsOf({ ...base, WEBHOOK_MAX_ATTEMPTS: '0' })[0]).toMatch(/^WEBHOOK_MAX_ATTEMPTS: /);
  });
});

describe('many processes: Redis rate limits and persisted shape logs', () => {
  const base = { ...production, EMBEDDED_DB: 'true' };
  it('takes redis:// and rediss:// URLs, and keeps rate limits in PostgreSQL without one', () => {
    expect(loadConfig(base).redisUrl).toBeUndefined();
    for (const url of ['redis://127.0.0.1:6379', 'rediss://:secret@cache.internal:6380/2']) {
      expect(loadConfig({ ...base, REDIS_URL: url }).redisUrl).toBe(url);
    }
    expect(problemsOf({ ...base, REDIS_URL: 'http://cache.internal' })[0]).toMatch(/^REDIS_URL: /);
  });
  it('persists the engine’s shape logs by default; SYNC_PERSIST_LOGS=false keeps them in memory', () => {
    expect(loadConfig(base).syncPersistLogs).toBe(true);
    expect(loadConfig({ ...base, SYNC_PERSIST_LOGS: 'false' }).syncPersistLogs).toBe(false);
    expect(problemsOf({ ...base, SYNC_PERSIST_LOGS: 'maybe' })[0]).toMatch(/^SYNC_PERSIST_LOGS: /);
  });
});
