-- Reminders (issue 14 item 5): controls coming due and overdue ones produce notifications,
-- computed with the time sweep, and go out three ways: an in-app inbox (always), one e-mail
-- digest per person per day (when SMTP_URL is set) and signed webhooks per organisation.
--
--   reminders           one per control, kind and due date: the organisation-level event.
--                       UNIQUE (control_id, kind, due_on) is what makes sweeps idempotent.
--   notifications       one per reminder and recipient: the inbox.
--   email_digests       one per person and day (UNIQUE): the e-mail outbox.
--   webhooks            per organisation: URL and signing secret (the secret never leaves the
--                       server after the create response; not synced, not audited).
--   webhook_deliveries  the webhook outbox and its delivery log.
--
-- The two outboxes are claimed with FOR UPDATE SKIP LOCKED, moving next_attempt_at one lease ahead, so
-- several processes never send the same digest or delivery twice.
-- reminder_work is the one table outside tenant scope: which organisation has outbound work
-- due when (no content), so a dispatcher does not have to visit every organisation.

CREATE TABLE reminders (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  control_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('due_soon', 'overdue')),
  -- the day the control is (or was) due: last touched + the quadrant's frequency
  due_on date NOT NULL,
  quadrant text NOT NULL CHECK (quadrant IN ('self', 'specialist', 'service', 'strange')),
  escalated boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, organization_id),
  UNIQUE (control_id, kind, due_on),
  FOREIGN KEY (control_id, organization_id) REFERENCES controls (id, organization_id) ON DELETE CASCADE
);

CREATE TABLE email_digests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  digest_day date NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at timestamptz NOT NULL,
  last_error text CHECK (last_error IS NULL OR length(last_error) <= 1000),
  sent_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, organization_id),
  UNIQUE (user_id, digest_day),
  FOREIGN KEY (user_id, organization_id) REFERENCES users (id, organization_id) ON DELETE CASCADE
);
CREATE INDEX email_digests_pending_idx ON email_digests (organization_id, next_attempt_at)
  WHERE status = 'pending';

CREATE TABLE notifications (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  reminder_id uuid NOT NULL,
  user_id uuid NOT NULL,
  digest_id uuid,
  read_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (reminder_id, user_id),
  FOREIGN KEY (reminder_id, organization_id) REFERENCES reminders (id, organization_id) ON DELETE CASCADE,
  FOREIGN KEY (user_id, organization_id) REFERENCES users (id, organization_id) ON DELETE CASCADE,
  FOREIGN KEY (digest_id, organization_id) REFERENCES email_digests (id, organization_id)
    ON DELETE SET NULL (digest_id)
);
CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;
CREATE INDEX notifications_undigested_idx ON notifications (organization_id, user_id)
  WHERE digest_id IS NULL AND read_at IS NULL;

CREATE TABLE webhooks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  url text NOT NULL CHECK (length(url) <= 2000 AND url ~ '^https?://'),
  description text CHECK (description IS NULL OR length(description) <= 200),
  secret text NOT NULL CHECK (length(secret) >= 32),
  created_by_user_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, organization_id),
  FOREIGN KEY (created_by_user_id, organization_id) REFERENCES users (id, organization_id)
    ON DELETE SET NULL (created_by_user_id)
);

CREATE TABLE webhook_deliveries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  webhook_id uuid NOT NULL,
  event text NOT NULL CHECK (event IN ('reminders.created')),
  payload jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at timestamptz NOT NULL,
  last_status_code integer,
  last_error text CHECK (last_error IS NULL OR length(last_error) <= 1000),
  delivered_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (webhook_id, organization_id) REFERENCES webhooks (id, organization_id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (organization_id, next_attempt_at)
  WHERE status = 'pending';
CREATE INDEX webhook_deliveries_log_idx ON webhook_deliveries (organization_id, created_at DESC);

DO $$
DECLARE
  t text;
  org_expr text := '(select NULLIF(current_setting(''app.current_org_id'', true), '''')::uuid)';
BEGIN
  FOREACH t IN ARRAY ARRAY['reminders', 'email_digests', 'notifications', 'webhooks', 'webhook_deliveries'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY %I ON %I FOR SELECT USING (organization_id = %s)', t || '_select', t, org_expr);
    EXECUTE format('CREATE POLICY %I ON %I FOR INSERT WITH CHECK (organization_id = %s)', t || '_insert', t, org_expr);
    EXECUTE format('CREATE POLICY %I ON %I FOR UPDATE USING (organization_id = %s) WITH CHECK (organization_id = %s)',
      t || '_update', t, org_expr, org_expr);
    EXECUTE format('CREATE POLICY %I ON %I FOR DELETE USING (organization_id = %s)', t || '_delete', t, org_expr);
    EXECUTE format('CREATE INDEX %I ON %I (organization_id)', t || '_organization_id_idx', t);
  END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE, DELETE ON reminders, email_digests, notifications, webhooks,
  webhook_deliveries TO {{app_role}};

-- Which organisation has outbound work (a pending digest or delivery) due at due_at. Not tenant
-- data (no content); the runtime role reaches it only through the two functions below.
CREATE TABLE reminder_work (
  organization_id uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
  due_at timestamptz NOT NULL
);
REVOKE ALL ON reminder_work FROM PUBLIC;

-- Recomputes the current organisation's entry from its own pending rows (read under its RLS
-- policies: the organisation comes from app.current_org_id, never from a parameter). The row
-- lock serialises a sweep adding work with a dispatcher finishing it, and the min is read after
-- the lock is taken, so neither can hide the other's work.
CREATE FUNCTION reminder_work_refresh() RETURNS void
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  org uuid := NULLIF(current_setting('app.current_org_id', true), '')::uuid;
  next_due timestamptz;
BEGIN
  IF org IS NULL THEN RETURN; END IF;
  PERFORM 1 FROM public.organizations o WHERE o.id = org; -- RLS: only the current organisation
  IF NOT FOUND THEN RETURN; END IF;
  INSERT INTO public.reminder_work (organization_id, due_at) VALUES (org, 'infinity')
    ON CONFLICT (organization_id) DO NOTHING;
  PERFORM 1 FROM public.reminder_work w WHERE w.organization_id = org FOR UPDATE;
  SELECT min(due) INTO next_due FROM (
    SELECT min(d.next_attempt_at) AS due FROM public.email_digests d WHERE d.status = 'pending'
    UNION ALL
    SELECT min(w.next_attempt_at) FROM public.webhook_deliveries w WHERE w.status = 'pending'
  ) pending;
  IF next_due IS NULL THEN
    DELETE FROM public.reminder_work WHERE organization_id = org;
  ELSE
    UPDATE public.reminder_work SET due_at = next_due WHERE organization_id = org;
  END IF;
END $$;

-- For the dispatcher: organisations with work due by p_now (earliest first).
CREATE FUNCTION reminder_work_due(p_now timestamptz, p_limit integer) RETURNS SETOF uuid
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT w.organization_id FROM reminder_work w WHERE w.due_at <= p_now ORDER BY w.due_at LIMIT p_limit
$$;

REVOKE EXECUTE ON FUNCTION reminder_work_refresh() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION reminder_work_due(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION reminder_work_refresh() TO {{app_role}};
GRANT EXECUTE ON FUNCTION reminder_work_due(timestamptz, integer) TO {{app_role}};
