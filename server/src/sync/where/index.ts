// The client `where` of a shape (see parse.ts for what is accepted and why): the public API.

export { defaultWhereLimits, type WhereLimits } from '../../sync-settings.ts';
export { type ColumnType, type ColumnTypes, type Row, WhereError, type WhereLimit } from './ast.ts';
export { compareValues } from './compare.ts';
export { likeMatch, type StepCounter } from './like.ts';
export {
  loadWhereParser,
  MAX_WHERE_LENGTH,
  parseWhere,
  type RenderedSql,
  type RenderOptions,
  type WhereClause,
} from './parse.ts';
export { canonicalValue, timestampMicros } from './values.ts';
