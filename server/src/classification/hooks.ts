// Owns the integration point for work that must follow a reclassification (risk recomputation
// by the predictions service, for one). Listeners run inside the same tenant transaction as the
// change, so a failure rolls the whole write back. Registering a name again replaces it, so a
// feature registered by several apps in one process (tests) is listed once.
import type { Tx } from '../db/tenant.ts';
import type { ClassificationReason } from './service.ts';

export type ReclassifiedEvent = {
  /** Controls whose touch, distance or quadrant changed (a touch lists its control even without a move). */
  controlIds: string[];
  reason: ClassificationReason;
  now: Date;
};

export type ReclassifiedListener = (tx: Tx, event: ReclassifiedEvent) => Promise<void>;

const listeners = new Map<string, ReclassifiedListener>();

/** e.g. `onControlsReclassified('risk', (tx, e) => recomputeRisk(tx, e.controlIds, e.now))`. */
export function onControlsReclassified(name: string, listener: ReclassifiedListener): void {
  listeners.set(name, listener);
}

export function removeReclassifiedListener(name: string): void {
  listeners.delete(name);
}

export async function notifyReclassified(tx: Tx, event: ReclassifiedEvent): Promise<void> {
  if (event.controlIds.length === 0) return;
  for (const listener of listeners.values()) await listener(tx, event);
}

/** Work that follows each organisation's time sweep, in the same transaction (risk re-scoring: its age term grows every day, moved or not). */
export type SweptListener = (tx: Tx, now: Date) => Promise<void>;

const sweptListeners = new Map<string, SweptListener>();

/** e.g. `onOrganizationSwept('risk', (tx, now) => recomputeAllRisk(tx, now))`. Same name replaces. */
export function onOrganizationSwept(name: string, listener: SweptListener): void {
  sweptListeners.set(name, listener);
}

export async function notifySwept(tx: Tx, now: Date): Promise<void> {
  for (const listener of sweptListeners.values()) await listener(tx, now);
}
