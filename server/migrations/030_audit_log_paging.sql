-- GET /api/audit pages newest first by id within one organisation, optionally for one actor.
CREATE INDEX audit_log_org_id_idx ON audit_log (organization_id, id DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (organization_id, actor_user_id, id DESC);
