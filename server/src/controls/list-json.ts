// Owns the plain controls list (GET /api/controls without `attention`) answered as JSON text
// written here straight from PostgreSQL's text of each value: timestamps and numerics are read
// as text (no Date or number objects for ~150 values a page) and written as the response
// schema's serializer would write the parsed value, so the answer is byte for byte the old one
// (test/controls/list-json.test.ts). Hand-written because no serializer takes a database's text
// form as its input. Rows come as arrays (no object per row), and the attention reasons are
// computed by the same rules from the same inputs as on the old path (strategies/attention.ts);
// only last_touched_at and the last audit are parsed for them. Measured against the
// alternatives (docs/architecture.md, "API read figures"): PostgreSQL writing each row with
// row_to_json cost it twice the statement's CPU on the same two cores, more than it saved here.
//
// A value this writer does not take by position — a timestamp outside years 1000–9999 or not in
// UTC (the session's TimeZone), ±infinity, a numeric NaN or beyond a double — sends the page
// down the old path (readControlList and the serializer), so every answer is still the old one.
import {
  type AttentionInput,
  type AttentionReason,
  attentionReasons,
  type CompetencyDates,
  type Quadrant,
  type SlaPerformance,
  strategyRules,
} from '@sertantai/core';
import pg from 'pg';
import type { TenantContext } from '../db/tenant.ts';
import { tenantRead } from '../db/tenant.ts';
import { isoOfTimestamptz, parseTimestamptz } from '../db/timestamptz.ts';
import { INPUT_COLUMNS, strategiesOf } from '../strategies/attention.ts';
import { SYNCABLE_TABLES } from '../sync/shapes.ts';
import { type ControlListPage, controlPageStatement, encodeCursor, readControlList } from './list.ts';
import type { ListControlsQuery } from './schema.ts';

const COLUMNS = Object.entries(SYNCABLE_TABLES.controls!.columns).map(([name, column]) => ({
  name,
  type: column.type as string,
}));

/** The list's answer: its JSON text, or the page for the route's serializer when a value is off the fast path. */
export type ControlListAnswer = { text: string } | { page: ControlListPage };

/** A value this writer does not take by position: the page goes down the old path. */
const OFF_PATH = Symbol('off the fast path');

/** A numeric's text as JSON writes the double pg's parser makes of it (Number.parseFloat). */
function numberOfNumeric(text: string): string | typeof OFF_PATH {
  const value = Number.parseFloat(text);
  return Number.isFinite(value) ? String(value) : OFF_PATH;
}

/** What JSON.stringify would escape: quotes, backslashes, control characters, any surrogate. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * A string as JSON.stringify writes it, half its cost for text with nothing to escape (most
 * names and messages): about 100 ns a value, ~300 values a page.
 */
const jsonString = (text: string) => (NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`);

/** How each column's value is written, by type: a small integer, so the loop below is one switch. */
const UUID = 0;
const TEXT = 1;
const BOOL = 2;
const TIMESTAMPTZ = 3;
const NUMERIC = 4;
const KIND_OF: Record<string, number> = {
  uuid: UUID,
  text: TEXT,
  bool: BOOL,
  timestamptz: TIMESTAMPTZ,
  numeric: NUMERIC,
};
const KINDS = COLUMNS.map(({ name, type }) => {
  const kind = KIND_OF[type];
  if (kind === undefined) throw new Error(`controls.${name}: no JSON writer for ${type}`);
  return kind;
});
/** `{"id":`, `,"organization_id":`, …: what precedes each value. */
const PREFIXES = COLUMNS.map(({ name }, i) => `${i === 0 ? '{' : ','}${JSON.stringify(name)}:`);

// The statement's select list (controlPageStatement): the columns in COLUMNS order, the sort key,
// then the attention inputs in INPUT_COLUMNS order; rows come as arrays in that order.
const column = (name: string) => COLUMNS.findIndex((c) => c.name === name);
const ID = column('id');
const QUADRANT = column('current_quadrant');
const LAST_TOUCHED = column('last_touched_at');
const SORT_KEY = COLUMNS.length;
const input = (name: (typeof INPUT_COLUMNS)[number]) => SORT_KEY + 1 + INPUT_COLUMNS.indexOf(name);
const STRATEGIES = input('_attention_strategies');
const LAST_AUDIT = input('_attention_last_audit_at');
const COMPETENCIES = input('_attention_competencies');
const SLAS = input('_attention_slas');

/** Timestamps and numerics of this read come as PostgreSQL's text; every other type as usual. */
const TEXT_TYPES = new Set<number>([pg.types.builtins.TIMESTAMPTZ, pg.types.builtins.NUMERIC]);
const asText = (text: string) => text;
const readAs = {
  rowMode: 'array' as const,
  types: {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      TEXT_TYPES.has(oid)
        ? asText
        : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
  },
};

/** A row's JSON text without its closing brace (attention follows), or OFF_PATH. */
function writeRow(row: unknown[]): string | typeof OFF_PATH {
  let text = '';
  for (let i = 0; i < KINDS.length; i++) {
    const value = row[i];
    let json: string | typeof OFF_PATH;
    if (value === null) json = 'null';
    else
      switch (KINDS[i]) {
        case UUID:
          json = `"${value}"`; // hex and dashes: nothing to escape
          break;
        case TEXT:
          json = jsonString(value as string);
          break;
        case BOOL:
          json = value ? 'true' : 'false';
          break;
        case TIMESTAMPTZ: {
          const iso = isoOfTimestamptz(value as string);
          json = iso === undefined ? OFF_PATH : `"${iso}"`;
          break;
        }
        default:
          json = numberOfNumeric(value as string);
      }
    if (json === OFF_PATH) return json;
    text += PREFIXES[i] + json;
  }
  return text;
}

/** One page of the plain list (no `attention` filter) as the answer's JSON text. */
export async function readControlListJson(
  pool: pg.Pool,
  context: TenantContext,
  query: ListControlsQuery,
  now: Date,
): Promise<ControlListAnswer> {
  if (query.attention !== undefined) return { page: await readControlList(pool, context, query, now) };
  const { sql, params } = controlPageStatement(query, now, { attention: true });
  const rows = (await tenantRead(pool, context, sql, params, readAs)) as unknown as unknown[][];
  const written: string[] = [];
  for (const row of rows) {
    const text = writeRow(row);
    if (text === OFF_PATH) return { page: await readControlList(pool, context, query, now) };
    written.push(text);
  }
  const rules = strategyRules(strategiesOf((rows[0]?.[STRATEGIES] as string | undefined) ?? null));
  let data = '';
  for (let i = 0; i < rows.length; i++) {
    const reasons = attentionReasons(attentionInput(rows[i]!), rules, now);
    data += `${i === 0 ? '' : ','}${written[i]},"attention":${attentionJson(reasons)}}`;
  }
  const last = rows[rows.length - 1];
  const nextCursor =
    rows.length === query.limit && last
      ? encodeCursor({ s: query.sort, k: last[SORT_KEY] as string, i: last[ID] as string })
      : null;
  return { text: `{"data":[${data}],"next_cursor":${JSON.stringify(nextCursor)}}` };
}

/** The reasons as the serializer writes them: `[{"code":…,"message":…},…]`. */
function attentionJson(reasons: readonly AttentionReason[]): string {
  if (reasons.length === 0) return '[]';
  let text = '[';
  for (let i = 0; i < reasons.length; i++) {
    const { code, message } = reasons[i]!;
    text += `${i === 0 ? '' : ','}{"code":${jsonString(code)},"message":${jsonString(message)}}`;
  }
  return `${text}]`;
}

const dateOf = (value: unknown) => (value === null ? null : (parseTimestamptz(value as string) as Date));

/**
 * What the attention rules read of a row (as attentionOfRows reads it from the old path's row),
 * its two timestamps parsed as that path parses them.
 */
function attentionInput(row: unknown[]): AttentionInput {
  return {
    quadrant: row[QUADRANT] as Quadrant,
    lastTouchedAt: dateOf(row[LAST_TOUCHED]),
    lastAuditAt: dateOf(row[LAST_AUDIT]),
    competencies: (row[COMPETENCIES] as CompetencyDates[] | null) ?? [],
    slas: (row[SLAS] as SlaPerformance[] | null) ?? [],
  };
}
