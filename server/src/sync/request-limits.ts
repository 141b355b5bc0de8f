// Owns the request rate limits of GET /api/electric/sync (issue 10): token buckets per user and
// per organisation for every request, and tighter ones for initial syncs (offset=-1, the
// requests that may start a snapshot). They are counted in the store of the identity limits
// (auth/limit-store.ts: PostgreSQL, or Redis with REDIS_URL), so N processes do not mean N× the
// limits. A subject once
// refused is refused again from memory until its Retry-After has passed: a flood that ignores
// Retry-After costs neither a database round trip nor any parsing.
//
// Sized so the web app never meets them: it keeps at most 4 live shapes per tab, each a
// long-poll answered once per change of its table or every 20 s, and starts each shape once
// per page load or 409 refetch. Every limit is a setting (docs/operations.md).
import { type LimitStore, limitKey } from '../auth/limit-store.ts';
import type { Clock } from '../clock.ts';
import { AppError } from '../http/errors.ts';
import type { BucketSettings } from '../limit-settings.ts';
import { DEFAULT_SYNC_REQUEST_LIMITS, type SyncRequestLimitSettings } from '../sync-settings.ts';

export type { SyncRequestLimitSettings } from '../sync-settings.ts';

/** The limit a refused request met (the label of sync_shapes_refused_total). */
export type SyncRateLimit = 'user_requests' | 'org_requests' | 'user_initial_syncs' | 'org_initial_syncs';

const WHAT: Record<SyncRateLimit, string> = {
  user_requests: 'live sync requests from your account',
  org_requests: 'live sync requests from your organisation',
  user_initial_syncs: 'new live sync subscriptions from your account',
  org_initial_syncs: 'new live sync subscriptions from your organisation',
};

/** 429 RATE_LIMITED with Retry-After and the limit met, in the API's error shape. */
export class SyncRateLimited extends AppError {
  constructor(
    readonly limit: SyncRateLimit,
    retryAfterSeconds: number,
  ) {
    super(
      429,
      'RATE_LIMITED',
      `Too many ${WHAT[limit]} in a short time. Try again in ${retryAfterSeconds} seconds.`,
      { limit, retry_after: retryAfterSeconds },
      { 'retry-after': String(retryAfterSeconds) },
    );
    this.name = 'SyncRateLimited';
  }
}

/** Subjects remembered as refused at most; the oldest go first (a refusal then costs one query). */
const MAX_REMEMBERED = 10_000;

export class SyncRequestLimits {
  /** limit + subject → when its refusal ends (ms on the app's clock). */
  private readonly refusedUntil = new Map<string, number>();

  constructor(
    private readonly store: LimitStore,
    private readonly clock: Clock,
    readonly settings: SyncRequestLimitSettings = DEFAULT_SYNC_REQUEST_LIMITS,
  ) {}

  /** Takes this request's tokens; throws SyncRateLimited when a bucket is empty. */
  async take(subject: { userId: string; orgId: string }, initialSync: boolean): Promise<void> {
    const buckets: Array<[SyncRateLimit, string, BucketSettings]> = [
      ['user_requests', subject.userId, this.settings.requestsPerUser],
      ['org_requests', subject.orgId, this.settings.requestsPerOrg],
    ];
    if (initialSync) {
      buckets.push(
        ['user_initial_syncs', subject.userId, this.settings.initialSyncsPerUser],
        ['org_initial_syncs', subject.orgId, this.settings.initialSyncsPerOrg],
      );
    }
    const now = this.clock.now().getTime();
    for (const [limit, id] of buckets) {
      const until = this.refusedUntil.get(`${limit}:${id}`);
      if (until === undefined) continue;
      if (until > now) throw new SyncRateLimited(limit, Math.max(1, Math.ceil((until - now) / 1000)));
      this.refusedUntil.delete(`${limit}:${id}`);
    }
    const verdicts = await this.store.takeAll(
      buckets.map(([limit, id, bucket]) => ({ key: limitKey(`sync-${limit}`, id), bucket })),
    );
    verdicts.forEach((verdict, i) => {
      if (verdict.ok) return;
      const [limit, id] = buckets[i]!;
      this.remember(`${limit}:${id}`, now + verdict.retryAfterSeconds * 1000);
    });
    const refused = verdicts.findIndex((verdict) => !verdict.ok);
    if (refused >= 0) {
      const verdict = verdicts[refused] as { retryAfterSeconds: number };
      throw new SyncRateLimited(buckets[refused]![0], verdict.retryAfterSeconds);
    }
  }

  private remember(key: string, until: number) {
    this.refusedUntil.delete(key);
    this.refusedUntil.set(key, until);
    if (this.refusedUntil.size > MAX_REMEMBERED) {
      const oldest = this.refusedUntil.keys().next().value;
      if (oldest !== undefined) this.refusedUntil.delete(oldest);
    }
  }
}
