// Owns how the web app learns its register's sync plan (GET /api/sync/plan): `eager` loads the
// register whole at sign-in, `on-demand` only the pages screens ask for (large registers). A
// failed answer is asked again a few times before anything is assumed: falling back to `eager`
// at once made one refused or slow plan request load a 100,000-control register whole, which
// never finished under its organisation's share of snapshot time. The last plan the server gave
// is remembered per user, so a reload while offline (or a server that keeps failing) keeps it,
// and a later sign-in or reload starts with it at once (followSyncPlan): the server's answer
// then only confirms it, or replaces it when the register crossed the threshold meanwhile.

export type SyncPlan = 'eager' | 'on-demand';

export type PlanSource = {
  /** The server's answer; throws on any failure (ApiError: status 0 when it never got there). */
  fetchPlan: () => Promise<SyncPlan>;
  storage: Pick<Storage, 'getItem' | 'setItem'> | undefined;
  wait: (ms: number) => Promise<void>;
};

/** Waits before the 2nd, 3rd and 4th request; a request that never reached the server is not repeated. */
const RETRY_DELAYS_MS = [250, 750, 2_000];

const storageKey = (userId: string) => `sertantai:sync-plan:${userId}`;

export async function syncPlanFor(userId: string, source: PlanSource): Promise<SyncPlan> {
  for (let attempt = 0; ; attempt++) {
    try {
      const plan = await source.fetchPlan();
      source.storage?.setItem(storageKey(userId), plan);
      return plan;
    } catch (error) {
      const offline = (error as { status?: number }).status === 0;
      const delay = RETRY_DELAYS_MS[attempt];
      if (offline || delay === undefined) break;
      await source.wait(delay);
    }
  }
  return rememberedPlan(userId, source.storage) ?? 'eager';
}

/** The last plan the server gave this user in this browser, if any. */
export function rememberedPlan(userId: string, storage: PlanSource['storage']): SyncPlan | undefined {
  const remembered = storage?.getItem(storageKey(userId));
  return remembered === 'on-demand' || remembered === 'eager' ? remembered : undefined;
}

/**
 * Calls `use` with the plan to sync by: at once with the remembered one (no round trip before
 * the first screen), then again with the server's answer only if it differs (the caller then
 * rebuilds its local database); with none remembered, once, with the server's answer.
 */
export function followSyncPlan(
  userId: string,
  source: PlanSource,
  use: (plan: SyncPlan) => void,
): Promise<void> {
  const remembered = rememberedPlan(userId, source.storage);
  if (remembered) use(remembered);
  return syncPlanFor(userId, source).then((plan) => {
    if (plan !== remembered) use(plan);
  });
}
