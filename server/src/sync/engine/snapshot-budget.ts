// Owns each organisation's share of database time for shape snapshots (issue 10, attack 2): a
// token bucket of milliseconds per organisation, refilled at `perMinuteMs` a minute (and holding
// at most that). A snapshot's statement_timeout is half of what its organisation has left, a
// third of that again for each snapshot it already runs, never more than `maxTimeoutMs`: taken from the
// bucket when the snapshot starts, what it did not use given back when it ends. So a shape
// that is costly for PostgreSQL is canceled sooner the more its organisation has spent, a
// second snapshot running beside the first gets a much smaller share than the first, and once
// the share is spent the organisation's new snapshots are refused (503 with Retry-After) until
// it has refilled. Admission counts what running snapshots hold as not yet spent (a quick
// snapshot gives nearly all of it back): a burst of an organisation's quick shapes queues
// behind its running ones rather than being refused while they run — however many it asks for, one organisation's snapshots take at most about
// `perMinuteMs` of database time a minute. Quick snapshots give back nearly all they took, so
// an organisation of ordinary size never notices.

export type SnapshotBudgetOptions = {
  /** Milliseconds of snapshot time an organisation gets a minute (also the most it can save up). */
  perMinuteMs: number;
  /** A snapshot's statement_timeout never exceeds this (SYNC_SNAPSHOT_TIMEOUT_MS). */
  maxTimeoutMs: number;
  /** Below this left to give, a snapshot is not started at all. */
  minTimeoutMs: number;
};

/** `reservedMs`: taken by the running snapshots, not yet settled. */
type OrgShare = { tokensMs: number; reservedMs: number; at: number; running: number };

/** The part of what is left a snapshot gets: 1/2 alone, 1/6 beside one, 1/18 beside two… */
const divisor = (running: number) => 2 * 3 ** running;

export class SnapshotTimeBudget {
  private readonly orgs = new Map<string, OrgShare>();

  constructor(
    private readonly options: SnapshotBudgetOptions,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Seconds until `orgId` may ask for a new snapshot (0: now): its share, running snapshots' reservations included, is spent. */
  retryAfterSeconds(orgId: string): number {
    const share = this.refill(orgId);
    const needed = this.options.minTimeoutMs * divisor(0) - (share.tokensMs + share.reservedMs);
    if (needed <= 0) return 0;
    return Math.max(1, Math.ceil(needed / (this.options.perMinuteMs / 60)));
  }

  /** The statement_timeout of a snapshot of `orgId` starting now, taken from its share; undefined when spent. */
  reserve(orgId: string): number | undefined {
    const share = this.refill(orgId);
    const timeoutMs = Math.min(this.options.maxTimeoutMs, share.tokensMs / divisor(share.running));
    if (timeoutMs < this.options.minTimeoutMs) return undefined;
    share.tokensMs -= timeoutMs;
    share.reservedMs += timeoutMs;
    share.running++;
    return Math.floor(timeoutMs);
  }

  /** A snapshot that reserved `reservedMs` ended after `usedMs`: the rest goes back to its share. */
  settle(orgId: string, reservedMs: number, usedMs: number) {
    const share = this.refill(orgId);
    share.running = Math.max(0, share.running - 1);
    share.reservedMs = Math.max(0, share.reservedMs - reservedMs);
    share.tokensMs = Math.min(this.options.perMinuteMs, share.tokensMs + Math.max(0, reservedMs - usedMs));
    if (share.running === 0 && share.tokensMs >= this.options.perMinuteMs) this.orgs.delete(orgId);
  }

  /** Organisations with a share that is not full (for tests and health). */
  get tracked(): number {
    return this.orgs.size;
  }

  private refill(orgId: string): OrgShare {
    const now = this.now();
    let share = this.orgs.get(orgId);
    if (!share) {
      share = { tokensMs: this.options.perMinuteMs, reservedMs: 0, at: now, running: 0 };
      this.orgs.set(orgId, share);
      return share;
    }
    const refilled = ((now - share.at) * this.options.perMinuteMs) / 60_000;
    share.tokensMs = Math.min(this.options.perMinuteMs - share.reservedMs, share.tokensMs + refilled);
    share.at = now;
    return share;
  }
}
