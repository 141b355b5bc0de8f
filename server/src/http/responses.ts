// Owns the response schemas every route shares: the contract's error shape for each 4xx and
// 5xx, the `{data}` and `{data, txid}` envelopes, the column types rows come back with, and the
// sending of a CSV download.
// A route's `response` schemas do two jobs: /api/docs documents every answer, and the zod
// serializer (app.ts) sends only the fields a schema names, so a column added to a table
// never leaks through `SELECT *` without being declared here first.
import type { FastifyReply } from 'fastify';
import { z } from 'zod';

/** {error, code, details}: every failure (http/errors.ts, http/error-handler.ts). */
export const errorBody = z.object({
  error: z.string().describe('For a person: what went wrong and what to do'),
  code: z.string().describe('UPPER_SNAKE, for code'),
  details: z.record(z.string(), z.unknown()),
});

/** The error shape for every client and server error a route can answer. */
export const errorResponses = { '4xx': errorBody, '5xx': errorBody } as const;

/** A route's answers: its success schemas plus the error shape for every 4xx and 5xx. */
export function responses<Success extends Record<number, z.ZodType>>(success: Success) {
  return { ...success, ...errorResponses };
}

/** 204: no body. */
export const noContent = z.undefined().describe('No content');

/** The transaction id a write committed in: the client waits for it on its sync stream. */
export const txid = z.number().int();

/** `{data}` around one row or a list. */
export const dataOf = <T extends z.ZodType>(data: T) => z.object({ data });

/** A write's answer, `{data, txid}` (http/tenant-context.ts writeInTenant). */
export const writtenOf = <T extends z.ZodType>(data: T) => z.object({ data, txid });

/** A timestamptz column: pg gives a Date, JSON carries its ISO 8601 text. */
export const timestamp = z.date();
/** A date column: kept as PostgreSQL's YYYY-MM-DD text (db/database.ts). */
export const date = z.string();
export const uuid = z.string();

const COLUMN_SCHEMAS = {
  uuid,
  text: z.string(),
  int2: z.number().int(),
  int4: z.number().int(),
  int8: z.number().int(),
  numeric: z.number(),
  bool: z.boolean(),
  timestamptz: timestamp,
  date,
  jsonb: z.unknown(),
} as const;

type ColumnType = keyof typeof COLUMN_SCHEMAS;
/** A column: its type and whether it is NOT NULL (sync/shapes.ts), or 'type' / 'type?' (nullable). */
type Column = { type: ColumnType; notNull: boolean } | ColumnType | `${ColumnType}?`;

function columnSchema(column: Column): z.ZodType {
  if (typeof column === 'object') {
    const schema = COLUMN_SCHEMAS[column.type];
    return column.notNull ? schema : schema.nullable();
  }
  const nullable = column.endsWith('?');
  const schema = COLUMN_SCHEMAS[column.replace('?', '') as ColumnType];
  return nullable ? schema.nullable() : schema;
}

/** The row a `SELECT *` of a table gives, from its columns in table order. */
export function rowOf(columns: Readonly<Record<string, Column>>) {
  return z.object(
    Object.fromEntries(Object.entries(columns).map(([name, column]) => [name, columnSchema(column)])),
  );
}

/** Sends `csv` as a download named `<stem>-<YYYY-MM-DD>.csv` (the UTC day of `now`), never cached. */
export function sendCsvDownload(reply: FastifyReply, stem: string, now: Date, csv: string) {
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${stem}-${now.toISOString().slice(0, 10)}.csv"`)
    .header('cache-control', 'no-store')
    .send(csv);
}
