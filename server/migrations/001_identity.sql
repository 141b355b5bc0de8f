-- Identity: organisations, users, sessions, refresh tokens, invitations; the tenant setting
-- helpers; and the one global table, `directory`, that maps lookup keys (an email, a token
-- hash) to their organisation so that login and refresh can find the tenant before entering it.
-- {{app_role}} is the runtime role (no superuser, no BYPASSRLS, not the owner); the migration
-- runner substitutes it.

CREATE FUNCTION set_current_org_id(org uuid) RETURNS void
  LANGUAGE sql VOLATILE
  AS $$ SELECT set_config('app.current_org_id', org::text, true) $$;
COMMENT ON FUNCTION set_current_org_id(uuid) IS
  'Compatible helper: sets the organisation for the current transaction only (never the session).';

CREATE FUNCTION set_updated_at() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END $$;

CREATE TABLE organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,80}$'),
  recent_threshold_days integer NOT NULL DEFAULT 30 CHECK (recent_threshold_days BETWEEN 1 AND 3650),
  close_threshold_distance numeric NOT NULL DEFAULT 2.0 CHECK (close_threshold_distance > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND email = lower(email)),
  name text CHECK (name IS NULL OR length(name) <= 200),
  password_hash text,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  confirmed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, organization_id)
);
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL,
  user_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_refreshed_at timestamptz,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_reason text CHECK (revoked_reason IN ('logout', 'logout_global', 'reuse_detected', 'member_removed', 'role_changed', 'expired', 'password_changed')),
  user_agent text,
  ip text,
  UNIQUE (id, organization_id),
  FOREIGN KEY (user_id, organization_id) REFERENCES users (id, organization_id) ON DELETE CASCADE
);

CREATE TABLE refresh_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL,
  session_id uuid NOT NULL,
  token_hash bytea NOT NULL UNIQUE,
  parent_id uuid REFERENCES refresh_tokens (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  used_at timestamptz,
  revoked_at timestamptz,
  FOREIGN KEY (session_id, organization_id) REFERENCES sessions (id, organization_id) ON DELETE CASCADE
);

CREATE TABLE invitations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL,
  user_id uuid NOT NULL,
  token_hash bytea NOT NULL UNIQUE,
  invited_by_user_id uuid,
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (user_id, organization_id) REFERENCES users (id, organization_id) ON DELETE CASCADE,
  FOREIGN KEY (invited_by_user_id, organization_id) REFERENCES users (id, organization_id)
    ON DELETE SET NULL (invited_by_user_id)
);

-- The only table without organisation scoping. The runtime role has no grant on it: it is
-- written by triggers and read by the SECURITY DEFINER lookups below, which reveal only the
-- organisation id (and entity id) behind one exact key.
CREATE TABLE directory (
  kind text NOT NULL CHECK (kind IN ('email', 'refresh_token', 'invitation', 'organization')),
  lookup_key text NOT NULL,
  organization_id uuid NOT NULL,
  entity_id uuid NOT NULL,
  PRIMARY KEY (kind, lookup_key)
);
CREATE INDEX directory_entity_idx ON directory (entity_id);

CREATE FUNCTION directory_key(entry_kind text, row_data record) RETURNS text
  LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  IF entry_kind = 'email' THEN RETURN to_jsonb(row_data) ->> 'email'; END IF;
  IF entry_kind = 'organization' THEN RETURN to_jsonb(row_data) ->> 'id'; END IF;
  RETURN substr(to_jsonb(row_data) ->> 'token_hash', 3); -- bytea as lowercase hex
END $$;

CREATE FUNCTION directory_sync() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  entry_kind text := TG_ARGV[0];
  old_key text;
  new_key text;
  org uuid;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN old_key := public.directory_key(entry_kind, OLD); END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN new_key := public.directory_key(entry_kind, NEW); END IF;
  IF old_key IS NOT NULL AND old_key IS DISTINCT FROM new_key THEN
    DELETE FROM public.directory WHERE kind = entry_kind AND lookup_key = old_key;
  END IF;
  IF new_key IS NOT NULL AND old_key IS DISTINCT FROM new_key THEN
    org := CASE WHEN entry_kind = 'organization' THEN (to_jsonb(NEW) ->> 'id')::uuid
                ELSE (to_jsonb(NEW) ->> 'organization_id')::uuid END;
    INSERT INTO public.directory (kind, lookup_key, organization_id, entity_id)
    VALUES (entry_kind, new_key, org, (to_jsonb(NEW) ->> 'id')::uuid);
  END IF;
  RETURN NULL;
END $$;
REVOKE EXECUTE ON FUNCTION directory_sync() FROM PUBLIC;

CREATE TRIGGER organizations_directory AFTER INSERT OR UPDATE OF id OR DELETE ON organizations
  FOR EACH ROW EXECUTE FUNCTION directory_sync('organization');
CREATE TRIGGER users_directory AFTER INSERT OR UPDATE OF email OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION directory_sync('email');
CREATE TRIGGER refresh_tokens_directory AFTER INSERT OR DELETE ON refresh_tokens
  FOR EACH ROW EXECUTE FUNCTION directory_sync('refresh_token');
CREATE TRIGGER invitations_directory AFTER INSERT OR DELETE ON invitations
  FOR EACH ROW EXECUTE FUNCTION directory_sync('invitation');

-- Lookups that run before the tenant is known. Each returns only the organisation (and the
-- entity id) for one exact key; everything else is then read inside the tenant transaction.
CREATE FUNCTION directory_lookup(lookup_kind text, key text)
  RETURNS TABLE (organization_id uuid, entity_id uuid)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT d.organization_id, d.entity_id FROM directory d
  WHERE d.kind = lookup_kind AND d.lookup_key = key AND lookup_kind <> 'organization'
$$;
REVOKE EXECUTE ON FUNCTION directory_lookup(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION directory_lookup(text, text) TO {{app_role}};

-- For background work that visits every organisation in turn (the time sweep).
CREATE FUNCTION organization_ids() RETURNS SETOF uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT d.organization_id FROM directory d WHERE d.kind = 'organization' ORDER BY 1
$$;
REVOKE EXECUTE ON FUNCTION organization_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION organization_ids() TO {{app_role}};

CREATE TRIGGER organizations_updated_at BEFORE UPDATE ON organizations
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER users_updated_at BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE INDEX users_organization_id_idx ON users (organization_id);
CREATE INDEX sessions_organization_id_idx ON sessions (organization_id);
CREATE INDEX sessions_user_idx ON sessions (organization_id, user_id);
CREATE INDEX refresh_tokens_organization_id_idx ON refresh_tokens (organization_id);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);
CREATE INDEX invitations_organization_id_idx ON invitations (organization_id);
