// Owns what the dashboard reads of each control: its id and the columns the 2x2 matrix, the
// quadrant counts and the attention list use. With the register synced whole (eager) these
// are the register's own rows. Synced on demand (large registers, see SyncPlan in db.ts), the
// dashboard follows a narrow shape of `controls` instead (`columns=` these only): every
// control, live, at a fraction of the bytes, while the register's own collection keeps only the
// pages its screens ask for. That narrow shape is read-only and is read straight from the
// Electric client into a plain list, not through TanStack DB: row-feed.ts says why.
import type { Control } from '@sertantai/core';
import { nextPath } from '../next-path';
import { collectionFeed, type RowFeed, type ShapeFeed, shapeFeed } from './row-feed';
import { type ShapeWiring, type SyncedCollection, shapeOptions } from './shape';

export const MATRIX_COLUMNS = [
  'id',
  'name',
  'current_quadrant',
  'last_touched_at',
  'provider_distance',
  'failure_probability',
] as const satisfies readonly (keyof Control)[];

export type MatrixRow = Pick<Control, (typeof MATRIX_COLUMNS)[number]>;

/**
 * How long the narrow shape outlives the dashboard: long enough to come back from a control's
 * page without loading every control again, short enough to free its connection (the browser's
 * six per origin) for the screens that follow.
 */
export const MATRIX_GC_MS = 5_000;

/**
 * The dashboard's rows: the register's collection itself when it syncs whole, else a narrow
 * shape that syncs while the dashboard is open (no offline copy, like the on-demand register).
 */
export function matrixRows(
  controls: SyncedCollection<Control>,
  onDemand: boolean,
  wiring: ShapeWiring,
): { kind: 'collection'; feed: RowFeed<MatrixRow> } | { kind: 'shape'; feed: ShapeFeed<MatrixRow> } {
  // A control is a MatrixRow and more: the feed hands its rows over as MatrixRows.
  if (!onDemand) return { kind: 'collection', feed: collectionFeed<Control>(controls) };
  return {
    kind: 'shape',
    feed: shapeFeed<MatrixRow>(shapeOptions('controls', wiring, MATRIX_COLUMNS), MATRIX_GC_MS),
  };
}

/**
 * Whether the app is opening on the dashboard: at `/`, or on the sign-in or sign-up page, which
 * go to `nextPath` (the dashboard unless `?next=` says otherwise) once signed in.
 */
export function opensDashboard(url: URL): boolean {
  if (url.pathname === '/') return true;
  return (url.pathname === '/sign-in' || url.pathname === '/sign-up') && nextPath(url) === '/';
}
