-- Row-Level Security on every tenant table: ENABLE and FORCE (so even the owner is bound),
-- four policies reading the transaction-local app.current_org_id, wrapped in (select ...) so
-- it is evaluated once per statement. With no organisation set the setting reads '' or NULL,
-- NULLIF turns it into NULL, and no row matches.
-- Also: the audit trigger, the runtime role's grants, and the publication the sync engine reads.

CREATE FUNCTION audit_row_change() RETURNS trigger
  LANGUAGE plpgsql AS $$
DECLARE
  old_row jsonb := CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN to_jsonb(OLD) END;
  new_row jsonb := CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN to_jsonb(NEW) END;
BEGIN
  -- Secrets never enter the audit trail.
  old_row := old_row - 'password_hash';
  new_row := new_row - 'password_hash';
  IF TG_OP = 'UPDATE' AND old_row - 'updated_at' = new_row - 'updated_at' THEN
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

DO $$
DECLARE
  t text;
  org_expr text := '(select NULLIF(current_setting(''app.current_org_id'', true), '''')::uuid)';
  tenant_tables text[] := ARRAY['users', 'sessions', 'refresh_tokens', 'invitations',
    'control_providers', 'provider_networks', 'controls', 'control_interactions',
    'quadrant_classifications', 'organizational_traces', 'competency_records',
    'service_level_agreements', 'verification_strategies', 'risk_predictions', 'audit_log'];
  audited_tables text[] := ARRAY['organizations', 'users', 'control_providers', 'provider_networks',
    'controls', 'control_interactions', 'organizational_traces', 'competency_records',
    'service_level_agreements', 'verification_strategies'];
BEGIN
  -- organizations is scoped by its own id.
  ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
  ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
  EXECUTE format('CREATE POLICY organizations_select ON organizations FOR SELECT USING (id = %s)', org_expr);
  EXECUTE format('CREATE POLICY organizations_insert ON organizations FOR INSERT WITH CHECK (id = %s)', org_expr);
  EXECUTE format('CREATE POLICY organizations_update ON organizations FOR UPDATE USING (id = %s) WITH CHECK (id = %s)', org_expr, org_expr);
  EXECUTE format('CREATE POLICY organizations_delete ON organizations FOR DELETE USING (id = %s)', org_expr);

  FOREACH t IN ARRAY tenant_tables LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON %I FOR SELECT USING (organization_id = %s)', t || '_select', t, org_expr);
    EXECUTE format('CREATE POLICY %I ON %I FOR INSERT WITH CHECK (organization_id = %s)', t || '_insert', t, org_expr);
    EXECUTE format('CREATE POLICY %I ON %I FOR UPDATE USING (organization_id = %s) WITH CHECK (organization_id = %s)',
      t || '_update', t, org_expr, org_expr);
    EXECUTE format('CREATE POLICY %I ON %I FOR DELETE USING (organization_id = %s)', t || '_delete', t, org_expr);
  END LOOP;

  FOREACH t IN ARRAY audited_tables LOOP
    EXECUTE format('CREATE TRIGGER %I AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION audit_row_change()',
      t || '_audit', t);
  END LOOP;
END $$;

-- The runtime role: data access on tenant tables only, bound by the policies above.
GRANT USAGE ON SCHEMA public TO {{app_role}};
GRANT SELECT, INSERT, UPDATE, DELETE ON organizations, users, sessions, refresh_tokens, invitations,
  control_providers, provider_networks, controls, control_interactions, quadrant_classifications,
  organizational_traces, competency_records, service_level_agreements, verification_strategies,
  risk_predictions TO {{app_role}};
GRANT SELECT, INSERT ON audit_log TO {{app_role}};
GRANT EXECUTE ON FUNCTION set_current_org_id(uuid) TO {{app_role}};

-- Logical replication for the built-in sync engine. FULL replica identity makes updates and
-- deletes carry the whole old row, so the engine can tell which organisation and which shape
-- a change leaves.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['organizations', 'users', 'control_providers', 'controls', 'control_interactions',
    'quadrant_classifications', 'organizational_traces', 'competency_records'] LOOP
    EXECUTE format('ALTER TABLE %I REPLICA IDENTITY FULL', t);
  END LOOP;
END $$;
CREATE PUBLICATION sertantai_sync FOR TABLE organizations, users, control_providers, controls,
  control_interactions, quadrant_classifications, organizational_traces, competency_records;
