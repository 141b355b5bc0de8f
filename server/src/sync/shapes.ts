// Owns what a browser may sync: the allow-list of tables (the domain model's "Exposure to
// browsers"), each table's allow-listed columns with their PostgreSQL types, and the turning
// of a request's table/columns/where/params into a ShapeDefinition whose filter always starts
// with the caller's organisation as a bind parameter. Nothing outside these lists can be
// selected, filtered on or returned; users never carry password hashes, tokens or secrets.
import { createHash } from 'node:crypto';
import { isSyncedTable, type SyncedTable } from '@sertantai/core';
import { quoteIdent } from '../db/quote-ident.ts';
import type { ShapeDefinition } from './upstream.ts';
import {
  type ColumnType,
  type ColumnTypes,
  defaultWhereLimits,
  parseWhere,
  WhereError,
  type WhereLimits,
} from './where/index.ts';

export type ColumnInfo = { type: ColumnType; notNull: boolean };

export type TableSpec = {
  name: string;
  /** Column that carries the organisation: organization_id, or id for organizations. */
  orgColumn: string;
  primaryKey: string[];
  /** Allow-listed columns in table order: the only ones selectable or usable in where. */
  columns: Readonly<Record<string, ColumnInfo>>;
};

const nn = (type: ColumnType): ColumnInfo => ({ type, notNull: true });
const nullable = (type: ColumnType): ColumnInfo => ({ type, notNull: false });

const timestamps = { created_at: nn('timestamptz'), updated_at: nn('timestamptz') };

function table(name: string, columns: Record<string, ColumnInfo>, orgColumn = 'organization_id'): TableSpec {
  return { name, orgColumn, primaryKey: ['id'], columns };
}

/** Keyed by SYNCED_TABLES (@sertantai/core): a table missing here or not in that list does not compile. */
export const SYNCABLE_TABLES: Readonly<Record<SyncedTable, TableSpec>> = {
  controls: table('controls', {
    id: nn('uuid'),
    organization_id: nn('uuid'),
    name: nn('text'),
    description: nullable('text'),
    control_type: nn('text'),
    functional_range: nn('text'),
    primary_provider_id: nullable('uuid'),
    owned_by_user: nullable('uuid'),
    last_touched_at: nullable('timestamptz'),
    last_touched_by_user_id: nullable('uuid'),
    provider_distance: nullable('numeric'),
    current_quadrant: nn('text'),
    failure_probability: nullable('numeric'),
    requires_refresher_training: nn('bool'),
    ...timestamps,
  }),
  control_interactions: table('control_interactions', {
    id: nn('uuid'),
    organization_id: nn('uuid'),
    control_id: nn('uuid'),
    user_id: nullable('uuid'),
    interaction_type: nn('text'),
    duration_minutes: nullable('int4'),
    notes: nullable('text'),
    issues_found: nn('bool'),
    quadrant_before: nullable('text'),
    quadrant_after: nullable('text'),
    occurred_at: nn('timestamptz'),
    created_at: nn('timestamptz'),
  }),
  control_providers: table('control_providers', {
    id: nn('uuid'),
    organization_id: nn('uuid'),
    name: nn('text'),
    provider_type: nn('text'),
    contact_info: nn('jsonb'),
    is_user_themselves: nn('bool'),
    ...timestamps,
  }),
  quadrant_classifications: table('quadrant_classifications', {
    id: nn('uuid'),
    organization_id: nn('uuid'),
    control_id: nn('uuid'),
    quadrant: nn('text'),
    previous_quadrant: nullable('text'),
    time_since_touched_days: nullable('numeric'),
    provider_distance: nullable('numeric'),
    classified_at: nn('timestamptz'),
    reason: nn('text'),
  }),
  competency_records: table('competency_records', {
    id: nn('uuid'),
    organization_id: nn('uuid'),
    user_id: nn('uuid'),
    control_id: nn('uuid'),
    competency_level: nn('text'),
    last_training_date: nullable('date'),
    next_refresher_due: nullable('date'),
    training_hours: nullable('numeric'),
    certified_by: nullable('text'),
    certification_expires: nullable('date'),
    ...timestamps,
  }),
  organizational_traces: table('organizational_traces', {
    id: nn('uuid'),
    organization_id: nn('uuid'),
    control_id: nullable('uuid'),
    trace_type: nn('text'),
    description: nullable('text'),
    severity: nn('text'),
    recorded_by_user_id: nullable('uuid'),
    recorded_at: nn('timestamptz'),
    related_incident_id: nullable('uuid'),
    created_at: nn('timestamptz'),
    resolved_at: nullable('timestamptz'),
    resolved_by_user_id: nullable('uuid'),
    resolution: nullable('text'),
  }),
  // Only the caller's own organisation (filtered by id).
  organizations: table(
    'organizations',
    {
      id: nn('uuid'),
      name: nn('text'),
      slug: nn('text'),
      recent_threshold_days: nn('int4'),
      close_threshold_distance: nn('numeric'),
      ...timestamps,
    },
    'id',
  ),
  // The caller's organisation's members: never password_hash (nor any token or secret).
  users: table('users', {
    id: nn('uuid'),
    organization_id: nn('uuid'),
    email: nn('text'),
    name: nullable('text'),
    role: nn('text'),
    confirmed_at: nullable('timestamptz'),
    ...timestamps,
  }),
};

/** A request the client can fix: 400 with the field at fault. */
export class ShapeRequestError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'ShapeRequestError';
  }
}

/** A table that exists in the product but is never synced to browsers: 403. */
export class TableNotSyncable extends Error {
  constructor(readonly table: string) {
    super(`Table ${JSON.stringify(table)} cannot be synced.`);
    this.name = 'TableNotSyncable';
  }
}

export type ShapeRequest = {
  table: string | undefined;
  columns: string | undefined;
  where: string | undefined;
  params: Record<string, string>;
};

export type ElectricShapeParams = { table: string; columns: string; where: string; params: string[] };

export type BuiltShape = ShapeDefinition & {
  spec: TableSpec;
  /** The same shape as Electric's own parameters (table, columns, where, params[1..]). */
  electric: ElectricShapeParams;
};

export function tableSpec(name: string | undefined): TableSpec {
  if (name === undefined || name === '') throw new ShapeRequestError('table', 'table is required');
  // Accept `public.controls` and quoted names the client may send; nothing else.
  const match = /^(?:"?public"?\.)?"?([a-z_][a-z0-9_]*)"?$/.exec(name);
  const bare = match?.[1];
  const spec = isSyncedTable(bare) ? SYNCABLE_TABLES[bare] : undefined;
  if (!spec) throw new TableNotSyncable(name);
  return spec;
}

/** Parses Electric's `columns` (comma list, names optionally double-quoted with "" escapes). */
export function parseColumnList(text: string): string[] {
  const names: string[] = [];
  let i = 0;
  while (i <= text.length) {
    while (text[i] === ' ') i++;
    let name = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= text.length)
          throw new ShapeRequestError('columns', 'columns has an unterminated quoted name');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            name += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        name += text[i++];
      }
      while (text[i] === ' ') i++;
    } else {
      while (i < text.length && text[i] !== ',') name += text[i++];
      name = name.trim();
    }
    if (name === '') throw new ShapeRequestError('columns', 'columns has an empty name');
    names.push(name);
    if (i >= text.length) break;
    if (text[i] !== ',')
      throw new ShapeRequestError('columns', 'columns must be a comma-separated list of names');
    i++;
  }
  return names;
}

function selectedColumns(spec: TableSpec, requested: string | undefined): string[] {
  const allowed = Object.keys(spec.columns);
  if (requested === undefined) return allowed;
  const names = parseColumnList(requested);
  const unique = new Set(names);
  if (unique.size !== names.length) throw new ShapeRequestError('columns', 'columns lists a name twice');
  for (const name of names) {
    if (!Object.hasOwn(spec.columns, name)) {
      throw new ShapeRequestError(
        'columns',
        `column ${JSON.stringify(name)} cannot be synced from ${spec.name}`,
      );
    }
  }
  for (const key of spec.primaryKey) {
    if (!unique.has(key))
      throw new ShapeRequestError('columns', `columns must include the primary key (${key})`);
  }
  return allowed.filter((name) => unique.has(name));
}

/**
 * Builds the shape for one request: allow-listed table and columns, the organisation filter
 * `<org column> = $1` with the verified organisation as the parameter, AND-ed with the
 * client's where (re-rendered, parameters from $2 on). Throws ShapeRequestError (400),
 * TableNotSyncable (403) or WhereError (400, also when the where is over one of `limits`).
 */
export function buildShape(
  request: ShapeRequest,
  orgId: string,
  limits: WhereLimits = defaultWhereLimits,
): BuiltShape {
  const spec = tableSpec(request.table);
  const columns = selectedColumns(spec, request.columns);
  const types: Record<string, ColumnType> = {};
  for (const [name, info] of Object.entries(spec.columns)) types[name] = info.type;
  const where = request.where?.trim()
    ? parseWhere(request.where, types as ColumnTypes, request.params, limits)
    : undefined;

  const org = orgId.toLowerCase();
  const orgFilter = `${quoteIdent(spec.orgColumn)} = $1::uuid`;
  const pg = where?.renderSql(1);
  const electric = where?.renderSql(1, { collate: false });
  const sql = pg ? `${orgFilter} AND ${pg.sql}` : orgFilter;
  const params = [org, ...(pg?.values ?? [])];
  const orgColumn = spec.orgColumn;
  const key = createHash('sha256')
    .update(JSON.stringify([spec.name, columns, sql, params]))
    .digest('base64url');

  return {
    table: spec.name,
    columns,
    orgId: org,
    filter: {
      sql,
      params,
      matches: (row) => row[orgColumn] === org && (where ? where.evaluate(row) : true),
    },
    key,
    spec,
    electric: {
      table: spec.name,
      columns: columns.map(quoteIdent).join(','),
      where: electric ? `${orgFilter} AND ${electric.sql}` : orgFilter,
      params: [org, ...(electric?.values ?? [])],
    },
  };
}

/** Electric's `electric-schema` header value for the selected columns. */
export function electricSchema(spec: TableSpec, columns: string[]): Record<string, Record<string, unknown>> {
  const schema: Record<string, Record<string, unknown>> = {};
  for (const name of columns) {
    const info = spec.columns[name]!;
    const entry: Record<string, unknown> = { type: info.type };
    if (info.notNull) entry.not_null = true;
    const pk = spec.primaryKey.indexOf(name);
    if (pk >= 0) entry.pk_index = pk;
    schema[name] = entry;
  }
  return schema;
}

export { WhereError };
