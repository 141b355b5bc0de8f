// Owns one round trip less before an on-demand page is drawn, and the rows tied with a page's
// last value never loaded. After each ordered, limited load TanStack DB (0.9,
// query/live/ordered-source-loader) asks for every row equal to the page's last sort value
// (`col = v`, no limit), so that a tie the limit cut off is not missed, and it holds the page's
// rows back until that answer. On a register sorted by a column many controls share (quadrant:
// four values; distance; risk) that request is most of the register. Here it is answered at
// once, without the server; every other request goes to the server as before.
//
// Why the page is right without it: the server orders a page by the sort column and then the
// primary key (server/src/sync/subset.ts), and TanStack DB orders rows of equal value by their
// key (db-ivm topKArray): one total order, the same on both sides (text in code point order,
// see register-query.ts). The answer is the filter's first `limit` rows in that order, so every
// row it left out, tied with the last value or not, sorts after all of them: none belongs in
// the page, whatever else the collection holds (rows of other loads, optimistic ones). Rows
// written after the answer arrive on the changes-only log like any other change. When the page
// later needs rows past its end (a row left it, or the filter was short), TanStack DB loads on
// with a cursor, and electric-db-collection asks for the rows tied with the cursor's value
// itself (`whereCurrent`), so no tie is skipped there either.
import { and, type LoadSubsetOptions } from '@tanstack/db';

export type LoadSubset = (options: LoadSubsetOptions) => true | Promise<void>;

/** What the proof reads: the collection's current rows, filtered, ordered and limited. */
export type OrderedRows = {
  currentStateAsChanges(options: {
    where?: LoadSubsetOptions['where'];
    orderBy?: LoadSubsetOptions['orderBy'];
    limit?: number;
    // biome-ignore lint/suspicious/noConfusingVoidType: TanStack DB's own signature (void when it cannot answer)
  }): Array<{ value: unknown }> | undefined | void;
};

type Proof = { where: unknown; path: readonly string[]; value: string | number | boolean; at: number };

/** A proof is for the tie request TanStack DB sends right after its page (same task or the next). */
const PROOF_LIFETIME_MS = 5_000;

type Expression = { type?: string; name?: string; args?: unknown[]; path?: unknown[]; value?: unknown };

function sameExpression(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const x = a as Expression;
  const y = b as Expression;
  if (x.type !== y.type) return false;
  if (x.type === 'val') return Object.is(x.value, y.value);
  if (x.type === 'ref') return JSON.stringify(x.path) === JSON.stringify(y.path);
  if (x.type !== 'func' || x.name !== y.name || x.args?.length !== y.args?.length) return false;
  return (x.args ?? []).every((arg, i) => sameExpression(arg, y.args?.[i]));
}

/** `ref = value`, as TanStack DB's cursor builds it (utils/cursor.ts buildCursorCurrent). */
function isEquality(expression: unknown, path: readonly string[], value: unknown): boolean {
  const e = expression as Expression | undefined;
  if (e?.type !== 'func' || e.name !== 'eq' || e.args?.length !== 2) return false;
  const [ref, val] = e.args as Expression[];
  return (
    ref?.type === 'ref' &&
    JSON.stringify(ref.path) === JSON.stringify(path) &&
    val?.type === 'val' &&
    Object.is(val.value, value)
  );
}

function isProvenTieRequest(options: LoadSubsetOptions, proof: Proof): boolean {
  if (options.limit !== undefined || options.orderBy !== undefined || options.cursor !== undefined)
    return false;
  const where = options.where as Expression | undefined;
  if (proof.where === undefined) return isEquality(where, proof.path, proof.value);
  return (
    where?.type === 'func' &&
    where.name === 'and' &&
    where.args?.length === 2 &&
    sameExpression(where.args[0], proof.where) &&
    isEquality(where.args[1], proof.path, proof.value)
  );
}

function valueAt(row: unknown, path: readonly string[]): unknown {
  let value = row;
  for (const key of path) value = (value as Record<string, unknown> | null | undefined)?.[key];
  return value;
}

/** The first order column of an ordered, limited load (a plain column), else undefined. */
function orderedColumn(options: LoadSubsetOptions): readonly string[] | undefined {
  const first = options.orderBy?.[0]?.expression as Expression | undefined;
  if (options.limit === undefined || options.limit <= 0 || first?.type !== 'ref') return undefined;
  return first.path as string[];
}

function proveLastValue(
  rows: OrderedRows,
  options: LoadSubsetOptions & { limit: number },
  path: readonly string[],
  now: number,
): Proof | undefined {
  const predicates = [options.where, options.cursor?.whereFrom].filter((p) => p !== undefined);
  const where = predicates.length === 2 ? and(predicates[0], predicates[1]) : predicates[0];
  const page = rows.currentStateAsChanges({ where, orderBy: options.orderBy, limit: options.limit });
  const last = valueAt(page?.at(-1)?.value, path);
  // A value TanStack DB asks ties for with another request than `col = v`: ask the server.
  if (typeof last !== 'string' && typeof last !== 'number' && typeof last !== 'boolean') return undefined;
  return { where: options.where, path, value: last, at: now };
}

/**
 * Wraps an on-demand collection's loadSubset: the tie request that follows an ordered, limited
 * load is answered locally (see above).
 */
export function answerProvenTiesLocally(
  loadSubset: LoadSubset,
  rows: OrderedRows,
  now: () => number = Date.now,
): LoadSubset {
  // Several live queries may load pages at once: one proof per finished page, each used once.
  let proofs: Proof[] = [];
  return (options) => {
    const at = now();
    proofs = proofs.filter((proof) => at - proof.at < PROOF_LIFETIME_MS);
    const proven = proofs.findIndex((proof) => isProvenTieRequest(options, proof));
    if (proven >= 0) {
      proofs.splice(proven, 1);
      return true;
    }
    const path = orderedColumn(options);
    if (!path) return loadSubset(options);
    const limit = options.limit as number;
    const prove = () => {
      const proof = proveLastValue(rows, { ...options, limit }, path, now());
      if (proof) proofs.push(proof);
    };
    const result = loadSubset(options);
    if (result === true) {
      prove();
      return true;
    }
    return result.then(prove);
  };
}
