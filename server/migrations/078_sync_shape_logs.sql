-- The built-in sync engine's shape logs, kept in PostgreSQL so that an engine restart, a deploy
-- or a fail-over to another process resumes them: clients keep their handle and offset (no
-- refetch). Written only by the elected engine of each election group (sync/engine/log-store.ts),
-- mirroring what it holds in memory (so the same byte budgets bound both); an evicted log is
-- deleted here too. The engine's permanent replication slot is acknowledged only up to what is
-- written here, so the next leader reads every later change again from the slot.
-- Tenant rows live here as JSON text: owner-only, the runtime role has no access.
CREATE TABLE sync_shape_logs (
  election_group text NOT NULL,
  handle text NOT NULL,
  shape_key text NOT NULL,
  replica text NOT NULL,
  -- {table, where, params, columns, orgId}: enough to compile the shape's filter again
  shape jsonb NOT NULL,
  -- pg_current_snapshot() of the snapshot's transaction (its visibility boundary)
  pg_snapshot text NOT NULL,
  -- the snapshot's insert messages, one JSON text per line
  snapshot_rows text NOT NULL,
  saved_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (election_group, handle)
);

CREATE TABLE sync_shape_log_entries (
  election_group text NOT NULL,
  handle text NOT NULL,
  lsn bigint NOT NULL,
  op integer NOT NULL,
  -- set on the last entry of a transaction: the LSN just past its commit record
  end_lsn bigint,
  json text NOT NULL,
  PRIMARY KEY (election_group, handle, lsn, op),
  FOREIGN KEY (election_group, handle) REFERENCES sync_shape_logs ON DELETE CASCADE
);

REVOKE ALL ON sync_shape_logs FROM PUBLIC;
REVOKE ALL ON sync_shape_log_entries FROM PUBLIC;
