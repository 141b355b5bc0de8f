// The seam between the client-facing shape endpoint (GET /api/electric/sync) and whatever
// serves shapes: the built-in engine (sync/engine) in-process, or a proxy to a real Electric.
// NOTE: written first by the built-in engine's author to the agreed shape; the endpoint's
// author owns this file and may adapt it (the engine follows).

/** A shape as the endpoint has validated it: the organisation filter is already AND-ed in. */
export type ShapeDefinition = {
  /** Allow-listed table name in schema public (unquoted). */
  table: string;
  /** Allow-listed columns to send, primary key included. */
  columns: string[];
  /** The caller's organisation (from the verified token); RLS binds the snapshot to it. */
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
};

export interface ShapeUpstream {
  /**
   * Answers one Electric protocol request for `def`. `protocol` carries only protocol
   * parameters (offset, handle, live, live_sse/experimental_live_sse, cursor, replica, log…).
   * Returns status, electric-* headers, and a JSON body or an SSE stream.
   */
  fetchShape(def: ShapeDefinition, protocol: URLSearchParams, signal: AbortSignal): Promise<Response>;
}
