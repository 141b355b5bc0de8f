-- Where the elected built-in sync engine of each election group listens for the internal
-- protocol route, so the other processes know where to forward shape requests. The election
-- itself is a session advisory lock (sync/engine/election.ts); a row is only believed while
-- its backend_pid still holds that lock, so a dead leader's row is never followed.
-- Owner-only: the runtime role has no access.
CREATE TABLE sync_engine_leaders (
  election_group text PRIMARY KEY,
  internal_url text,
  backend_pid integer NOT NULL,
  elected_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON sync_engine_leaders FROM PUBLIC;
