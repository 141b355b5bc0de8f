// The app's top-level reactive state: the session and, while signed in, the local database.
import { type Role, roleAtLeast } from '@sertantai/core';
import { onSignedOut, session } from './api/client';
import type { SessionState } from './api/session-types';
import { createData, type Data } from './data/db';
import { followSyncPlan, type PlanSource, type SyncPlan } from './data/sync-plan';

let sessionState = $state.raw<SessionState>({ status: 'loading' });
let data = $state.raw<Data | undefined>(undefined);
let started = false;
/** The user whose sync plan is being followed (the remembered plan at once, then the server's). */
let followingFor: string | undefined;

const planSource: PlanSource = {
  fetchPlan: async () => {
    const answer = await session.json<{ data: { controls: 'eager' | 'on_demand' } }>('/api/sync/plan');
    return answer.data.controls === 'on_demand' ? 'on-demand' : 'eager';
  },
  storage: typeof localStorage === 'undefined' ? undefined : localStorage,
  wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

const planOf = (current: Data): SyncPlan => (current.onDemand ? 'on-demand' : 'eager');

/** Creates the user's local database for `plan`, replacing one made for another plan. */
function useSyncPlan(userId: string, plan: SyncPlan) {
  if (followingFor !== userId) return;
  if (sessionState.status !== 'signed-in' || sessionState.profile.user.id !== userId) return;
  if (data && data.profile.user.id === userId && planOf(data) === plan) return;
  // The register crossed the threshold since the plan was remembered: the screens are drawn
  // again over a database made for the new plan (the layout keys them on it); the outbox and
  // offline copy stay (closed without wiping).
  const previous = data;
  if (previous) void previous.close(false);
  data = createData(session, sessionState.profile, { controls: plan });
}

export const app = {
  get session(): SessionState {
    return sessionState;
  },
  get data(): Data | undefined {
    return data;
  },
  get role(): Role | undefined {
    return sessionState.status === 'signed-in' ? sessionState.profile.role : undefined;
  },
  /** Admins and owners manage controls, providers and links. */
  get canManage(): boolean {
    const role = this.role;
    return role !== undefined && roleAtLeast(role, 'admin');
  },
  /** Members and above log interactions and traces. */
  get canLog(): boolean {
    const role = this.role;
    return role !== undefined && roleAtLeast(role, 'member');
  },
};

export function startApp() {
  if (started) return;
  started = true;
  session.subscribe((next) => {
    sessionState = next;
    if (next.status === 'signed-in') {
      if (data && data.profile.user.id !== next.profile.user.id) {
        void data.close(true);
        data = undefined;
      }
      if (!data && followingFor !== next.profile.user.id) {
        const userId = next.profile.user.id;
        followingFor = userId;
        // The plan decides how the register syncs (data/sync-plan.ts: the remembered one at
        // once, the server's when it differs; asked again on failure).
        void followSyncPlan(userId, planSource, (plan) => useSyncPlan(userId, plan)).finally(() => {
          if (followingFor === userId) followingFor = undefined;
        });
      }
    }
  });
  onSignedOut(async () => {
    followingFor = undefined;
    const previous = data;
    data = undefined;
    if (previous) await previous.close(true);
  });
  void session.restore();
}

export { session };
