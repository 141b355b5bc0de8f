// Owns the seam between the client-facing shape endpoint (GET /api/electric/sync) and whatever
// serves shapes: the built-in engine (sync/engine) in-process, or a proxy to a real Electric.
// The endpoint (sync/endpoint.ts, sync/shapes.ts, sync/where/) decides what a shape is; an
// upstream serves it as given. What a ShapeDefinition guarantees an upstream:
// - filter.sql is a condition with $n placeholders over the table's columns; from the tenant gate
//   `"<org column>" = $1::uuid AND (<client where re-rendered>)`, params[0] the organisation
//   (lower-case uuid), the rest strings. Every value is a bind parameter
//   with an explicit cast; text ordering and LIKE carry COLLATE "C".
// - filter.matches(row) expects PostgreSQL text-format values with DateStyle ISO (any zone
//   offset is fine, e.g. `2024-01-01 10:00:00.123+00`), booleans 't'/'f', the full row
//   (REPLICA IDENTITY FULL) so columns outside `columns` can be tested too.
// - `electric` is the same shape in Electric's own parameters, for forwarding it over HTTP
//   (sync/proxy.ts, and a follower's key for it in sync/engine/cluster.ts).
// sync/feature.ts picks the upstream: the engine (createShapeEngine, whose registerRoutes adds
// the internal protocol route) when ELECTRIC_URL is unset, sync/proxy.ts when it is set.

import { AppError } from '../http/errors.ts';

/** Which shape budget a request went over (the label of sync_shapes_refused_total). */
export type ShapeBudget = 'user_shapes' | 'org_shapes' | 'org_bytes';

/** A shape refused because a budget is spent: 429 TOO_MANY_SHAPES with Retry-After. */
export class TooManyShapes extends AppError {
  constructor(
    readonly budget: ShapeBudget,
    message: string,
    limit: number,
    retryAfterSeconds = 30,
  ) {
    super(
      429,
      'TOO_MANY_SHAPES',
      message,
      { limit: budget, value: limit, retry_after: retryAfterSeconds },
      { 'retry-after': String(retryAfterSeconds) },
    );
    this.name = 'TooManyShapes';
  }
}

/** A shape as the endpoint has validated it: the organisation filter is already AND-ed in. */
export type ShapeDefinition = {
  /** Table name (unquoted); the tenant gate allow-lists it, in schema public. */
  table: string;
  /** The table's schema (unquoted); default public. */
  schema?: string;
  /** Allow-listed columns to send, primary key included. */
  columns: string[];
  /**
   * The shape's scope: budgets and snapshot fairness count per scope, and with the engine's
   * partition column (engine/scope.ts) it is the partition value its rows must have. The tenant
   * gate sets the caller's organisation (from the verified token); RLS binds the snapshot to it.
   */
  orgId: string;
  filter: {
    /** SQL boolean expression over the table's columns with $n placeholders (no "WHERE"). */
    sql: string;
    params: unknown[];
    /** The same predicate evaluated on a row of PostgreSQL text-format values. */
    matches(row: Record<string, string | null>): boolean;
  };
  /** Stable identity of the shape (table, where, params, columns, organisation). */
  key: string;
  /** `log=changes_only`: the log starts empty at its creation (no snapshot rows); set by the engine. */
  changesOnly?: boolean;
  /** The same shape in Electric's parameters (proxy mode); where has no COLLATE clauses. */
  electric?: { table: string; columns: string; where: string; params: string[] };
};

/**
 * A subset snapshot of a shape (Electric's `subset__*`), checked by sync/subset.ts: rows of the
 * shape that also match `sql`, ordered, paged. Never stored in the shape's log.
 */
export type SubsetDefinition = {
  /** Condition over the table's columns, placeholders after the shape filter's own; none: all rows. */
  sql: string | undefined;
  params: string[];
  /** Rendered ORDER BY list (allow-listed columns only, primary key last). */
  orderBy: string | undefined;
  limit: number | undefined;
  offset: number | undefined;
  /** The same subset in Electric's parameters (placeholders from $1, no COLLATE), for proxy mode. */
  electric: {
    where: string | undefined;
    params: Record<string, string>;
    orderBy: string | undefined;
    limit: number | undefined;
    offset: number | undefined;
  };
};

/** Who asks for a shape (the verified token's user), for per-user budgets. */
export type ShapeRequester = { userId: string };

export interface ShapeUpstream {
  /**
   * Answers one Electric protocol request for `def`. `protocol` carries only protocol
   * parameters (offset, handle, live, live_sse/experimental_live_sse, cursor, replica, log…).
   * Returns status, electric-* headers, and a JSON body or an SSE stream. May throw
   * TooManyShapes (the built-in engine's budgets). With `subset`, the answer is a subset
   * snapshot `{metadata, data}` of the shape instead (`electric-snapshot: true`).
   */
  fetchShape(
    def: ShapeDefinition,
    protocol: URLSearchParams,
    signal: AbortSignal,
    requester?: ShapeRequester,
    subset?: SubsetDefinition,
  ): Promise<Response>;
}
