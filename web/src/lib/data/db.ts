// Owns the signed-in user's local database: one TanStack DB collection per synced table, the
// offline outbox for interactions, and the write actions. Created at sign-in, torn down (and
// its offline copy wiped) at sign-out.
//
// Connection budget: over HTTP/1.1 a browser keeps at most 6 connections per origin and every
// live shape holds one. Only `controls` and `control_providers` sync all the time; the other
// tables sync while a screen that shows them is open (and a few seconds after), so at most 4
// streams are live at once and API calls always find a free connection.

import {
  type Classification,
  type Competency,
  type Control,
  daysSince,
  type Interaction,
  type InteractionType,
  type Member,
  type Provider,
  quadrantOf,
  type Trace,
} from '@sertantai/core';
import type { OfflineExecutor } from '@tanstack/offline-transactions';
import { IndexedDBAdapter, NonRetriableError, startOfflineExecutor } from '@tanstack/offline-transactions';
import { ApiError, errorFromResponse, messageOf } from '../api/errors';
import type { Session } from '../api/session';
import type { Profile } from '../api/session-types';
import { notify } from '../ui/toast.svelte';
import { indexedDbCache, type ShapeCache } from './cache';
import { matrixRows, opensDashboard } from './matrix-rows';
import { type ShapeWiring, syncedCollection } from './shape';
import { activity } from './status.svelte';

const TXID_TIMEOUT_MS = 30_000;
/** How long a live query over an on-demand table outlives its screen. */
export const ON_DEMAND_GC_MS = 100;

type WriteAnswer = { data?: { id: string }; txid?: number };

const CONTROL_FIELDS = [
  'name',
  'description',
  'control_type',
  'functional_range',
  'primary_provider_id',
  'owned_by_user',
  'requires_refresher_training',
] as const;
const PROVIDER_FIELDS = ['name', 'provider_type', 'contact_info', 'is_user_themselves'] as const;

function pick(source: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) if (source[field] !== undefined) out[field] = source[field];
  return out;
}

export type InteractionMeta = {
  control_id: string;
  interaction_id: string;
  interaction_type: InteractionType;
  occurred_at: string;
  control_name: string;
  /** The details of "log with details" (absent for a one-click touch). */
  notes?: string | null;
  issues_found?: boolean;
  duration_minutes?: number | null;
};

/** What "log with details" adds to a touch; occurred_at back-dates it (the server allows 90 days). */
export type InteractionDetails = Pick<InteractionMeta, 'notes' | 'issues_found' | 'duration_minutes'> & {
  occurred_at?: string;
};

/**
 * How the register syncs (GET /api/sync/plan): `eager` loads it whole at sign-in; `on-demand`
 * (large registers) follows a changes-only log and loads the rows each screen asks for as
 * subset snapshots, so the first page shows without waiting for the whole register.
 */
export type SyncPlan = { controls: 'eager' | 'on-demand' };

export function createData(
  session: Session,
  profile: Profile,
  plan: SyncPlan = { controls: 'eager' },
  cache: ShapeCache = indexedDbCache(),
) {
  const wiring: ShapeWiring = {
    url: new URL('/api/electric/sync', location.origin).href,
    authorization: () => session.authorization(),
    unauthorized: async () => {
      if (await session.refresh()) return 'retry';
      return session.state.status === 'signed-in' ? 'retry' : 'stop';
    },
    cache,
    cacheKey: profile.user.id,
    onActivity: (table, state) => activity(table, state),
  };

  async function write(path: string, method: string, body?: unknown): Promise<WriteAnswer> {
    const response = await session.fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      const error = await errorFromResponse(response);
      notify(error.message, 'error');
      throw error;
    }
    if (response.status === 204) return {};
    return (await response.json()) as WriteAnswer;
  }

  const txids = (answers: WriteAnswer[]) => {
    const list = answers
      .map((answer) => answer.txid)
      .filter((txid): txid is number => typeof txid === 'number');
    return list.length > 0 ? { txid: list, timeout: TXID_TIMEOUT_MS } : undefined;
  };

  const onDemand = plan.controls === 'on-demand';
  const controls = syncedCollection<Control>(
    'controls',
    onDemand ? { ...wiring, cache: undefined } : wiring,
    {
      eager: true,
      // On demand, the offline copy is not kept: it would be a few pages of a large register.
      syncMode: plan.controls,
      onInsert: async ({ transaction }) =>
        txids(
          await Promise.all(
            transaction.mutations.map((m) =>
              write('/api/controls', 'POST', { id: m.key, ...pick(m.modified, CONTROL_FIELDS) }),
            ),
          ),
        ),
      onUpdate: async ({ transaction }) =>
        txids(
          await Promise.all(
            transaction.mutations.map((m) =>
              write(
                `/api/controls/${m.key}`,
                'PATCH',
                pick(m.changes as Record<string, unknown>, CONTROL_FIELDS),
              ),
            ),
          ),
        ),
      onDelete: async ({ transaction }) =>
        txids(await Promise.all(transaction.mutations.map((m) => write(`/api/controls/${m.key}`, 'DELETE')))),
    },
  );

  // What the dashboard draws: these rows, or a narrow live shape of them when on demand.
  const matrix = matrixRows(controls, onDemand, wiring);
  // Its rows are the dashboard's first paint: when the app opens there, their request starts now
  // rather than once the page has loaded and mounted (0.3-0.4 s later in bench/web.ts while its
  // code was fetched after the sign-in answer; still its render and mount later since).
  // If nothing subscribes, the stream stops after MATRIX_GC_MS, as when the dashboard is left.
  if (matrix.kind === 'shape' && opensDashboard(new URL(location.href))) matrix.feed.start();

  const providers = syncedCollection<Provider>('control_providers', wiring, {
    eager: true,
    onInsert: async ({ transaction }) =>
      txids(
        await Promise.all(
          transaction.mutations.map((m) =>
            write('/api/providers', 'POST', pick(m.modified, PROVIDER_FIELDS)),
          ),
        ),
      ),
    onUpdate: async ({ transaction }) =>
      txids(
        await Promise.all(
          transaction.mutations.map((m) =>
            write(
              `/api/providers/${m.key}`,
              'PATCH',
              pick(m.changes as Record<string, unknown>, PROVIDER_FIELDS),
            ),
          ),
        ),
      ),
    onDelete: async ({ transaction }) =>
      txids(await Promise.all(transaction.mutations.map((m) => write(`/api/providers/${m.key}`, 'DELETE')))),
  });

  // On demand: these sync only while a screen shows them.
  const interactions = syncedCollection<Interaction>('control_interactions', wiring, { eager: false });
  const classifications = syncedCollection<Classification>('quadrant_classifications', wiring, {
    eager: false,
  });
  const competencies = syncedCollection<Competency>('competency_records', wiring, { eager: false });
  const traces = syncedCollection<Trace>('organizational_traces', wiring, { eager: false });
  const users = syncedCollection<Member>('users', wiring, { eager: false });

  const thresholds = () => {
    const org = profile.organization;
    return {
      recentDays: Number(org.recent_threshold_days ?? 30) || 30,
      closeDistance: Number(org.close_threshold_distance ?? 2) || 2,
    };
  };

  let executor: OfflineExecutor | undefined;
  try {
    executor = startOfflineExecutor({
      collections: { controls },
      storage: new IndexedDBAdapter(`sertantai-outbox-${profile.user.id}`),
      mutationFns: {
        logInteraction: async ({ transaction }) => {
          const meta = transaction.metadata as unknown as InteractionMeta;
          let response: Response;
          try {
            response = await session.fetch(`/api/controls/${meta.control_id}/interactions`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({
                id: meta.interaction_id,
                interaction_type: meta.interaction_type,
                occurred_at: meta.occurred_at,
                ...(meta.notes ? { notes: meta.notes } : {}),
                ...(meta.issues_found ? { issues_found: true } : {}),
                ...(meta.duration_minutes != null ? { duration_minutes: meta.duration_minutes } : {}),
              }),
            });
          } catch (error) {
            throw error instanceof Error ? error : new Error(String(error)); // offline: retried
          }
          if (!response.ok) {
            const error = await errorFromResponse(response);
            const transient = response.status >= 500 || response.status === 429 || response.status === 401;
            if (!transient) {
              notify(`Could not record “${meta.control_name}”: ${error.message}`, 'error');
              throw new NonRetriableError(error.message);
            }
            throw error;
          }
          const answer = (await response.json()) as WriteAnswer;
          if (typeof answer.txid === 'number') {
            // A repeat of an already recorded interaction may answer with a txid that never
            // appears on the stream: do not wait forever for it.
            await controls.utils.awaitTxId(answer.txid, TXID_TIMEOUT_MS).catch(() => undefined);
          }
        },
      },
    });
  } catch {
    executor = undefined;
  }

  /**
   * A touch: used / inspected / maintained / tested, now (one click) or with details (when,
   * notes, issues found, duration). Optimistic, queued when offline.
   */
  async function logInteraction(
    control: Control,
    type: InteractionType,
    details: InteractionDetails = {},
  ): Promise<void> {
    const occurredAt = details.occurred_at ?? new Date().toISOString();
    const meta: InteractionMeta = {
      control_id: control.id,
      interaction_id: crypto.randomUUID(),
      interaction_type: type,
      occurred_at: occurredAt,
      control_name: control.name,
      notes: details.notes ?? null,
      issues_found: details.issues_found ?? false,
      duration_minutes: details.duration_minutes ?? null,
    };
    // As the server does: a back-dated touch never moves last_touched_at backwards.
    const apply = () =>
      controls.update(control.id, (draft) => {
        const previous = draft.last_touched_at;
        const latest = previous && Date.parse(previous) > Date.parse(occurredAt) ? previous : occurredAt;
        draft.last_touched_at = latest;
        draft.last_touched_by_user_id = profile.user.id;
        draft.current_quadrant = quadrantOf(
          daysSince(new Date(latest), new Date()),
          draft.provider_distance,
          thresholds(),
        );
      });
    try {
      if (executor) {
        await executor.waitForInit();
        const tx = executor.createOfflineTransaction({
          mutationFnName: 'logInteraction',
          autoCommit: false,
          metadata: meta as unknown as Record<string, unknown>,
          idempotencyKey: meta.interaction_id,
        });
        tx.mutate(apply);
        await tx.commit();
      } else {
        apply();
      }
    } catch (error) {
      if (!(error instanceof ApiError)) notify(messageOf(error), 'error');
    }
  }

  async function pendingInteractions(): Promise<InteractionMeta[]> {
    if (!executor) return [];
    try {
      const outbox = await executor.peekOutbox();
      return outbox
        .filter((tx) => tx.mutationFnName === 'logInteraction')
        .map((tx) => tx.metadata as unknown as InteractionMeta);
    } catch {
      return [];
    }
  }

  const all = [controls, providers, interactions, classifications, competencies, traces, users];

  return {
    profile,
    /** The register syncs on demand: screens ask for the rows they show (see SyncPlan). */
    onDemand,
    controls,
    /** Every control's id and matrix columns, live (the dashboard's rows). */
    matrix: matrix.feed,
    providers,
    interactions,
    classifications,
    competencies,
    traces,
    users,
    thresholds,
    logInteraction,
    pendingInteractions,
    pendingCount: () => (executor ? executor.getPendingCount() : 0),
    write,
    async close(wipe: boolean) {
      executor?.dispose();
      if (matrix.kind === 'shape') matrix.feed.close();
      await Promise.all(all.map((collection) => collection.cleanup().catch(() => undefined)));
      if (wipe) {
        await cache.clear();
        try {
          indexedDB.deleteDatabase(`sertantai-outbox-${profile.user.id}`);
        } catch {
          // nothing to delete
        }
      }
    },
  };
}

export type Data = ReturnType<typeof createData>;
