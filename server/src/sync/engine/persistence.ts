// Owns "shape logs survive a restart" for the engine: the election group's permanent replication
// slot (`sertantai_logs_<group key>`), the restore of the logs kept in PostgreSQL (log-store.ts)
// when an engine starts leading, and the loop that writes what changed every `intervalMs` and
// then acknowledges the slot up to what is written. A change is thus either in the stored logs
// or still in the slot: whichever process leads next restores the logs and reads the rest again,
// and clients keep their handles and offsets. Transactions read again are recognised by their
// commit LSN (ShapeLog.append) and not logged twice.
import type { Database } from '../../db/database.ts';
import type { Logger } from '../../ops/logger.ts';
import { groupKey } from './election.ts';
import { compileElectricWhere, whereParserReady } from './electric-where.ts';
import { ShapeLogStore } from './log-store.ts';
import type { ShapeRegistry } from './registry.ts';
import { ensurePermanentSlot, type ReplicationStream } from './replication.ts';
import type { WhereCompiler } from './routes.ts';

export const slotNameOf = (group: string) => `sertantai_logs_${groupKey(group)}`;

export type PersistenceDeps = {
  db: Database;
  group: string;
  log: Logger;
  compileWhere?: WhereCompiler | undefined;
  /** How often changes are written and the slot acknowledged (ms). */
  intervalMs?: number;
};

export class LogPersistence {
  readonly store: ShapeLogStore;
  readonly slotName: string;
  private registry: ShapeRegistry | undefined;
  private stream: ReplicationStream | undefined;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;

  constructor(private readonly deps: PersistenceDeps) {
    this.store = new ShapeLogStore(deps.db.ownerPool, deps.group, deps.log);
    this.slotName = slotNameOf(deps.group);
  }

  attach(registry: ShapeRegistry) {
    this.registry = registry;
  }

  /**
   * Before streaming: the slot exists and can stream. `created` means stored logs (and any held
   * in memory) may have missed changes: they are deleted, and the caller drops its own.
   */
  async prepare(): Promise<{ slotName: string; confirmedLsn: number; created: boolean }> {
    this.store.reopen();
    const slot = await ensurePermanentSlot(this.deps.db.ownerPool, this.slotName);
    if (slot.created) await this.store.clear();
    return { slotName: this.slotName, ...slot };
  }

  /** The stored logs into a registry that holds none (a new leader, a restarted process). */
  async restore(registry: ShapeRegistry) {
    if (registry.size > 0) return;
    const stored = await this.store.load();
    if (stored.length === 0) return;
    if (!this.deps.compileWhere) await whereParserReady();
    const compile = this.deps.compileWhere ?? compileElectricWhere;
    await registry.restore(stored, (shape) => compile(shape.table, shape.where, shape.params));
    this.deps.log.info({ logs: registry.size }, 'sync engine: shape logs restored');
  }

  /** Writes and acknowledges for `stream` from now on. */
  run(stream: ReplicationStream) {
    this.stream = stream;
    this.timer ??= setInterval(() => void this.tick(), this.deps.intervalMs ?? 100).unref();
  }

  /** The stream failed: writing goes on, acknowledging waits for the next stream. */
  detach() {
    this.stream = undefined;
  }

  private tick(): Promise<void> {
    this.ticking ??= this.writeAndAcknowledge().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private async writeAndAcknowledge() {
    const registry = this.registry;
    const stream = this.stream;
    if (!registry) return;
    // Everything routed is queued for the store; when nothing waits, all the stream has read
    // (its server position included) is safe once this flush is written.
    const upTo =
      stream && registry.caughtUp ? Math.max(registry.routedLsn, stream.serverLsn) : registry.routedLsn;
    try {
      await this.store.flush();
    } catch {
      return; // logged by the store; the next tick writes it again
    }
    if (stream && stream === this.stream) stream.acknowledge(upTo);
  }

  /** A clean stop: what is queued is written and acknowledged, then nothing more. */
  async finish() {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    await this.tick();
    await this.halt();
  }

  /** Another process leads (or may): nothing more is written; a write under way ends first. */
  async halt() {
    clearInterval(this.timer);
    this.timer = undefined;
    this.stream = undefined;
    await this.store.close();
  }
}
