// Owns how the web app learns its register's sync plan (GET /api/sync/plan): `eager` loads the
// register whole at sign-in, `on-demand` only the pages screens ask for (large registers). A
// failed answer is asked again a few times before anything is assumed: falling back to `eager`
// at once made one refused or slow plan request load a 100,000-control register whole, which
// never finished under its organisation's share of snapshot time. The last plan the server gave
// is remembered per user, so a reload while offline (or a server that keeps failing) keeps it.

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
  const remembered = source.storage?.getItem(storageKey(userId));
  return remembered === 'on-demand' || remembered === 'eager' ? remembered : 'eager';
}
