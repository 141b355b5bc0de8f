// Owns the providers import: name and provider_type required, is_user_themselves optional
// (true/false, yes/no, 1/0; empty is false). A name already used in the organisation, or twice
// in the file, is a problem on its line (names are unique per organisation, case-insensitive).
// New providers have no links and no controls yet, so no distance changes: like
// POST /api/providers, nothing is reclassified.
import { z } from 'zod';
import type { Tx } from '../db/tenant.ts';
import { PROVIDER_TYPES } from '../providers/schema.ts';
import { type CheckedImport, inBatches } from './importer.ts';
import { type LineProblem, nameCell, parseTable, rejected } from './table.ts';

const YES = ['true', 'yes', '1'];
const NO = ['false', 'no', '0', ''];

const rowSchema = z.object({
  name: nameCell('name'),
  provider_type: z.enum(PROVIDER_TYPES, `provider_type must be one of ${PROVIDER_TYPES.join(', ')}`),
  is_user_themselves: z
    .string()
    .refine((value) => YES.includes(value) || NO.includes(value), 'is_user_themselves must be true or false')
    .transform((value) => YES.includes(value)),
});

const spec = {
  noun: 'providers',
  required: ['name', 'provider_type'],
  optional: ['is_user_themselves'],
} as const;

export async function checkProvidersImport(tx: Tx, text: string): Promise<CheckedImport> {
  const rows = parseTable(text, spec, ({ cell }) =>
    rowSchema.safeParse({
      name: cell('name'),
      provider_type: cell('provider_type').trim().toLowerCase(),
      is_user_themselves: cell('is_user_themselves').trim().toLowerCase(),
    }),
  );
  const { rows: existing } = await tx.query<{ key: string }>(
    `SELECT lower(name) AS key FROM control_providers WHERE lower(name) = ANY($1::text[])`,
    [rows.map((row) => row.name.toLowerCase())],
  );
  const taken = new Set(existing.map((row) => row.key));
  const firstLine = new Map<string, number>();
  const errors: LineProblem[] = [];
  for (const row of rows) {
    const key = row.name.toLowerCase();
    if (taken.has(key))
      errors.push({ line: row.line, problem: `A provider named "${row.name}" already exists.` });
    const earlier = firstLine.get(key);
    if (earlier !== undefined)
      errors.push({ line: row.line, problem: `"${row.name}" is already on line ${earlier} of this file.` });
    else firstLine.set(key, row.line);
  }
  if (errors.length > 0) rejected(errors);
  return {
    count: rows.length,
    write: (writeTx, _now, _events, progress) =>
      inBatches(rows, progress, async (batch) => {
        await writeTx.query(
          `INSERT INTO control_providers (organization_id, name, provider_type, is_user_themselves)
           SELECT NULLIF(current_setting('app.current_org_id', true), '')::uuid, u.name, u.provider_type, u.is_self
             FROM unnest($1::text[], $2::text[], $3::boolean[]) AS u(name, provider_type, is_self)`,
          [
            batch.map((row) => row.name),
            batch.map((row) => row.provider_type),
            batch.map((row) => row.is_user_themselves),
          ],
        );
      }),
  };
}
