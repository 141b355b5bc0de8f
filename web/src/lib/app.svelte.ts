// The app's top-level reactive state: the session and, while signed in, the local database.
import { type Role, roleAtLeast } from '@sertantai/core';
import { onSignedOut, session } from './api/client';
import type { SessionState } from './api/session-types';
import { createData, type Data } from './data/db';
import { type SyncPlan, syncPlanFor } from './data/sync-plan';

let sessionState = $state.raw<SessionState>({ status: 'loading' });
let data = $state.raw<Data | undefined>(undefined);
let started = false;
/** The user whose local database is being created (waiting for the sync plan). */
let creatingFor: string | undefined;

function syncPlan(userId: string): Promise<SyncPlan> {
  return syncPlanFor(userId, {
    fetchPlan: async () => {
      const answer = await session.json<{ data: { controls: 'eager' | 'on_demand' } }>('/api/sync/plan');
      return answer.data.controls === 'on_demand' ? 'on-demand' : 'eager';
    },
    storage: typeof localStorage === 'undefined' ? undefined : localStorage,
    wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
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
      if (!data && creatingFor !== next.profile.user.id) {
        const profile = next.profile;
        creatingFor = profile.user.id;
        // The plan decides how the register syncs (data/sync-plan.ts: asked again on failure).
        void syncPlan(profile.user.id).then((plan) => {
          if (creatingFor !== profile.user.id) return;
          creatingFor = undefined;
          if (
            !data &&
            sessionState.status === 'signed-in' &&
            sessionState.profile.user.id === profile.user.id
          ) {
            data = createData(session, profile, { controls: plan });
          }
        });
      }
    }
  });
  onSignedOut(async () => {
    creatingFor = undefined;
    const previous = data;
    data = undefined;
    if (previous) await previous.close(true);
  });
  void session.restore();
}

export { session };
