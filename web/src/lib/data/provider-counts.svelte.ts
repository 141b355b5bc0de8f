// The providers screen's "controls per provider" for a register synced on demand (SyncPlan):
// the register is not in the browser whole, so the server counts (GET
// /api/providers/control-counts). Asked again, coalesced, when a control or provider changes in
// the browser (writes from here, changes of loaded rows and new controls from the changes-only
// log) and every REFRESH_MS while the screen is open: a change made elsewhere to a control this
// browser has not loaded reaches the log but is not kept (on-demand sync keeps only loaded rows).
import type { Data } from './db';
import { getJson } from './remote';

export const REFRESH_MS = 15_000;
const COALESCE_MS = 300;

export function providerCounts(data: Pick<Data, 'controls' | 'providers'>) {
  let counts = $state.raw(new Map<string, number>());

  async function load() {
    const answer = await getJson<{ data: { provider_id: string; controls: number }[] }>(
      '/api/providers/control-counts',
    );
    if (answer.data) counts = new Map(answer.data.data.map((row) => [row.provider_id, row.controls]));
  }

  $effect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const soon = () => {
      if (timer === undefined)
        timer = setTimeout(() => {
          timer = undefined;
          void load();
        }, COALESCE_MS);
    };
    void load();
    // No initial state: subscribing must not ask the server for every control.
    const controls = data.controls.subscribeChanges(soon, { includeInitialState: false });
    const providers = data.providers.subscribeChanges(soon, { includeInitialState: false });
    const every = setInterval(() => void load(), REFRESH_MS);
    return () => {
      controls.unsubscribe();
      providers.unsubscribe();
      clearInterval(every);
      if (timer !== undefined) clearTimeout(timer);
    };
  });

  return {
    get counts() {
      return counts;
    },
  };
}
