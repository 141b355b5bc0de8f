// Owns the place where attention plugs into the controls list (GET /api/controls). The rules
// (model/attention.ts) and the service that gathers their inputs belong to the strategies
// feature; it registers itself here with setControlAttention(). Without a registration the
// list has no `attention` field and `?attention=` answers 400 (the filter is not available).
import type { Tx } from '../db/tenant.ts';

export type ControlAttentionReason = { code: string; message: string };

export type ControlAttention = {
  /** Ids of this organisation's controls that need attention at `now` (runs in the tenant transaction). */
  controlIdsNeedingAttention(tx: Tx, now: Date): Promise<string[]>;
  /** Reasons for the given controls; a control missing from the map needs no attention. */
  reasonsFor(tx: Tx, controlIds: string[], now: Date): Promise<Map<string, ControlAttentionReason[]>>;
};

let registered: ControlAttention | undefined;

export function setControlAttention(attention: ControlAttention | undefined): void {
  registered = attention;
}

export function controlAttention(): ControlAttention | undefined {
  return registered;
}
