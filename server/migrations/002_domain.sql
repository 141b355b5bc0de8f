-- The controls domain (see shared/reference/domain-model.md). Every table carries
-- organization_id; every reference to another tenant row is a composite foreign key on
-- (id, organization_id), so no row can ever point at another organisation's row.

CREATE TABLE control_providers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  provider_type text NOT NULL CHECK (provider_type IN ('internal', 'contractor', 'vendor', 'user')),
  contact_info jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(contact_info) = 'object'),
  is_user_themselves boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, organization_id)
);
CREATE UNIQUE INDEX control_providers_name_key ON control_providers (organization_id, lower(name));

CREATE TABLE provider_networks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  from_provider_id uuid NOT NULL,
  to_provider_id uuid NOT NULL,
  relationship_type text NOT NULL
    CHECK (relationship_type IN ('employs', 'contracts', 'supplies', 'subcontracts', 'manages', 'supports')),
  path_weight numeric NOT NULL CHECK (path_weight > 0 AND path_weight <= 1000),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (from_provider_id <> to_provider_id),
  UNIQUE (organization_id, from_provider_id, to_provider_id),
  FOREIGN KEY (from_provider_id, organization_id) REFERENCES control_providers (id, organization_id) ON DELETE CASCADE,
  FOREIGN KEY (to_provider_id, organization_id) REFERENCES control_providers (id, organization_id) ON DELETE CASCADE
);

CREATE TABLE controls (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  description text CHECK (description IS NULL OR length(description) <= 5000),
  control_type text NOT NULL CHECK (control_type IN ('physical', 'procedural', 'technical')),
  functional_range text NOT NULL CHECK (functional_range IN ('narrow', 'wide')),
  primary_provider_id uuid,
  owned_by_user uuid,
  last_touched_at timestamptz,
  last_touched_by_user_id uuid,
  -- NULL means the provider cannot be reached from the organisation's self providers (Remote).
  provider_distance numeric CHECK (provider_distance IS NULL OR provider_distance >= 0),
  current_quadrant text NOT NULL DEFAULT 'strange'
    CHECK (current_quadrant IN ('self', 'specialist', 'service', 'strange')),
  failure_probability numeric CHECK (failure_probability IS NULL OR failure_probability BETWEEN 0 AND 1),
  requires_refresher_training boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (id, organization_id),
  FOREIGN KEY (primary_provider_id, organization_id) REFERENCES control_providers (id, organization_id)
    ON DELETE SET NULL (primary_provider_id),
  FOREIGN KEY (owned_by_user, organization_id) REFERENCES users (id, organization_id)
    ON DELETE SET NULL (owned_by_user),
  FOREIGN KEY (last_touched_by_user_id, organization_id) REFERENCES users (id, organization_id)
    ON DELETE SET NULL (last_touched_by_user_id)
);

CREATE TABLE control_interactions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  control_id uuid NOT NULL,
  user_id uuid,
  interaction_type text NOT NULL CHECK (interaction_type IN ('use', 'inspect', 'maintain', 'test')),
  duration_minutes integer CHECK (duration_minutes IS NULL OR duration_minutes BETWEEN 0 AND 100000),
  notes text CHECK (notes IS NULL OR length(notes) <= 5000),
  issues_found boolean NOT NULL DEFAULT false,
  quadrant_before text CHECK (quadrant_before IN ('self', 'specialist', 'service', 'strange')),
  quadrant_after text CHECK (quadrant_after IN ('self', 'specialist', 'service', 'strange')),
  occurred_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (control_id, organization_id) REFERENCES controls (id, organization_id) ON DELETE CASCADE,
  FOREIGN KEY (user_id, organization_id) REFERENCES users (id, organization_id) ON DELETE SET NULL (user_id)
);

CREATE TABLE quadrant_classifications (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  control_id uuid NOT NULL,
  quadrant text NOT NULL CHECK (quadrant IN ('self', 'specialist', 'service', 'strange')),
  previous_quadrant text CHECK (previous_quadrant IN ('self', 'specialist', 'service', 'strange')),
  time_since_touched_days numeric,
  provider_distance numeric,
  classified_at timestamptz NOT NULL DEFAULT now(),
  reason text NOT NULL
    CHECK (reason IN ('touch', 'time_elapsed', 'network_change', 'provider_change', 'created', 'manual')),
  FOREIGN KEY (control_id, organization_id) REFERENCES controls (id, organization_id) ON DELETE CASCADE
);

CREATE TABLE organizational_traces (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  control_id uuid,
  trace_type text NOT NULL CHECK (trace_type IN ('maintenance_request', 'incident_report', 'time_off_request',
    'training_record', 'inspection_log', 'work_order')),
  description text CHECK (description IS NULL OR length(description) <= 5000),
  severity text NOT NULL DEFAULT 'low' CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  recorded_by_user_id uuid,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  related_incident_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (control_id, organization_id) REFERENCES controls (id, organization_id) ON DELETE CASCADE,
  FOREIGN KEY (recorded_by_user_id, organization_id) REFERENCES users (id, organization_id)
    ON DELETE SET NULL (recorded_by_user_id)
);

CREATE TABLE competency_records (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id uuid NOT NULL,
  control_id uuid NOT NULL,
  competency_level text NOT NULL CHECK (competency_level IN ('novice', 'competent', 'proficient', 'expert')),
  last_training_date date,
  next_refresher_due date,
  training_hours numeric CHECK (training_hours IS NULL OR training_hours >= 0),
  certified_by text CHECK (certified_by IS NULL OR length(certified_by) <= 200),
  certification_expires date,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (user_id, organization_id) REFERENCES users (id, organization_id) ON DELETE CASCADE,
  FOREIGN KEY (control_id, organization_id) REFERENCES controls (id, organization_id) ON DELETE CASCADE
);

CREATE TABLE service_level_agreements (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  control_id uuid NOT NULL,
  provider_id uuid NOT NULL,
  service_name text NOT NULL CHECK (length(btrim(service_name)) BETWEEN 1 AND 200),
  uptime_percentage numeric NOT NULL CHECK (uptime_percentage BETWEEN 0 AND 100),
  response_time_hours numeric CHECK (response_time_hours IS NULL OR response_time_hours >= 0),
  resolution_time_hours numeric CHECK (resolution_time_hours IS NULL OR resolution_time_hours >= 0),
  start_date date NOT NULL,
  end_date date,
  performance_current numeric CHECK (performance_current IS NULL OR performance_current BETWEEN 0 AND 100),
  breaches_count integer NOT NULL DEFAULT 0 CHECK (breaches_count >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (end_date IS NULL OR end_date >= start_date),
  FOREIGN KEY (control_id, organization_id) REFERENCES controls (id, organization_id) ON DELETE CASCADE,
  FOREIGN KEY (provider_id, organization_id) REFERENCES control_providers (id, organization_id) ON DELETE CASCADE
);

CREATE TABLE verification_strategies (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  quadrant text NOT NULL CHECK (quadrant IN ('self', 'specialist', 'service', 'strange')),
  method text NOT NULL CHECK (method IN ('user_reporting', 'toolbox_talk', 'sla_monitoring', 'proactive_sampling')),
  frequency_days integer NOT NULL CHECK (frequency_days BETWEEN 1 AND 3650),
  notification_days_before integer NOT NULL DEFAULT 7 CHECK (notification_days_before BETWEEN 0 AND 365),
  escalation_enabled boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, quadrant)
);

CREATE TABLE risk_predictions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  control_id uuid NOT NULL,
  days_since_touched numeric,
  provider_distance numeric,
  quadrant text NOT NULL CHECK (quadrant IN ('self', 'specialist', 'service', 'strange')),
  functional_range text NOT NULL CHECK (functional_range IN ('narrow', 'wide')),
  incident_count integer NOT NULL DEFAULT 0 CHECK (incident_count >= 0),
  trace_count integer NOT NULL DEFAULT 0 CHECK (trace_count >= 0),
  issues_found_count integer NOT NULL DEFAULT 0 CHECK (issues_found_count >= 0),
  failure_probability numeric NOT NULL CHECK (failure_probability BETWEEN 0 AND 1),
  predicted_failure_date date,
  confidence_score numeric NOT NULL CHECK (confidence_score BETWEEN 0 AND 1),
  model_version text NOT NULL,
  explanation jsonb NOT NULL DEFAULT '{}'::jsonb,
  predicted_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (control_id, organization_id) REFERENCES controls (id, organization_id) ON DELETE CASCADE
);

-- Append-only record of every mutation of tenant data, written by trigger in the same
-- transaction as the change. The runtime role may read and insert, never update or delete.
CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  actor_user_id uuid,
  action text NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
  entity_type text NOT NULL,
  entity_id uuid,
  before jsonb,
  after jsonb,
  request_id text,
  occurred_at timestamptz NOT NULL DEFAULT now()
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['control_providers', 'provider_networks', 'controls', 'competency_records',
    'service_level_agreements', 'verification_strategies'] LOOP
    EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION set_updated_at()',
      t || '_updated_at', t);
  END LOOP;
END $$;

-- Indexes: organization_id on every tenant table, plus the common access paths.
CREATE INDEX control_providers_organization_id_idx ON control_providers (organization_id);
CREATE INDEX provider_networks_organization_id_idx ON provider_networks (organization_id);
CREATE INDEX controls_organization_id_idx ON controls (organization_id);
CREATE INDEX controls_org_quadrant_idx ON controls (organization_id, current_quadrant);
CREATE INDEX controls_org_last_touched_idx ON controls (organization_id, last_touched_at);
CREATE INDEX controls_org_provider_idx ON controls (organization_id, primary_provider_id);
CREATE INDEX control_interactions_organization_id_idx ON control_interactions (organization_id);
CREATE INDEX control_interactions_control_idx ON control_interactions (control_id, occurred_at DESC);
CREATE INDEX quadrant_classifications_organization_id_idx ON quadrant_classifications (organization_id);
CREATE INDEX quadrant_classifications_control_idx ON quadrant_classifications (control_id, classified_at DESC);
CREATE INDEX quadrant_classifications_org_time_idx ON quadrant_classifications (organization_id, classified_at);
CREATE INDEX organizational_traces_organization_id_idx ON organizational_traces (organization_id);
CREATE INDEX organizational_traces_control_idx ON organizational_traces (control_id, recorded_at DESC);
CREATE INDEX competency_records_organization_id_idx ON competency_records (organization_id);
CREATE INDEX competency_records_control_idx ON competency_records (control_id);
CREATE INDEX service_level_agreements_organization_id_idx ON service_level_agreements (organization_id);
CREATE INDEX service_level_agreements_control_idx ON service_level_agreements (control_id);
CREATE INDEX verification_strategies_organization_id_idx ON verification_strategies (organization_id);
CREATE INDEX risk_predictions_organization_id_idx ON risk_predictions (organization_id);
CREATE INDEX risk_predictions_control_idx ON risk_predictions (control_id, predicted_at DESC);
CREATE INDEX audit_log_organization_id_idx ON audit_log (organization_id, occurred_at DESC);
CREATE INDEX audit_log_entity_idx ON audit_log (organization_id, entity_type, entity_id);
