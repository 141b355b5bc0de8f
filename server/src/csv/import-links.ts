// Owns the provider links import: from_provider and to_provider (existing providers, by name,
// case-insensitive), relationship_type and path_weight (over 0, at most 1000). A link from a
// provider to itself, a pair already linked in the organisation, or a pair twice in the file is
// a problem on its line. Writing takes the network lock and reclassifies once, after every link
// is in — as POST /api/provider-links does for one.
import { z } from 'zod';
import { lockNetwork, reclassifyByNetwork } from '../classification/service.ts';
import type { Tx } from '../db/tenant.ts';
import { RELATIONSHIP_TYPES } from '../providers/schema.ts';
import { type CheckedImport, inBatches } from './importer.ts';
import { type LineProblem, nameCell, parseTable, rejected } from './table.ts';

const rowSchema = z.object({
  from_provider: nameCell('from_provider'),
  to_provider: nameCell('to_provider'),
  relationship_type: z.enum(
    RELATIONSHIP_TYPES,
    `relationship_type must be one of ${RELATIONSHIP_TYPES.join(', ')}`,
  ),
  path_weight: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, 'path_weight must be a number such as 1 or 2.5')
    .transform(Number)
    .refine((weight) => weight > 0 && weight <= 1000, 'path_weight must be over 0 and at most 1000'),
});

const spec = {
  noun: 'links',
  required: ['from_provider', 'to_provider', 'relationship_type', 'path_weight'],
  optional: [],
} as const;

export async function checkLinksImport(tx: Tx, text: string): Promise<CheckedImport> {
  const rows = parseTable(text, spec, ({ cell }) =>
    rowSchema.safeParse({
      from_provider: cell('from_provider'),
      to_provider: cell('to_provider'),
      relationship_type: cell('relationship_type').trim().toLowerCase(),
      path_weight: cell('path_weight'),
    }),
  );
  // The lock first, so the providers and links read here are those the write will see.
  await lockNetwork(tx);
  const { rows: providers } = await tx.query<{ id: string; key: string }>(
    `SELECT id, lower(name) AS key FROM control_providers`,
  );
  const idOf = new Map(providers.map((provider) => [provider.key, provider.id]));
  const { rows: links } = await tx.query<{ pair: string }>(
    `SELECT from_provider_id || '>' || to_provider_id AS pair FROM provider_networks`,
  );
  const linked = new Set(links.map((link) => link.pair));
  const firstLine = new Map<string, number>();
  const errors: LineProblem[] = [];
  const planned: Array<{ from: string; to: string; type: string; weight: number }> = [];
  for (const row of rows) {
    const from = idOf.get(row.from_provider.toLowerCase());
    const to = idOf.get(row.to_provider.toLowerCase());
    if (!from)
      errors.push({
        line: row.line,
        problem: `No provider named "${row.from_provider}" in this organisation.`,
      });
    if (!to)
      errors.push({
        line: row.line,
        problem: `No provider named "${row.to_provider}" in this organisation.`,
      });
    if (!from || !to) continue;
    const pair = `${from}>${to}`;
    if (from === to) errors.push({ line: row.line, problem: 'A link must join two different providers.' });
    else if (linked.has(pair))
      errors.push({
        line: row.line,
        problem: `"${row.from_provider}" is already linked to "${row.to_provider}".`,
      });
    else if (firstLine.has(pair))
      errors.push({
        line: row.line,
        problem: `The same link is already on line ${firstLine.get(pair)} of this file.`,
      });
    else {
      firstLine.set(pair, row.line);
      planned.push({ from, to, type: row.relationship_type, weight: row.path_weight });
    }
  }
  if (errors.length > 0) rejected(errors);
  return {
    count: planned.length,
    write: async (writeTx, now, events, progress) => {
      await inBatches(
        planned,
        (done, total) => progress(Math.min(done, total - 1), total), // the last step is the reclassification
        async (batch) => {
          await writeTx.query(
            `INSERT INTO provider_networks (organization_id, from_provider_id, to_provider_id, relationship_type, path_weight)
             SELECT NULLIF(current_setting('app.current_org_id', true), '')::uuid, u.f, u.t, u.r, u.w
               FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::numeric[]) AS u(f, t, r, w)`,
            [
              batch.map((l) => l.from),
              batch.map((l) => l.to),
              batch.map((l) => l.type),
              batch.map((l) => l.weight),
            ],
          );
        },
      );
      await reclassifyByNetwork(writeTx, 'network_change', now, events);
      progress(planned.length, planned.length);
    },
  };
}
