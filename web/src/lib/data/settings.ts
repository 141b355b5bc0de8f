// The organisation's settings over REST (not synced): its name and Close/Remote threshold
// (/api/organization) and the verification strategy per quadrant (/api/verification-strategies;
// the Self frequency is also the Recent/Distant threshold). Writes throw an ApiError the
// screen shows.

import type { Organization, Quadrant, StrategyMethod } from '@sertantai/core';
import { session } from '../api/client';
import { sendJson } from './records';

export type Strategy = {
  id: string;
  quadrant: Quadrant;
  method: StrategyMethod;
  frequency_days: number;
  notification_days_before: number;
  escalation_enabled: boolean;
};

const send = <T>(path: string, body: unknown) => sendJson<T>(path, 'PATCH', body);

export const loadOrganization = () => session.json<{ data: Organization }>('/api/organization');
export const loadStrategies = () => session.json<{ data: Strategy[] }>('/api/verification-strategies');

export const updateOrganization = (patch: { name?: string; close_threshold_distance?: number }) =>
  send<{ data: Organization; moved: number }>('/api/organization', patch);

export const updateStrategy = (id: string, patch: Partial<Omit<Strategy, 'id' | 'quadrant'>>) =>
  send<{ data: Strategy }>(`/api/verification-strategies/${id}`, patch);
