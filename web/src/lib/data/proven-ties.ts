// Owns one round trip less before an on-demand page is drawn. After each ordered, limited load
// TanStack DB (0.9, query/live/ordered-source-loader) asks for every row equal to the page's
// last sort value (`col = v`, no limit), so that a tie the limit cut off is not missed, and it
// holds the page's rows back until that answer. Asking the ordered load for one row more
// proves most of these requests unnecessary: when the row after the page's last has another
// value (or no row comes after it), every row with the last value was in the answer. That tie
// request is then answered at once here; every other request goes to the server as before.
//
// Why the proof holds: the collection holds at least the server's answer (the first limit + 1
// rows of the filter, in the server's order: text in code point order, as the client sorts,
// see register-query.ts), plus maybe rows of other loads or optimistic ones. If the local
// rows at positions limit and limit + 1 differ, at most `limit` local rows — so at most
// `limit` of the answer's — sort at or before the last value, so the answer's extra row sorts
// after it, and all rows with that value were in the answer. Rows written after the answer
// arrive on the changes-only log like any other change.
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
  const page = rows.currentStateAsChanges({ where, orderBy: options.orderBy, limit: options.limit + 1 });
  if (!page || page.length === 0) return undefined;
  const last = valueAt(page[Math.min(options.limit, page.length) - 1]?.value, path);
  // A tie across the page's end (or a value TanStack DB does not ask ties for): ask the server.
  if (page.length > options.limit && Object.is(valueAt(page[options.limit]?.value, path), last))
    return undefined;
  if (typeof last !== 'string' && typeof last !== 'number' && typeof last !== 'boolean') return undefined;
  return { where: options.where, path, value: last, at: now };
}

/**
 * Wraps an on-demand collection's loadSubset: ordered, limited loads ask for one row more, and
 * the tie request that follows one is answered locally when that row proves it unnecessary.
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
    const result = loadSubset({ ...options, limit: limit + 1 });
    if (result === true) {
      prove();
      return true;
    }
    return result.then(prove);
  };
}
