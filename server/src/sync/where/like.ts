// LIKE and ILIKE as PostgreSQL runs them under COLLATE "C": by code point, backslash escapes,
// ASCII-only case folding for ILIKE.
import { WhereError } from './ast.ts';

export function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/** A LIKE pattern may not end with its escape character (PostgreSQL refuses it). */
export function checkLikePattern(pattern: string) {
  let escaped = false;
  for (const char of pattern) escaped = !escaped && char === '\\';
  if (escaped) throw new WhereError('a LIKE pattern must not end with a backslash');
}

type LikeToken = { kind: 'char'; char: string } | { kind: 'one' } | { kind: 'any' };

const likeCache = new Map<string, LikeToken[]>();

function likeTokens(pattern: string): LikeToken[] {
  const cached = likeCache.get(pattern);
  if (cached) return cached;
  const tokens: LikeToken[] = [];
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i]!;
    if (char === '\\') tokens.push({ kind: 'char', char: chars[++i] ?? '' });
    else if (char === '%') {
      if (tokens.at(-1)?.kind !== 'any') tokens.push({ kind: 'any' });
    } else if (char === '_') tokens.push({ kind: 'one' });
    else tokens.push({ kind: 'char', char });
  }
  if (likeCache.size > 1000) likeCache.clear();
  likeCache.set(pattern, tokens);
  return tokens;
}

/** LIKE by code points in O(text × pattern) at worst (no regular-expression backtracking). */
export function likeMatch(text: string, pattern: string): boolean {
  const tokens = likeTokens(pattern);
  const chars = [...text];
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;
  while (t < chars.length) {
    const token = tokens[p];
    if (token && (token.kind === 'one' || (token.kind === 'char' && token.char === chars[t]))) {
      t++;
      p++;
    } else if (token?.kind === 'any') {
      starP = p++;
      starT = t;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else return false;
  }
  while (tokens[p]?.kind === 'any') p++;
  return p === tokens.length;
}
