// Owns providers and the provider network. Any change that can alter a distance (a link, a
// provider becoming or ceasing to be "self", a provider removed) recomputes the organisation's
// distances and reclassifies the controls that moved, in the same transaction.
import { lockNetwork, reclassifyByNetwork } from '../classification/service.ts';
import type { Row } from '../controls/service.ts';
import type { Tx } from '../db/tenant.ts';
import { updateColumns } from '../db/update-columns.ts';
import type { EventPublisher } from '../events/bus.ts';
import { notFound } from '../http/errors.ts';
import type {
  CreateLinkInput,
  CreateProviderInput,
  ListLinksQuery,
  ListProvidersQuery,
  UpdateLinkInput,
  UpdateProviderInput,
} from './schema.ts';

const ORG = `NULLIF(current_setting('app.current_org_id', true), '')::uuid`;

export async function listProviders(tx: Tx, query: ListProvidersQuery): Promise<Row[]> {
  const params: unknown[] = [query.limit, query.offset ?? 0];
  const where: string[] = [];
  if (query.provider_type) {
    params.push(query.provider_type);
    where.push(`provider_type = $${params.length}`);
  }
  if (query.q) {
    params.push(`%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    where.push(`name ILIKE $${params.length}`);
  }
  const { rows } = await tx.query(
    `SELECT * FROM control_providers ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY lower(name), id LIMIT $1 OFFSET $2`,
    params,
  );
  return rows;
}

/**
 * How many controls each provider is primary for (providers with none are left out): the
 * providers screen's counts without the whole register (a large register syncs on demand).
 * Reads the (organization_id, primary_provider_id) index only.
 */
export async function controlCountsByProvider(tx: Tx): Promise<{ provider_id: string; controls: number }[]> {
  const { rows } = await tx.query<{ provider_id: string; controls: number }>(
    `SELECT primary_provider_id AS provider_id, count(*)::int AS controls FROM controls
      WHERE organization_id = ${ORG} AND primary_provider_id IS NOT NULL
      GROUP BY primary_provider_id ORDER BY primary_provider_id`,
  );
  return rows;
}

export async function getProvider(tx: Tx, id: string): Promise<Row> {
  const { rows } = await tx.query(`SELECT * FROM control_providers WHERE id = $1`, [id]);
  if (!rows[0]) throw notFound('Provider');
  return rows[0];
}

export async function createProvider(
  tx: Tx,
  input: CreateProviderInput,
): Promise<{ row: Row; replayed: boolean }> {
  if (input.id) {
    const existing = await tx.query(`SELECT * FROM control_providers WHERE id = $1`, [input.id]);
    if (existing.rows[0]) return { row: existing.rows[0], replayed: true };
  }
  const { rows } = await tx.query(
    `INSERT INTO control_providers (id, organization_id, name, provider_type, contact_info, is_user_themselves)
     VALUES (COALESCE($1::uuid, gen_random_uuid()), ${ORG}, $2, $3, $4, $5) RETURNING *`,
    [
      input.id ?? null,
      input.name,
      input.provider_type,
      input.contact_info ?? {},
      input.is_user_themselves ?? false,
    ],
  );
  // A new provider has no links and no controls yet: no distance can change.
  return { row: rows[0], replayed: false };
}

export async function updateProvider(
  tx: Tx,
  id: string,
  input: UpdateProviderInput,
  now: Date,
  events: EventPublisher,
): Promise<Row> {
  if (input.is_user_themselves !== undefined) await lockNetwork(tx);
  const before = await getProvider(tx, id);
  const row = await updateColumns(
    tx,
    'control_providers',
    id,
    ['name', 'provider_type', 'contact_info', 'is_user_themselves'],
    input,
  );
  if (input.is_user_themselves !== undefined && input.is_user_themselves !== before.is_user_themselves) {
    await reclassifyByNetwork(tx, 'network_change', now, events);
  }
  return row as Row;
}

export async function deleteProvider(tx: Tx, id: string, now: Date, events: EventPublisher): Promise<Row> {
  await lockNetwork(tx);
  const served = await tx.query<{ id: string }>(`SELECT id FROM controls WHERE primary_provider_id = $1`, [
    id,
  ]);
  const { rows } = await tx.query(`DELETE FROM control_providers WHERE id = $1 RETURNING *`, [id]);
  if (!rows[0]) throw notFound('Provider');
  // Its controls lost their provider (Remote now); every path through it is gone as well.
  if (served.rows.length > 0) {
    await reclassifyByNetwork(
      tx,
      'provider_change',
      now,
      events,
      served.rows.map((row) => row.id),
    );
  }
  await reclassifyByNetwork(tx, 'network_change', now, events);
  return rows[0];
}

export async function listLinks(tx: Tx, query: ListLinksQuery): Promise<Row[]> {
  const params: unknown[] = [query.limit, query.offset ?? 0];
  let where = '';
  if (query.provider_id) {
    params.push(query.provider_id);
    where = `WHERE from_provider_id = $3 OR to_provider_id = $3`;
  }
  const { rows } = await tx.query(
    `SELECT * FROM provider_networks ${where} ORDER BY created_at, id LIMIT $1 OFFSET $2`,
    params,
  );
  return rows;
}

export async function getLink(tx: Tx, id: string): Promise<Row> {
  const { rows } = await tx.query(`SELECT * FROM provider_networks WHERE id = $1`, [id]);
  if (!rows[0]) throw notFound('Provider link');
  return rows[0];
}

export async function createLink(
  tx: Tx,
  input: CreateLinkInput,
  now: Date,
  events: EventPublisher,
): Promise<{ row: Row; replayed: boolean }> {
  if (input.id) {
    const existing = await tx.query(`SELECT * FROM provider_networks WHERE id = $1`, [input.id]);
    if (existing.rows[0]) return { row: existing.rows[0], replayed: true };
  }
  await lockNetwork(tx);
  // Both ends must be this organisation's providers; another organisation's id is simply not found.
  const ends = await tx.query(`SELECT count(*)::int AS n FROM control_providers WHERE id = ANY($1::uuid[])`, [
    [input.from_provider_id, input.to_provider_id],
  ]);
  if (ends.rows[0].n !== 2) throw notFound('Provider');
  const { rows } = await tx.query(
    `INSERT INTO provider_networks (id, organization_id, from_provider_id, to_provider_id, relationship_type, path_weight)
     VALUES (COALESCE($1::uuid, gen_random_uuid()), ${ORG}, $2, $3, $4, $5) RETURNING *`,
    [
      input.id ?? null,
      input.from_provider_id,
      input.to_provider_id,
      input.relationship_type,
      input.path_weight,
    ],
  );
  await reclassifyByNetwork(tx, 'network_change', now, events);
  return { row: rows[0], replayed: false };
}

export async function updateLink(
  tx: Tx,
  id: string,
  input: UpdateLinkInput,
  now: Date,
  events: EventPublisher,
): Promise<Row> {
  await lockNetwork(tx);
  const row = await updateColumns(tx, 'provider_networks', id, ['relationship_type', 'path_weight'], input);
  if (!row) throw notFound('Provider link');
  if (input.path_weight !== undefined) await reclassifyByNetwork(tx, 'network_change', now, events);
  return row as Row;
}

export async function deleteLink(tx: Tx, id: string, now: Date, events: EventPublisher): Promise<Row> {
  await lockNetwork(tx);
  const { rows } = await tx.query(`DELETE FROM provider_networks WHERE id = $1 RETURNING *`, [id]);
  if (!rows[0]) throw notFound('Provider link');
  await reclassifyByNetwork(tx, 'network_change', now, events);
  return rows[0];
}
