// Owns what every import has in common once its file is checked: how many rows it holds and how
// it writes them, in batches, telling the caller how far it got (the progress a long import
// streams to the browser). All batches run in the caller's one transaction: all or nothing.
import type { Tx } from '../db/tenant.ts';
import type { EventPublisher } from '../events/bus.ts';

export type Progress = (done: number, total: number) => void;

export type CheckedImport = {
  count: number;
  /** Writes every row in `tx`, publishing the domain events of what it wrote on `events`. */
  write: (tx: Tx, now: Date, events: EventPublisher, progress: Progress) => Promise<void>;
};

/** Checks a whole file inside `tx`: throws 400 listing every problem, or returns its writer. */
export type Importer = (tx: Tx, text: string) => Promise<CheckedImport>;

/** Rows per batch: large enough that a batch is a few bulk statements, small enough to report. */
export const IMPORT_BATCH = 1000;

export async function inBatches<T>(
  rows: T[],
  progress: Progress,
  write: (batch: T[]) => Promise<void>,
): Promise<void> {
  for (let start = 0; start < rows.length; start += IMPORT_BATCH) {
    const batch = rows.slice(start, start + IMPORT_BATCH);
    await write(batch);
    progress(start + batch.length, rows.length);
  }
}
