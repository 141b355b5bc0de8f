// Owns the sync feature's tunables and their production defaults: the built-in engine's options
// (tests shorten them) and the limits of a client where (sync/where/limits.ts applies them).
// Beside config.ts rather than in sync/: the settings read them as the defaults of SYNC_*, and
// the settings never import a feature.
import type { BucketSettings } from './limit-settings.ts';

export type EngineOptions = {
  /** How long a live long-poll is held before answering up-to-date (Electric: ~20 s). */
  liveTimeoutMs: number;
  /** How long one SSE response stays open before the client reconnects. */
  sseMaxMs: number;
  /** SSE keep-alive comment interval. */
  sseKeepAliveMs: number;
  /** A log with no request for this long (and no live subscriber) is evicted. */
  idleMs: number;
  /**
   * A log with more change entries than this is compacted (one entry per row key); when that
   * leaves more than half of them, it is reset instead: its clients refetch (409).
   */
  maxLogChanges: number;
  /** At most this many shape logs; beyond it the least recently used idle ones are evicted. */
  maxShapes: number;
  /** Approximate size of one response body. */
  chunkBytes: number;
  /** Sweep period for eviction. */
  sweepMs: number;
  /** Wait before restarting a failed replication stream. */
  restartDelayMs: number;
  /** Distinct shapes one user may have in use at once (429 TOO_MANY_SHAPES past it). */
  maxShapesPerUser: number;
  /** Shape logs one organisation may have at once. */
  maxShapesPerOrg: number;
  /** Bytes the shape logs of one organisation may hold before its new shapes are refused. */
  maxOrgLogBytes: number;
  /** Bytes all shape logs may hold; past it the least recently used logs are evicted. */
  maxLogBytes: number;
  /** A shape counts as in use by a user (and is not evicted for a budget) this long after their last request. */
  shapeInUseMs: number;
  /** Routing a transaction yields to other work after this long on the event loop. */
  routeSliceMs: number;
  /** statement_timeout of a snapshot's query; past it the client gets 503 and retries. */
  snapshotTimeoutMs: number;
  /** App-pool connections snapshots may hold at once (capped below the pool's size). */
  snapshotConnections: number;
  /** Snapshots one organisation may have waiting; past it (or the global bound) → 503. */
  snapshotQueuePerOrg: number;
  snapshotQueueMax: number;
  /** Milliseconds of snapshot time one organisation gets a minute (snapshot-budget.ts). */
  snapshotMsPerOrgPerMinute: number;
};

export const defaultEngineOptions: EngineOptions = {
  liveTimeoutMs: 20_000,
  sseMaxMs: 60_000,
  sseKeepAliveMs: 21_000,
  idleMs: 10 * 60_000,
  maxLogChanges: 10_000,
  maxShapes: 50_000,
  chunkBytes: 10 * 1024 * 1024,
  sweepMs: 30_000,
  restartDelayMs: 2_000,
  maxShapesPerUser: 100,
  maxShapesPerOrg: 1_000,
  maxOrgLogBytes: 64 * 1024 * 1024,
  maxLogBytes: 512 * 1024 * 1024,
  // Longer than a live long-poll (20 s) and an SSE response (60 s): a syncing client stays in use.
  shapeInUseMs: 120_000,
  routeSliceMs: 5,
  snapshotTimeoutMs: 30_000,
  snapshotConnections: 4,
  // A burst of distinct shapes waits rather than fails; fairness comes from the round-robin.
  snapshotQueuePerOrg: 50,
  snapshotQueueMax: 200,
  snapshotMsPerOrgPerMinute: 10_000,
};

export type WhereLimits = {
  /** Characters in one LIKE/ILIKE pattern. */
  maxLikePatternLength: number;
  /** UTF-8 bytes of all params[n] values of one shape together. */
  maxParamsBytes: number;
  /** Estimated evaluation cost of the where per row (units above). */
  maxCost: number;
};

export const defaultWhereLimits: WhereLimits = {
  maxLikePatternLength: 512,
  maxParamsBytes: 8_192,
  maxCost: 2_000,
};

/** Request rate limits of GET /api/electric/sync (sync/request-limits.ts applies them). */
export type SyncRequestLimitSettings = {
  /** Every request on the endpoint, per user (live long-polls included). */
  requestsPerUser: BucketSettings;
  requestsPerOrg: BucketSettings;
  /** Requests with offset=-1 (a shape's first request: may start a snapshot), per user. */
  initialSyncsPerUser: BucketSettings;
  initialSyncsPerOrg: BucketSettings;
};

// A live client asks again after every change batch of each of its shapes, so a busy
// organisation's members make requests at the rate of its writes (two writers at 15 writes/s
// took a member past 600 a minute: its live changes then waited ~1 s for the bucket). The
// per-request limits only stop floods of cheap requests; the costly ones (a shape's first
// request, which may start a snapshot) have the tighter initial-sync limits.
export const DEFAULT_SYNC_REQUEST_LIMITS: SyncRequestLimitSettings = {
  requestsPerUser: { limit: 6_000, windowSeconds: 60 },
  requestsPerOrg: { limit: 60_000, windowSeconds: 60 },
  initialSyncsPerUser: { limit: 60, windowSeconds: 60 },
  initialSyncsPerOrg: { limit: 600, windowSeconds: 60 },
};
