// The resource limits of a client where, so that routing every replicated change through it stays
// cheap: the length of each LIKE pattern, the bytes of all params, and an estimated cost per row.
// Cost units: a LIKE/ILIKE counts LIKE_COST for each pass it makes over the row's value (one,
// or ⌈length / 32⌉ of its longest searched segment containing `_`: see likePasses) plus its
// pattern's length; an IN counts one per listed value; any other condition counts 1. So the
// budget bounds the work per row: about maxCost / LIKE_COST steps per character of text.
import type { WhereLimits } from '../../sync-settings.ts';
import type { Node } from './ast.ts';
import { WhereError } from './ast.ts';
import { likePasses } from './like.ts';

export const LIKE_COST = 100;

const count = (n: number) => n.toLocaleString('en-US');

export function checkLikePatternLength(pattern: string, column: string, limits: WhereLimits) {
  const length = [...pattern].length;
  if (length > limits.maxLikePatternLength) {
    throw new WhereError(
      `the LIKE pattern for ${column} is ${count(length)} characters long; patterns are limited to ${count(limits.maxLikePatternLength)} characters`,
      'where',
      'pattern_too_long',
    );
  }
}

export function checkParamsSize(params: Record<string, string>, limits: WhereLimits) {
  let bytes = 0;
  for (const value of Object.values(params)) bytes += Buffer.byteLength(value);
  if (bytes > limits.maxParamsBytes) {
    throw new WhereError(
      `params hold ${count(bytes)} bytes in total; a shape's params are limited to ${count(limits.maxParamsBytes)} bytes`,
      'params',
      'params_too_large',
    );
  }
}

/** The estimated cost of evaluating the where on one row. */
export function whereCost(node: Node): number {
  switch (node.kind) {
    case 'and':
    case 'or':
      return node.args.reduce((sum, arg) => sum + whereCost(arg), 0);
    case 'not':
      return whereCost(node.arg);
    case 'in':
      return Math.max(1, node.list.length);
    case 'like': {
      const pattern = node.pattern.kind === 'value' ? (node.pattern.value ?? '') : '';
      return LIKE_COST * likePasses(pattern) + pattern.length;
    }
    default:
      return 1;
  }
}

export function checkWhereCost(root: Node, limits: WhereLimits) {
  const cost = whereCost(root);
  if (cost > limits.maxCost) {
    throw new WhereError(
      `where is too costly to evaluate on every change: its estimated cost is ${count(cost)} and the limit is ${count(limits.maxCost)} ` +
        `(each LIKE/ILIKE counts ${LIKE_COST} per pass over the text plus its pattern's length, each IN value 1, any other condition 1); use fewer or shorter LIKE patterns`,
      'where',
      'where_too_costly',
    );
  }
}
