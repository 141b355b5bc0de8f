// Owns every advisory lock namespace of the product, in one table, so no two features can take
// the same lock by accident (the network lock once shared the engine election's namespace: an
// organisation whose hashtext matched the group's key would have waited on the leader forever).
// Two-int4 keys: the first is the feature's namespace below, the second its own (a hash of the
// organisation or of the election group). Single-bigint keys live in PostgreSQL's other key
// space (a lock on (a, b) never meets a lock on one bigint).

/** First int4 of a two-int4 advisory lock key, one per feature. */
export const LOCK_NAMESPACE = {
  /** The classification sweep, per SYNC_ENGINE_GROUP (classification/sweeper.ts). */
  sweep: 0x5e47a,
  /** The sync engine's leader election, per group (sync/engine/election.ts). */
  election: 0x5e47b,
  /** An organisation's provider-network writes (classification/service.ts). */
  network: 0x5e47c,
  /** An organisation's webhook additions (reminders/webhooks.ts). */
  webhooks: 0x5e47d,
  /** The demo seed (seed/seed.ts). */
  seed: 0x5e47e,
} as const;

/** Single-bigint advisory lock keys. */
export const MIGRATION_LOCK = 72_160_301;
export const RUNTIME_ROLE_LOCK = 72_160_302;
