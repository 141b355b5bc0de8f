// Owns the register import: name, control_type and functional_range required, description and
// provider (by name) optional; the other export columns are accepted and ignored so an exported
// file imports back. Every line and every provider name is checked before anything is written;
// a good file creates the controls in bulk through createControls (controls/service.ts), the
// same path POST /api/controls takes for one, in batches so a long import can report its
// progress.
import { z } from 'zod';
import { CONTROL_TYPES, FUNCTIONAL_RANGES } from '../controls/schema.ts';
import { createControls } from '../controls/service.ts';
import type { Tx } from '../db/tenant.ts';
import { EXPORT_COLUMNS } from './export.ts';
import { type CheckedImport, inBatches } from './importer.ts';
import { nameCell, noNul, parseTable, rejected } from './table.ts';

const rowSchema = z.object({
  name: nameCell('name'),
  control_type: z.enum(CONTROL_TYPES, `control_type must be one of ${CONTROL_TYPES.join(', ')}`),
  functional_range: z.enum(
    FUNCTIONAL_RANGES,
    `functional_range must be one of ${FUNCTIONAL_RANGES.join(', ')}`,
  ),
  description: z
    .string()
    .max(5000, 'description is longer than 5000 characters')
    .refine(noNul, 'description contains a NUL character')
    .nullable(),
  provider: z
    .string()
    .trim()
    .max(200, 'provider is longer than 200 characters')
    .refine(noNul, 'provider contains a NUL character')
    .nullable(),
});

const spec = {
  noun: 'controls',
  required: ['name', 'control_type', 'functional_range'],
  optional: ['description', 'provider'],
  ignored: EXPORT_COLUMNS,
} as const;

/** Parses and checks the shape of every line; throws 400 listing every problem. */
export const parseImport = (text: string) =>
  parseTable(text, spec, ({ cell, optional }) =>
    rowSchema.safeParse({
      name: cell('name'),
      control_type: cell('control_type').trim().toLowerCase(),
      functional_range: cell('functional_range').trim().toLowerCase(),
      description: optional('description'),
      provider: optional('provider'),
    }),
  );

/** Checks the whole file (shape, then provider names); its `write` creates every control. */
export async function checkControlsImport(tx: Tx, text: string): Promise<CheckedImport> {
  const rows = parseImport(text);
  const names = [
    ...new Set(rows.flatMap((row) => (row.provider === null ? [] : [row.provider.toLowerCase()]))),
  ];
  const { rows: providers } = await tx.query<{ id: string; key: string }>(
    `SELECT id, lower(name) AS key FROM control_providers WHERE lower(name) = ANY($1::text[])`,
    [names],
  );
  const providerId = new Map(providers.map((provider) => [provider.key, provider.id]));
  const errors = rows
    .filter((row) => row.provider !== null && !providerId.has(row.provider.toLowerCase()))
    .map((row) => ({ line: row.line, problem: `No provider named "${row.provider}" in this organisation.` }));
  if (errors.length > 0) rejected(errors);
  const controls = rows.map((row) => ({
    name: row.name,
    description: row.description,
    control_type: row.control_type,
    functional_range: row.functional_range,
    primary_provider_id: row.provider === null ? null : providerId.get(row.provider.toLowerCase())!,
  }));
  return {
    count: controls.length,
    write: (writeTx, now, events, progress) =>
      inBatches(controls, progress, async (batch) => {
        await createControls(writeTx, batch, now, events);
      }),
  };
}
