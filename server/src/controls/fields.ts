// Owns the zod building blocks shared by the controls and providers routes, so every route
// refuses the same bad input the same way: NUL characters (PostgreSQL text cannot hold them),
// over-long strings, malformed uuids, and the error body shape used in the OpenAPI document.
import { z } from 'zod';

export const uuid = z.uuid({ message: 'must be a uuid' });

const noNul = (value: string) => !value.includes('\u0000');

/** A string of at most `max` characters without NUL. */
export const text = (max: number) =>
  z.string().max(max).refine(noNul, { message: 'must not contain NUL characters' });

/** A required, trimmed, non-empty name. */
export const name = (max = 200) =>
  z.string().trim().min(1, { message: 'must not be empty' }).max(max).refine(noNul, {
    message: 'must not contain NUL characters',
  });

export const idParams = z.object({ id: uuid }).strict();

export const errorBody = z.object({
  error: z.string(),
  code: z.string(),
  details: z.record(z.string(), z.unknown()),
});

/** Pagination shared by list routes: limit with offset, or an opaque cursor from next_cursor. */
export const pagination = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
  cursor: z.string().min(1).max(1000).optional(),
};

/** Nesting depth of a parsed JSON value, measured without recursion (deep input must not overflow). */
function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_JSON_DEPTH) return deepest;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return deepest;
}

const MAX_JSON_DEPTH = 16;

/**
 * A JSON object of at most 16 levels and ~16 KB, without NUL characters anywhere (jsonb
 * refuses \u0000, and PostgreSQL's stack refuses very deep documents: both must be 400s).
 */
export const jsonObject = z
  .record(z.string(), z.unknown())
  .refine((value) => jsonDepth(value) <= MAX_JSON_DEPTH, {
    message: `must nest at most ${MAX_JSON_DEPTH} levels`,
  })
  .refine((value) => jsonDepth(value) > MAX_JSON_DEPTH || JSON.stringify(value).length <= 16_384, {
    message: 'must be at most 16 KB',
  })
  .refine((value) => jsonDepth(value) > MAX_JSON_DEPTH || !JSON.stringify(value).includes('\\u0000'), {
    message: 'must not contain NUL characters',
  });
