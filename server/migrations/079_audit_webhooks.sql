-- Webhooks enter the audit trail (who added or removed which URL, and when), without their
-- signing secret: the audit trigger of 033, unchanged except that a `secret` column, like
-- `password_hash`, never reaches audit_log.
CREATE OR REPLACE FUNCTION audit_row_change() RETURNS trigger
  LANGUAGE plpgsql AS $$
DECLARE
  old_row jsonb := CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN to_jsonb(OLD) END;
  new_row jsonb := CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN to_jsonb(NEW) END;
BEGIN
  -- Secrets never enter the audit trail.
  old_row := old_row - 'password_hash' - 'secret';
  new_row := new_row - 'password_hash' - 'secret';
  -- controls.failure_probability is derived: the risk score, re-computed as time passes, with
  -- its own history in risk_predictions. An update that changes nothing else is not audited,
  -- or every control would add an audit row each day it ages.
  IF TG_OP = 'UPDATE'
     AND old_row - 'updated_at' - 'failure_probability' = new_row - 'updated_at' - 'failure_probability' THEN
    RETURN NULL;
  END IF;
  INSERT INTO audit_log (organization_id, actor_user_id, action, entity_type, entity_id, before, after, request_id)
  VALUES (
    COALESCE((new_row ->> 'organization_id')::uuid, (old_row ->> 'organization_id')::uuid,
             (new_row ->> 'id')::uuid, (old_row ->> 'id')::uuid),
    NULLIF(current_setting('app.current_user_id', true), '')::uuid,
    lower(TG_OP),
    TG_TABLE_NAME,
    COALESCE((new_row ->> 'id')::uuid, (old_row ->> 'id')::uuid),
    old_row,
    new_row,
    NULLIF(current_setting('app.request_id', true), '')
  );
  RETURN NULL;
END $$;

CREATE TRIGGER webhooks_audit AFTER INSERT OR UPDATE OR DELETE ON webhooks
  FOR EACH ROW EXECUTE FUNCTION audit_row_change();
