-- Incidents and other traces can be resolved: when, by whom and how. A resolved incident still
-- counts in the risk model's 90-day window (it happened); resolution is the follow-up record.
ALTER TABLE organizational_traces
  ADD COLUMN resolved_at timestamptz,
  ADD COLUMN resolved_by_user_id uuid,
  ADD COLUMN resolution text CHECK (resolution IS NULL OR length(resolution) <= 5000),
  ADD FOREIGN KEY (resolved_by_user_id, organization_id) REFERENCES users (id, organization_id)
    ON DELETE SET NULL (resolved_by_user_id);
