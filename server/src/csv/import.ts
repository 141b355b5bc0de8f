// Owns the register import: a CSV file (csv-parse) with a header row; name, control_type and
// functional_range required, description and provider (by name) optional; the other export
// columns are accepted and ignored so an exported file imports back. Every line is checked
// before anything is written: one bad line and the answer is 400 with every problem found, and
// nothing is written. Good files create the controls in bulk (create-many.ts), classified
// exactly as POST /api/controls classifies one.
import { CsvError, parse } from 'csv-parse/sync';
import { z } from 'zod';
import { CONTROL_TYPES, FUNCTIONAL_RANGES } from '../controls/schema.ts';
import type { Tx } from '../db/tenant.ts';
import { validationError } from '../http/errors.ts';
import { unprotectCell } from './cells.ts';
import { createControls } from './create-many.ts';
import { EXPORT_COLUMNS } from './export.ts';

export const MAX_IMPORT_ROWS = 10_000;
const REQUIRED = ['name', 'control_type', 'functional_range'] as const;
const OPTIONAL = ['description', 'provider'] as const;
const KNOWN = new Set<string>([...REQUIRED, ...OPTIONAL, ...EXPORT_COLUMNS]);

export type LineProblem = { line: number; problem: string };

const noNul = (value: string) => !value.includes('\u0000');
const rowSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'name must not be empty')
    .max(200, 'name is longer than 200 characters')
    .refine(noNul, 'name contains a NUL character'),
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
type ImportRow = z.infer<typeof rowSchema> & { line: number };

function rejected(errors: LineProblem[]): never {
  throw validationError(
    `The file was not imported: ${errors.length} problem${errors.length === 1 ? '' : 's'} found. Nothing was written.`,
    { errors },
  );
}

type Parsed = { record: string[]; info: { lines: number } };

/** Parses and checks the shape of every line; throws 400 listing every problem. */
export function parseImport(text: string): ImportRow[] {
  let parsed: Parsed[];
  try {
    parsed = parse(text, {
      bom: true,
      info: true,
      skip_empty_lines: true,
      relax_column_count: true,
    }) as unknown as Parsed[];
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const line = (error as CsvError & { lines?: number }).lines ?? 1;
    rejected([{ line, problem: `The file is not valid CSV: ${error.message}` }]);
  }
  const [header, ...records] = parsed;
  if (!header)
    rejected([{ line: 1, problem: 'The file is empty: it needs a header row and at least one control.' }]);
  const columns = header.record.map((cell) => cell.trim().toLowerCase());
  const headerProblems: LineProblem[] = [];
  for (const required of REQUIRED) {
    if (!columns.includes(required))
      headerProblems.push({ line: 1, problem: `The header has no ${required} column.` });
  }
  for (const column of columns) {
    if (!KNOWN.has(column)) headerProblems.push({ line: 1, problem: `Unknown column "${column}".` });
  }
  const duplicates = columns.filter((column, i) => columns.indexOf(column) !== i);
  for (const column of new Set(duplicates))
    headerProblems.push({ line: 1, problem: `The column "${column}" appears twice.` });
  if (headerProblems.length > 0) rejected(headerProblems);
  if (records.length === 0) rejected([{ line: 1, problem: 'The file has a header but no controls.' }]);
  if (records.length > MAX_IMPORT_ROWS) {
    rejected([
      {
        line: 1,
        problem: `The file has ${records.length} controls; import at most ${MAX_IMPORT_ROWS} at a time.`,
      },
    ]);
  }

  const errors: LineProblem[] = [];
  const rows: ImportRow[] = [];
  for (const { record, info } of records) {
    // info.lines is where the record ends; quoted fields may span lines.
    const line = info.lines - record.reduce((n, cell) => n + (cell.match(/\n/g)?.length ?? 0), 0);
    if (record.length !== columns.length) {
      errors.push({ line, problem: `Expected ${columns.length} fields, found ${record.length}.` });
      continue;
    }
    const cell = (column: string) => {
      const index = columns.indexOf(column);
      return index === -1 ? '' : unprotectCell(record[index]!);
    };
    const optional = (column: string) => (cell(column).trim() === '' ? null : cell(column));
    const result = rowSchema.safeParse({
      name: cell('name'),
      control_type: cell('control_type').trim().toLowerCase(),
      functional_range: cell('functional_range').trim().toLowerCase(),
      description: optional('description'),
      provider: optional('provider'),
    });
    if (result.success) rows.push({ ...result.data, line });
    else for (const issue of result.error.issues) errors.push({ line, problem: issue.message });
  }
  if (errors.length > 0) rejected(errors);
  return rows;
}

/**
 * Validates the whole file (shape, then provider names), then creates every control — or,
 * as a dry run, stops there and writes nothing. Either way a bad file is a 400 with every problem.
 */
export async function importControls(tx: Tx, text: string, now: Date, dryRun = false): Promise<number> {
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
  if (dryRun) return rows.length;
  await createControls(
    tx,
    rows.map((row) => ({
      name: row.name,
      description: row.description,
      control_type: row.control_type,
      functional_range: row.functional_range,
      primary_provider_id: row.provider === null ? null : providerId.get(row.provider.toLowerCase())!,
    })),
    now,
  );
  return rows.length;
}
