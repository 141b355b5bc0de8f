// Owns the engine's shape budgets, so that no user or organisation can take the memory of the
// others: distinct shapes in use per user, shape logs per organisation, bytes of shape logs per
// organisation, and the bytes of all logs together. Over a cap a new shape is refused
// (TooManyShapes: 429 with Retry-After), after evicting the organisation's logs nobody uses;
// over a byte budget the least recently used logs are evicted (their clients get 409 and
// refetch). Bytes are the JSON text of the snapshot rows and change entries a log holds.

import type { EngineOptions } from '../../sync-settings.ts';
import { TooManyShapes } from '../upstream.ts';
import type { ShapeLog } from './shape-log.ts';

type BudgetOptions = Pick<
  EngineOptions,
  'maxShapesPerUser' | 'maxShapesPerOrg' | 'maxOrgLogBytes' | 'maxLogBytes' | 'shapeInUseMs'
>;

type OrgUsage = {
  /** The organisation's logs, least recently used first. */
  logs: Set<ShapeLog>;
  bytes: number;
};

const MIB = 1024 * 1024;
const count = (n: number) => n.toLocaleString('en-US');
const size = (bytes: number) =>
  bytes >= MIB ? `${count(Math.round((bytes / MIB) * 10) / 10)} MiB` : `${count(bytes)} bytes`;

export class ShapeBudgets {
  totalBytes = 0;
  private readonly orgs = new Map<string, OrgUsage>();
  /** user → shape key → last request time. */
  private readonly users = new Map<string, Map<string, number>>();

  constructor(
    private readonly options: BudgetOptions,
    /** Every log, least recently used first. */
    private readonly allLogs: () => Iterable<ShapeLog>,
    private readonly isLive: (key: string) => boolean,
    private readonly evict: (log: ShapeLog, reason: 'budget') => void,
  ) {}

  private org(orgId: string): OrgUsage {
    let usage = this.orgs.get(orgId);
    if (!usage) {
      usage = { logs: new Set(), bytes: 0 };
      this.orgs.set(orgId, usage);
    }
    return usage;
  }

  /** The user's request for shape `key` (throws TooManyShapes when it would be one too many). */
  admitUser(userId: string, key: string, now: number) {
    let shapes = this.users.get(userId);
    if (!shapes?.has(key)) {
      const inUse = this.userShapesInUse(userId, now);
      if (inUse >= this.options.maxShapesPerUser) {
        throw new TooManyShapes(
          'user_shapes',
          `You are syncing ${count(inUse)} different shapes, the most one person may sync at once (${count(this.options.maxShapesPerUser)}). ` +
            'Close views you no longer need; shapes unused for two minutes stop counting.',
          this.options.maxShapesPerUser,
        );
      }
    }
    if (!shapes) {
      shapes = new Map();
      this.users.set(userId, shapes);
    }
    shapes.delete(key);
    shapes.set(key, now);
  }

  /** Shapes the user asked for recently that are still held (stale entries are forgotten). */
  private userShapesInUse(userId: string, now: number): number {
    const shapes = this.users.get(userId);
    if (!shapes) return 0;
    for (const [key, at] of shapes) {
      if (at < now - this.options.shapeInUseMs || !this.isLive(key)) shapes.delete(key);
    }
    if (shapes.size === 0) this.users.delete(userId);
    return shapes.size;
  }

  /** Before a new log of the organisation: room is made from its unused logs, or TooManyShapes. */
  admitNewLog(orgId: string, now: number) {
    const usage = this.orgs.get(orgId);
    if (!usage) return;
    const { maxShapesPerOrg, maxOrgLogBytes } = this.options;
    const unused = () => this.unusedLogs(usage, now);
    for (const log of unused()) {
      if (usage.logs.size < maxShapesPerOrg) break;
      this.evict(log, 'budget');
    }
    if (usage.logs.size >= maxShapesPerOrg) {
      throw new TooManyShapes(
        'org_shapes',
        `Your organisation is syncing ${count(usage.logs.size)} different shapes, the most one organisation may sync at once (${count(maxShapesPerOrg)}). Try again in a minute.`,
        maxShapesPerOrg,
        60,
      );
    }
    for (const log of unused()) {
      if (usage.bytes < maxOrgLogBytes) break;
      this.evict(log, 'budget');
    }
    if (usage.bytes >= maxOrgLogBytes) {
      throw new TooManyShapes(
        'org_bytes',
        `Your organisation's synced shapes hold ${size(usage.bytes)}, the most one organisation may hold at once (${size(maxOrgLogBytes)}). Try again in a minute.`,
        maxOrgLogBytes,
        60,
      );
    }
  }

  /** The organisation's logs with no live client and no request for a while, oldest first. */
  private unusedLogs(usage: OrgUsage, now: number): ShapeLog[] {
    return [...usage.logs].filter(
      (log) => log.liveSubscribers === 0 && log.lastAccess < now - this.options.shapeInUseMs,
    );
  }

  add(log: ShapeLog) {
    this.org(log.def.orgId).logs.add(log);
    log.onBytes = (delta) => {
      this.totalBytes += delta;
      const usage = this.orgs.get(log.def.orgId);
      if (usage) usage.bytes += delta;
    };
  }

  /** A request for the log: it becomes the organisation's most recently used. */
  touch(log: ShapeLog) {
    const usage = this.orgs.get(log.def.orgId);
    if (!usage?.logs.delete(log)) return;
    usage.logs.add(log);
  }

  /** After log.drop(): its bytes are already given back. */
  remove(log: ShapeLog) {
    const usage = this.orgs.get(log.def.orgId);
    if (!usage) return;
    usage.logs.delete(log);
    if (usage.logs.size === 0) this.orgs.delete(log.def.orgId);
  }

  /**
   * After `log` grew: over its organisation's byte budget, that organisation's least recently
   * used other logs are evicted; over the global budget, anyone's. Logs without a live client go
   * first. `log` itself stays, so that one shape bigger than a budget does not evict and refetch
   * itself forever (its organisation's new shapes are refused until it shrinks or goes).
   */
  enforce(log: ShapeLog) {
    const usage = this.orgs.get(log.def.orgId);
    if (usage && usage.bytes > this.options.maxOrgLogBytes) {
      this.evictUntil(usage.logs, log, () => usage.bytes <= this.options.maxOrgLogBytes);
    }
    if (this.totalBytes > this.options.maxLogBytes) {
      this.evictUntil(this.allLogs(), log, () => this.totalBytes <= this.options.maxLogBytes);
    }
  }

  private evictUntil(logs: Iterable<ShapeLog>, keep: ShapeLog, enough: () => boolean) {
    const candidates = [...logs].filter((other) => other !== keep);
    const idleFirst = [
      ...candidates.filter((other) => other.liveSubscribers === 0),
      ...candidates.filter((other) => other.liveSubscribers > 0),
    ];
    for (const other of idleFirst) {
      if (enough()) return;
      this.evict(other, 'budget');
    }
  }

  /** Every log was dropped. */
  clear() {
    this.orgs.clear();
    this.users.clear();
    this.totalBytes = 0;
  }
}
