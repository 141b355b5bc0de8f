// Owns the row types of the synced tables (SYNCED_TABLES) as they arrive over sync: the
// database's snake_case columns; timestamps are ISO strings (the web app's shape parser
// normalises them), numerics are numbers, dates 'YYYY-MM-DD'. The server's shape allow-lists
// (server/src/sync/shapes.ts) name the columns a browser may receive.
import type { Quadrant } from './quadrant.ts';
import type { Role } from './roles.ts';

export const INTERACTION_TYPES = ['use', 'inspect', 'maintain', 'test'] as const;
export type InteractionType = (typeof INTERACTION_TYPES)[number];

export type Control = {
  id: string;
  organization_id: string;
  name: string;
  description: string | null;
  control_type: 'physical' | 'procedural' | 'technical';
  functional_range: 'narrow' | 'wide';
  primary_provider_id: string | null;
  owned_by_user: string | null;
  last_touched_at: string | null;
  last_touched_by_user_id: string | null;
  provider_distance: number | null;
  current_quadrant: Quadrant;
  failure_probability: number | null;
  requires_refresher_training: boolean;
  created_at: string;
  updated_at: string;
};

export type Provider = {
  id: string;
  organization_id: string;
  name: string;
  provider_type: 'internal' | 'contractor' | 'vendor' | 'user';
  contact_info: Record<string, unknown> | null;
  is_user_themselves: boolean;
  created_at: string;
  updated_at: string;
};

export type Interaction = {
  id: string;
  organization_id: string;
  control_id: string;
  user_id: string | null;
  interaction_type: InteractionType;
  duration_minutes: number | null;
  notes: string | null;
  issues_found: boolean;
  quadrant_before: Quadrant | null;
  quadrant_after: Quadrant | null;
  occurred_at: string;
  created_at: string;
};

export type Classification = {
  id: string;
  organization_id: string;
  control_id: string;
  quadrant: Quadrant;
  previous_quadrant: Quadrant | null;
  time_since_touched_days: number | null;
  provider_distance: number | null;
  classified_at: string;
  reason: 'touch' | 'time_elapsed' | 'network_change' | 'provider_change' | 'created' | 'manual';
};

export type Trace = {
  id: string;
  organization_id: string;
  control_id: string | null;
  trace_type: string;
  description: string | null;
  severity: 'low' | 'medium' | 'high' | 'critical';
  recorded_by_user_id: string | null;
  recorded_at: string;
};

export type Competency = {
  id: string;
  organization_id: string;
  user_id: string;
  control_id: string;
  competency_level: 'novice' | 'competent' | 'proficient' | 'expert';
  last_training_date: string | null;
  next_refresher_due: string | null;
  training_hours: number | null;
  certified_by: string | null;
  certification_expires: string | null;
};

export type Organization = {
  id: string;
  name: string;
  slug: string;
  recent_threshold_days: number;
  close_threshold_distance: number;
};

export type Member = {
  id: string;
  organization_id: string;
  email: string;
  name: string | null;
  role: Role;
  confirmed_at: string | null;
  created_at: string;
};
