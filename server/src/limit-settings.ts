// Owns the shape of a rate limit as the settings give it: a token bucket. Both the identity
// limits (auth/rate-limit.ts) and the sync endpoint's (sync-settings.ts, read by config.ts as the
// defaults of SYNC_*) are buckets counted by the same store (auth/limit-store.ts), so the type is
// down here with the settings, which never import a feature.

/** A token bucket: `limit` requests per `windowSeconds`, refilled continuously. */
export type BucketSettings = { limit: number; windowSeconds: number };
