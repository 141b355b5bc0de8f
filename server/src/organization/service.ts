// Owns the organisation's own settings: its name and the Close/Remote threshold. (The
// Recent/Distant threshold is the Self verification strategy's frequency: migration 040.)
// A new threshold reclassifies every control at once, in the same transaction, so the matrix
// and the register move live instead of at the next sweep.
import { sweepOrganization } from '../classification/service.ts';
import type { Tx } from '../db/tenant.ts';
import type { EventPublisher } from '../events/bus.ts';
import { notFound } from '../http/errors.ts';
import type { OrganizationPatch } from './schema.ts';

const COLUMNS = 'id, name, slug, recent_threshold_days, close_threshold_distance, created_at, updated_at';

export type OrganizationRow = {
  id: string;
  name: string;
  slug: string;
  recent_threshold_days: number;
  close_threshold_distance: number;
  created_at: Date;
  updated_at: Date;
};

/** RLS shows the tenant transaction only its own organisation. */
export async function getOrganization(tx: Tx): Promise<OrganizationRow> {
  const { rows } = await tx.query<OrganizationRow>(`SELECT ${COLUMNS} FROM organizations`);
  if (!rows[0]) throw notFound('Organisation');
  return { ...rows[0], close_threshold_distance: Number(rows[0].close_threshold_distance) };
}

export async function updateOrganization(
  tx: Tx,
  patch: OrganizationPatch,
  now: Date,
  events: EventPublisher,
): Promise<{ organization: OrganizationRow; moved: string[] }> {
  const before = await getOrganization(tx);
  const { rows } = await tx.query<OrganizationRow>(
    `UPDATE organizations SET name = COALESCE($2, name),
        close_threshold_distance = COALESCE($3::numeric, close_threshold_distance)
      WHERE id = $1 RETURNING ${COLUMNS}`,
    [before.id, patch.name ?? null, patch.close_threshold_distance ?? null],
  );
  const organization = { ...rows[0]!, close_threshold_distance: Number(rows[0]!.close_threshold_distance) };
  const moved =
    organization.close_threshold_distance !== before.close_threshold_distance
      ? (await sweepOrganization(tx, now, events)).moved
      : [];
  return { organization, moved };
}
