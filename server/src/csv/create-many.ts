// Owns bulk creation for the import: the same steps as the controls service's createControl
// (controls/service.ts) — distance from the network, quadrant from the thresholds, a 'created'
// classification row, the reclassification listeners (risk) — but with the thresholds and the
// network loaded once and one statement per step, instead of once per control. Creating 500
// controls one by one costs ~500 network loads and risk passes; here it costs one.
// Keep in step with createControl: same columns, same classification, same notification.
import { randomUUID } from 'node:crypto';
import { distanceOf, quadrantOf } from '@sertantai/core';
import { loadDistances, loadThresholds, recordClassifications } from '../classification/service.ts';
import type { CreateControlInput } from '../controls/schema.ts';
import type { Tx } from '../db/tenant.ts';
import type { EventPublisher } from '../events/bus.ts';

export type NewControl = Pick<
  CreateControlInput,
  'name' | 'description' | 'control_type' | 'functional_range' | 'primary_provider_id'
>;

export async function createControls(
  tx: Tx,
  controls: NewControl[],
  now: Date,
  events: EventPublisher,
): Promise<string[]> {
  if (controls.length === 0) return [];
  const thresholds = await loadThresholds(tx);
  const distances = await loadDistances(tx);
  const planned = controls.map((control) => {
    const providerId = control.primary_provider_id ?? null;
    const distance = distanceOf(providerId, distances);
    return { control, providerId, distance, quadrant: quadrantOf(null, distance, thresholds) };
  });
  // Ids made here, so each classification row pairs with its control without relying on the
  // order of RETURNING.
  const ids = planned.map(() => randomUUID());
  await tx.query(
    `INSERT INTO controls (id, organization_id, name, description, control_type, functional_range,
        primary_provider_id, provider_distance, current_quadrant)
     SELECT u.id, NULLIF(current_setting('app.current_org_id', true), '')::uuid, u.name, u.description,
            u.control_type, u.functional_range, u.provider, u.distance, u.quadrant
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::numeric[], $8::text[])
            AS u(id, name, description, control_type, functional_range, provider, distance, quadrant)`,
    [
      ids,
      planned.map((p) => p.control.name),
      planned.map((p) => p.control.description ?? null),
      planned.map((p) => p.control.control_type),
      planned.map((p) => p.control.functional_range),
      planned.map((p) => p.providerId),
      planned.map((p) => p.distance),
      planned.map((p) => p.quadrant),
    ],
  );
  await recordClassifications(
    tx,
    planned.map((p, i) => ({
      control_id: ids[i]!,
      quadrant: p.quadrant,
      previous_quadrant: null,
      time_since_touched_days: null,
      provider_distance: p.distance,
    })),
    'created',
    now,
  );
  await events.publish(tx, 'controls.reclassified', { controlIds: ids, reason: 'created', now });
  return ids;
}
