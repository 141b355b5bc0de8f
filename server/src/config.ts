// Owns the process configuration: the environment is parsed and validated once, at boot.
// Every problem is collected and reported together so an operator fixes them in one pass.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { z } from 'zod';
import {
  defaultEngineOptions as engine,
  type SyncRequestLimitSettings,
  DEFAULT_SYNC_REQUEST_LIMITS as syncRequests,
  defaultWhereLimits as where,
} from './sync-settings.ts';

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** A positive whole number (seconds, bytes, counts) with its default. */
const positive = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const seconds = positive;
/** A shedding threshold: 0 turns that check off; fractions allowed (tests force it low). */
const threshold = z.coerce.number().nonnegative();
const port = z.coerce.number().int().min(0).max(65535);

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: port.default(4000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .refine((value) => /^postgres(ql)?:\/\//.test(value) && URL.canParse(value), {
      message: 'must be a postgres:// or postgresql:// URL',
    })
    .optional(),
  APP_DATABASE_URL: z
    .string()
    .refine(
      (value) =>
        /^postgres(ql)?:\/\//.test(value) &&
        URL.canParse(value) &&
        new URL(value).username !== '' &&
        new URL(value).password !== '',
      {
        message: "must be a postgres:// or postgresql:// URL with the runtime role's user name and password",
      },
    )
    .optional(),
  DB_PREPARED_STATEMENTS: booleanFlag.optional(),
  EMBEDDED_DB: booleanFlag.optional(),
  REDIS_URL: z
    .string()
    .refine((value) => /^rediss?:\/\//.test(value) && URL.canParse(value), {
      message: 'must be a redis:// or rediss:// URL',
    })
    .optional(),
  DATA_DIR: z.string().min(1).default('./.data'),
  SHARED_TOKEN_SECRET: z.string().optional(),
  SHARED_TOKEN_SECRET_PREVIOUS: z.string().optional(),
  INTERNAL_SYNC_SECRET: z.string().optional(),
  INTERNAL_PORT: port.optional(),
  INTERNAL_HOST: z.string().min(1).optional(),
  METRICS_PORT: port.optional(),
  METRICS_HOST: z.string().min(1).optional(),
  METRICS_TOKEN: z.string().optional(),
  ELECTRIC_URL: z.url().optional(),
  ELECTRIC_SECRET: z.string().optional(),
  INTERNAL_URL: z.url().optional(),
  SYNC_ENGINE_GROUP: z.string().min(1).max(200).default('default'),
  SYNC_PERSIST_LOGS: booleanFlag.default(true),
  SYNC_ON_DEMAND_CONTROLS: positive(5_000),
  ACCESS_TOKEN_TTL: seconds(900),
  REFRESH_TOKEN_TTL: seconds(1_209_600),
  TOKEN_ISSUER: z.string().default('sertantai'),
  TOKEN_AUDIENCE: z.string().default('sertantai'),
  SEED: booleanFlag.optional(),
  SWEEP_INTERVAL_SECONDS: seconds(300),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PUBLIC_ORIGIN: z.url().optional(),
  TRUST_PROXY: booleanFlag.default(false),
  SYNC_MAX_LIKE_PATTERN_LENGTH: positive(where.maxLikePatternLength),
  SYNC_MAX_PARAMS_BYTES: positive(where.maxParamsBytes),
  SYNC_MAX_WHERE_COST: positive(where.maxCost),
  SYNC_MAX_SHAPES_PER_USER: positive(engine.maxShapesPerUser),
  SYNC_MAX_SHAPES_PER_ORG: positive(engine.maxShapesPerOrg),
  SYNC_MAX_ORG_LOG_BYTES: positive(engine.maxOrgLogBytes),
  SYNC_MAX_LOG_BYTES: positive(engine.maxLogBytes),
  SYNC_REQUESTS_PER_USER_PER_MINUTE: positive(syncRequests.requestsPerUser.limit),
  SYNC_REQUESTS_PER_ORG_PER_MINUTE: positive(syncRequests.requestsPerOrg.limit),
  SYNC_INITIAL_SYNCS_PER_USER_PER_MINUTE: positive(syncRequests.initialSyncsPerUser.limit),
  SYNC_INITIAL_SYNCS_PER_ORG_PER_MINUTE: positive(syncRequests.initialSyncsPerOrg.limit),
  ALLOW_REGISTRATION: booleanFlag.default(true),
  INVITATION_TTL: seconds(604_800),
  PASSWORD_RESET_TTL: seconds(86_400),
  DB_STATEMENT_TIMEOUT_MS: positive(15_000),
  DB_ACQUIRE_TIMEOUT_MS: positive(5_000),
  SYNC_SNAPSHOT_TIMEOUT_MS: positive(engine.snapshotTimeoutMs),
  SYNC_SNAPSHOT_CONNECTIONS: positive(engine.snapshotConnections),
  SYNC_SNAPSHOT_QUEUE_PER_ORG: positive(engine.snapshotQueuePerOrg),
  SYNC_SNAPSHOT_QUEUE_MAX: positive(engine.snapshotQueueMax),
  SYNC_SNAPSHOT_SECONDS_PER_ORG: positive(engine.snapshotMsPerOrgPerMinute / 1000),
  SHED_EVENT_LOOP_DELAY_MS: threshold.default(1_000),
  SHED_HEAP_USED_MB: threshold.optional(),
  SMTP_URL: z
    .string()
    .refine((value) => /^smtps?:\/\/[^/]/.test(value) && URL.canParse(value), {
      message: 'must be smtp://host:port (plain, a local relay) or smtps://user:pass@host:port',
    })
    .optional(),
  MAIL_FROM: z.string().min(3).max(320).optional(),
  REMINDER_DELIVERY_INTERVAL_SECONDS: seconds(60),
  REMINDER_RETRY_BASE_SECONDS: seconds(60),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(6),
  WEBHOOK_TIMEOUT_MS: positive(10_000),
  WEBHOOK_ALLOW_PRIVATE_ADDRESSES: booleanFlag.default(false),
});

export type Config = {
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  /** Direct owner connection; undefined → the embedded PostgreSQL (allowed by EMBEDDED_DB). */
  databaseUrl: string | undefined;
  /** Request traffic as the runtime role, possibly through a pooler; undefined → direct. */
  appDatabaseUrl: string | undefined;
  /**
   * The hot reads as named prepared statements (db/prepared.ts). Default: on for a direct
   * connection, off with APP_DATABASE_URL (a transaction-mode pooler cannot keep them).
   */
  preparedStatements: boolean;
  dataDir: string;
  /** Rate limits and lock-outs in this Redis; undefined → in PostgreSQL. */
  redisUrl: string | undefined;
  tokenSecret: string;
  /** The secret being rotated out: still accepted when verifying tokens, never used to sign. */
  previousTokenSecret: string | undefined;
  /** Guards the engine's internal protocol route; never derived from the token secret. */
  internalSyncSecret: string;
  /** Where the internal route listens; undefined → on the app's own port. */
  internalPort: number | undefined;
  internalHost: string;
  /** Where /metrics and /health details are served; undefined port → the app's own port. */
  metricsPort: number | undefined;
  metricsHost: string;
  /** Bearer token required for /metrics and /health details whenever it is set. */
  metricsToken: string | undefined;
  electricUrl: string | undefined;
  /** Sent to the Electric service of ELECTRIC_URL (proxy mode) only. */
  electricSecret: string | undefined;
  /** Where the other processes reach this one's internal sync route (default: its listen address). */
  internalUrl: string | undefined;
  /** Processes with the same database and group elect one built-in sync engine among themselves. */
  syncEngineGroup: string;
  /** The built-in engine keeps its shape logs in PostgreSQL (on a permanent slot) across restarts. */
  syncPersistLogs: boolean;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  tokenIssuer: string;
  tokenAudience: string;
  seed: boolean;
  sweepIntervalSeconds: number;
  logLevel: string;
  /** Origin the browser app is served from; used by the CSRF Origin check. */
  publicOrigin: string | undefined;
  trustProxy: boolean;
  /** Limits on a shape's where (see sync/where/limits.ts). */
  syncWhereLimits: { maxLikePatternLength: number; maxParamsBytes: number; maxCost: number };
  /** Organisations with at least this many controls sync the register on demand (sync/plan.ts). */
  syncOnDemandControls: number;
  /** The built-in engine's shape budgets (see sync/engine/budgets.ts). */
  syncShapeBudgets: {
    maxShapesPerUser: number;
    maxShapesPerOrg: number;
    maxOrgLogBytes: number;
    maxLogBytes: number;
  };
  /** Request rate limits of GET /api/electric/sync (see sync/request-limits.ts). */
  syncRequestLimits: SyncRequestLimitSettings;
  /** false: POST /auth/register is closed (operators create organisations with `npm run admin`). */
  allowRegistration: boolean;
  invitationTtl: number;
  passwordResetTtl: number;
  /** Limits that keep one tenant's load from starving the others (docs/operations.md). */
  limits: {
    /** statement_timeout of every tenant transaction. */
    statementTimeoutMs: number;
    /** Longest wait for a pooled connection before answering 503 OVERLOADED. */
    acquireTimeoutMs: number;
    snapshotTimeoutMs: number;
    /** Connections of the app pool that shape snapshots may hold at once. */
    snapshotConnections: number;
    snapshotQueuePerOrg: number;
    snapshotQueueMax: number;
    /** Snapshot time one organisation gets a minute (ms). */
    snapshotMsPerOrgPerMinute: number;
    /** Shed requests when the event-loop delay exceeds this (0: never). */
    shedEventLoopDelayMs: number;
    /** Shed requests when the V8 heap in use exceeds this (0: never). */
    shedHeapUsedBytes: number;
  };
  /** Reminders: e-mail digests and webhooks (docs/operations.md, "Reminders"). */
  reminders: {
    /** undefined → in-app notifications only, no e-mail. */
    smtpUrl: string | undefined;
    mailFrom: string | undefined;
    /** How often each process looks for due digests and webhook deliveries. */
    deliveryIntervalSeconds: number;
    /** A failed attempt is retried after base · 2^(attempts − 1) seconds. */
    retryBaseSeconds: number;
    webhookMaxAttempts: number;
    webhookTimeoutMs: number;
    /** Operators only: lets webhooks reach loopback, private and link-local addresses. */
    webhookAllowPrivateAddresses: boolean;
  };
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      problems.length === 1
        ? `Configuration problem: ${problems[0]}`
        : `Configuration problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
  }
}

export const MIN_SECRET_BYTES = 32;

/** Parses the environment; throws ConfigError listing every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(problems);
  }
  const values = parsed.data;
  const dataDir = path.resolve(values.DATA_DIR);
  const production = values.NODE_ENV === 'production';

  /** Production requires the secret; development generates one once into DATA_DIR. */
  const requiredSecret = (name: string, devFile: string): string => {
    if (!production) {
      try {
        return developmentSecret(dataDir, devFile);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
        problems.push(
          `DATA_DIR: cannot keep the generated ${name} in ${dataDir} (${code}); choose a DATA_DIR this user can write, or set ${name}`,
        );
        return '';
      }
    }
    problems.push(`${name}: required in production (at least ${MIN_SECRET_BYTES} bytes)`);
    return '';
  };
  for (const name of SECRET_SETTINGS) {
    const problem = secretProblem(name, values[name]);
    if (problem) problems.push(problem);
  }
  const tokenSecret = values.SHARED_TOKEN_SECRET ?? requiredSecret('SHARED_TOKEN_SECRET', 'dev-token-secret');
  const internalSyncSecret =
    values.INTERNAL_SYNC_SECRET ?? requiredSecret('INTERNAL_SYNC_SECRET', 'dev-internal-sync-secret');
  if (
    values.INTERNAL_SYNC_SECRET !== undefined &&
    values.INTERNAL_SYNC_SECRET === values.SHARED_TOKEN_SECRET
  ) {
    problems.push('INTERNAL_SYNC_SECRET: must differ from SHARED_TOKEN_SECRET (other apps hold that one)');
  }
  if (values.DATABASE_URL === undefined && !(values.EMBEDDED_DB ?? !production)) {
    problems.push(
      `DATABASE_URL: required ${production ? 'in production' : 'when EMBEDDED_DB=false'} (or set EMBEDDED_DB=true to run the embedded PostgreSQL in DATA_DIR)`,
    );
  }
  if (values.APP_DATABASE_URL !== undefined && values.DATABASE_URL === undefined) {
    problems.push('APP_DATABASE_URL: needs DATABASE_URL (the direct owner connection) beside it');
  }
  if ((values.SMTP_URL === undefined) !== (values.MAIL_FROM === undefined)) {
    problems.push('SMTP_URL and MAIL_FROM: set both to send e-mail, or neither');
  }
  if (problems.length > 0) throw new ConfigError(problems);

  return {
    env: values.NODE_ENV,
    port: values.PORT,
    host: values.HOST,
    databaseUrl: values.DATABASE_URL,
    appDatabaseUrl: values.APP_DATABASE_URL,
    preparedStatements: values.DB_PREPARED_STATEMENTS ?? values.APP_DATABASE_URL === undefined,
    dataDir,
    redisUrl: values.REDIS_URL,
    tokenSecret,
    previousTokenSecret: values.SHARED_TOKEN_SECRET_PREVIOUS,
    internalSyncSecret,
    internalPort: values.INTERNAL_PORT,
    internalHost: values.INTERNAL_HOST ?? values.HOST,
    metricsPort: values.METRICS_PORT,
    metricsHost: values.METRICS_HOST ?? values.HOST,
    metricsToken: values.METRICS_TOKEN,
    electricUrl: values.ELECTRIC_URL,
    electricSecret: values.ELECTRIC_SECRET,
    internalUrl: values.INTERNAL_URL,
    syncEngineGroup: values.SYNC_ENGINE_GROUP,
    syncPersistLogs: values.SYNC_PERSIST_LOGS,
    accessTokenTtl: values.ACCESS_TOKEN_TTL,
    refreshTokenTtl: values.REFRESH_TOKEN_TTL,
    tokenIssuer: values.TOKEN_ISSUER,
    tokenAudience: values.TOKEN_AUDIENCE,
    seed: values.SEED ?? !production,
    sweepIntervalSeconds: values.SWEEP_INTERVAL_SECONDS,
    logLevel: values.LOG_LEVEL,
    publicOrigin: values.PUBLIC_ORIGIN,
    trustProxy: values.TRUST_PROXY,
    syncWhereLimits: {
      maxLikePatternLength: values.SYNC_MAX_LIKE_PATTERN_LENGTH,
      maxParamsBytes: values.SYNC_MAX_PARAMS_BYTES,
      maxCost: values.SYNC_MAX_WHERE_COST,
    },
    syncOnDemandControls: values.SYNC_ON_DEMAND_CONTROLS,
    syncShapeBudgets: {
      maxShapesPerUser: values.SYNC_MAX_SHAPES_PER_USER,
      maxShapesPerOrg: values.SYNC_MAX_SHAPES_PER_ORG,
      maxOrgLogBytes: values.SYNC_MAX_ORG_LOG_BYTES,
      maxLogBytes: values.SYNC_MAX_LOG_BYTES,
    },
    syncRequestLimits: {
      requestsPerUser: { limit: values.SYNC_REQUESTS_PER_USER_PER_MINUTE, windowSeconds: 60 },
      requestsPerOrg: { limit: values.SYNC_REQUESTS_PER_ORG_PER_MINUTE, windowSeconds: 60 },
      initialSyncsPerUser: { limit: values.SYNC_INITIAL_SYNCS_PER_USER_PER_MINUTE, windowSeconds: 60 },
      initialSyncsPerOrg: { limit: values.SYNC_INITIAL_SYNCS_PER_ORG_PER_MINUTE, windowSeconds: 60 },
    },
    allowRegistration: values.ALLOW_REGISTRATION,
    invitationTtl: values.INVITATION_TTL,
    passwordResetTtl: values.PASSWORD_RESET_TTL,
    limits: {
      statementTimeoutMs: values.DB_STATEMENT_TIMEOUT_MS,
      acquireTimeoutMs: values.DB_ACQUIRE_TIMEOUT_MS,
      snapshotTimeoutMs: values.SYNC_SNAPSHOT_TIMEOUT_MS,
      snapshotConnections: values.SYNC_SNAPSHOT_CONNECTIONS,
      snapshotQueuePerOrg: values.SYNC_SNAPSHOT_QUEUE_PER_ORG,
      snapshotQueueMax: values.SYNC_SNAPSHOT_QUEUE_MAX,
      snapshotMsPerOrgPerMinute: values.SYNC_SNAPSHOT_SECONDS_PER_ORG * 1000,
      shedEventLoopDelayMs: values.SHED_EVENT_LOOP_DELAY_MS,
      shedHeapUsedBytes:
        values.SHED_HEAP_USED_MB === undefined
          ? Math.round(getHeapStatistics().heap_size_limit * 0.9)
          : Math.round(values.SHED_HEAP_USED_MB * 1024 * 1024),
    },
    reminders: {
      smtpUrl: values.SMTP_URL,
      mailFrom: values.MAIL_FROM,
      deliveryIntervalSeconds: values.REMINDER_DELIVERY_INTERVAL_SECONDS,
      retryBaseSeconds: values.REMINDER_RETRY_BASE_SECONDS,
      webhookMaxAttempts: values.WEBHOOK_MAX_ATTEMPTS,
      webhookTimeoutMs: values.WEBHOOK_TIMEOUT_MS,
      webhookAllowPrivateAddresses: values.WEBHOOK_ALLOW_PRIVATE_ADDRESSES,
    },
  };
}

/** Settings that hold a secret: refused when set but empty or shorter than MIN_SECRET_BYTES. */
const SECRET_SETTINGS = [
  'SHARED_TOKEN_SECRET',
  'SHARED_TOKEN_SECRET_PREVIOUS',
  'INTERNAL_SYNC_SECRET',
  'ELECTRIC_SECRET',
  'METRICS_TOKEN',
] as const;

function secretProblem(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') {
    return `${name}: is set but empty; unset it or give at least ${MIN_SECRET_BYTES} bytes`;
  }
  if (Buffer.byteLength(value) < MIN_SECRET_BYTES) {
    return `${name}: must be at least ${MIN_SECRET_BYTES} bytes`;
  }
  return undefined;
}

/** A development secret is generated once and kept in DATA_DIR so it survives restarts. */
function developmentSecret(dataDir: string, fileName: string): string {
  const file = path.join(dataDir, fileName);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
