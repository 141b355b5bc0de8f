// Owns the types the identity service's parts share (service.ts and the behaviour beside it:
// login.ts, sessions.ts, members.ts, invitations.ts, account.ts, issue-tokens.ts). They live
// apart from service.ts, which calls those parts, so no part has to import back from it.
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { AuthMetrics } from './metrics.ts';
import type { AuthRateLimits } from './rate-limit.ts';
import type { RevocationCache } from './revocation.ts';
import type { TokenSettings } from './tokens.ts';
import type { OrganizationRow, UserRow } from './users.ts';

/** Who is asking: for session rows, rate limits and log lines. */
export type RequestMeta = {
  ip: string;
  userAgent: string | undefined;
  requestId: string;
  log: FastifyBaseLogger;
};

export type IssuedTokens = {
  user: UserRow;
  organization: OrganizationRow;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  sessionId: string;
};

export type IdentityServiceDeps = {
  config: Config;
  db: Database;
  revocation: RevocationCache;
  limits: AuthRateLimits;
  metrics: AuthMetrics;
  tokenSettings: TokenSettings;
};
