// Owns reading an import file (csv-parse): a header row naming the columns, then one record per
// row. Every import (controls, providers, provider links) goes through here, so each checks its
// header the same way and reports every problem, by the line of the file it is on, all at once:
// one bad line and the answer is 400 listing all of them, and the importer writes nothing.
import { CsvError, parse } from 'csv-parse/sync';
import { z } from 'zod';
import { validationError } from '../http/errors.ts';
import { unprotectCell } from './cells.ts';

export const MAX_IMPORT_ROWS = 10_000;
/** Far more than any import names (the export has 11): a wider header is refused as one problem. */
export const MAX_IMPORT_COLUMNS = 64;

export type LineProblem = { line: number; problem: string };

export type TableSpec = {
  /** What one row is, plural, for messages ("controls"). */
  noun: string;
  required: readonly string[];
  optional: readonly string[];
  /** Accepted and ignored (an export's computed columns), so an exported file imports back. */
  ignored?: readonly string[];
};

/** Cells of one record by column; empty optional cells are null, the formula guard removed. */
export type Cells = { cell(column: string): string; optional(column: string): string | null };

export function rejected(errors: LineProblem[]): never {
  throw validationError(
    `The file was not imported: ${errors.length} problem${errors.length === 1 ? '' : 's'} found. Nothing was written.`,
    { errors },
  );
}

type Parsed = { record: string[]; info: { lines: number } };

function parseRecords(text: string): Parsed[] {
  try {
    return parse(text, {
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
}

function headerProblems(columns: string[], spec: TableSpec): LineProblem[] {
  const known = new Set<string>([...spec.required, ...spec.optional, ...(spec.ignored ?? [])]);
  const problems: LineProblem[] = [];
  for (const required of spec.required) {
    if (!columns.includes(required))
      problems.push({ line: 1, problem: `The header has no ${required} column.` });
  }
  for (const column of columns) {
    if (!known.has(column)) problems.push({ line: 1, problem: `Unknown column "${column}".` });
  }
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const column of columns) (seen.has(column) ? duplicates : seen).add(column);
  for (const column of duplicates)
    problems.push({ line: 1, problem: `The column "${column}" appears twice.` });
  return problems;
}

/**
 * Parses the file and checks every record with `toRow` (a zod schema's safeParse of the cells);
 * throws 400 listing every problem, or returns the rows with their line numbers.
 */
export function parseTable<T>(
  text: string,
  spec: TableSpec,
  toRow: (cells: Cells) => z.ZodSafeParseResult<T>,
): Array<T & { line: number }> {
  const [header, ...records] = parseRecords(text);
  if (!header)
    rejected([
      { line: 1, problem: `The file is empty: it needs a header row and at least one row of ${spec.noun}.` },
    ]);
  // Before anything looks at the columns: a header of 100,000 names would cost seconds of
  // checks and a problem list as large as the file.
  if (header.record.length > MAX_IMPORT_COLUMNS) {
    rejected([
      {
        line: 1,
        problem: `The header has ${header.record.length} columns; an import has at most ${MAX_IMPORT_COLUMNS}.`,
      },
    ]);
  }
  const columns = header.record.map((cell) => cell.trim().toLowerCase());
  const problems = headerProblems(columns, spec);
  if (problems.length > 0) rejected(problems);
  if (records.length === 0) rejected([{ line: 1, problem: `The file has a header but no ${spec.noun}.` }]);
  if (records.length > MAX_IMPORT_ROWS) {
    rejected([
      {
        line: 1,
        problem: `The file has ${records.length} ${spec.noun}; import at most ${MAX_IMPORT_ROWS} at a time.`,
      },
    ]);
  }

  const errors: LineProblem[] = [];
  const rows: Array<T & { line: number }> = [];
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
    const result = toRow({ cell, optional });
    if (result.success) rows.push({ ...result.data, line });
    else for (const issue of result.error.issues) errors.push({ line, problem: issue.message });
  }
  if (errors.length > 0) rejected(errors);
  return rows;
}

/** True when the text holds no NUL character (PostgreSQL text cannot store one). */
export const noNul = (value: string) => !value.includes('\u0000');

/** A required name cell (a control's, a provider's): trimmed, 1 to 200 characters, no NUL; messages name the column. */
export const nameCell = (column: string) =>
  z
    .string()
    .trim()
    .min(1, `${column} must not be empty`)
    .max(200, `${column} is longer than 200 characters`)
    .refine(noNul, `${column} contains a NUL character`);
