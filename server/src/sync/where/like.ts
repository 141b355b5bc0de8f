// LIKE and ILIKE as PostgreSQL runs them under COLLATE "C": by code point, backslash escapes,
// ASCII-only case folding for ILIKE — in time linear in the text, never O(text × pattern).
//
// A pattern is split at its `%` into segments of literal characters and `_`. The first segment
// must match at the start of the text, the last at its end, and the ones between are found in
// order, each at its leftmost place after the previous one: segments have a fixed length, so the
// leftmost match always leaves the most room for the rest and no backtracking is ever needed.
// A literal segment is searched with Knuth–Morris–Pratt (O(text + segment)); a segment with `_`
// with bit-parallel Shift-And (O(text × ⌈segment / 32⌉)). Written by hand: no library matches
// LIKE's semantics (code points, `\` escapes) with these bounds.
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

/** Counts the matcher's elementary steps (comparisons, word operations), for tests. */
export type StepCounter = { steps: number };

/** A code point, or ANY_ONE for `_`. */
const ANY_ONE = -1;

type Segment = {
  chars: Int32Array;
  /** Only `_`: matches any text of its length. */
  anyOnly?: boolean;
  /** KMP failure function, for literal segments. */
  failure?: Int32Array;
  /** Shift-And masks by code point (and `other` for the rest), for segments with `_`. */
  masks?: { byChar: Map<number, Uint32Array>; other: Uint32Array; words: number };
};

type CompiledLike = { segments: Segment[]; hasPercent: boolean };

const likeCache = new Map<string, CompiledLike>();

function compile(pattern: string): CompiledLike {
  const cached = likeCache.get(pattern);
  if (cached) return cached;
  const parts: number[][] = [[]];
  let hasPercent = false;
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i] as string;
    const current = parts.at(-1) as number[];
    if (char === '\\') current.push((chars[++i] ?? '').codePointAt(0) ?? 0);
    else if (char === '%') {
      hasPercent = true;
      if (current.length > 0 || parts.length === 1) parts.push([]);
    } else if (char === '_') current.push(ANY_ONE);
    else current.push(char.codePointAt(0) as number);
  }
  const compiled = { segments: parts.map(segmentOf), hasPercent };
  if (likeCache.size >= 1000) likeCache.clear();
  likeCache.set(pattern, compiled);
  return compiled;
}

function segmentOf(codes: number[]): Segment {
  const chars = Int32Array.from(codes);
  if (!codes.includes(ANY_ONE)) return { chars, failure: failureOf(chars) };
  if (codes.every((code) => code === ANY_ONE)) return { chars, anyOnly: true };
  const words = Math.ceil(chars.length / 32);
  const other = new Uint32Array(words);
  for (let j = 0; j < chars.length; j++) if (chars[j] === ANY_ONE) other[j >>> 5]! |= 1 << (j & 31);
  const byChar = new Map<number, Uint32Array>();
  for (let j = 0; j < chars.length; j++) {
    const code = chars[j] as number;
    if (code === ANY_ONE) continue;
    let mask = byChar.get(code);
    if (!mask) {
      mask = Uint32Array.from(other);
      byChar.set(code, mask);
    }
    mask[j >>> 5]! |= 1 << (j & 31);
  }
  return { chars, masks: { byChar, other, words } };
}

function failureOf(chars: Int32Array): Int32Array {
  const failure = new Int32Array(chars.length);
  let k = 0;
  for (let i = 1; i < chars.length; i++) {
    while (k > 0 && chars[i] !== chars[k]) k = failure[k - 1] as number;
    if (chars[i] === chars[k]) k++;
    failure[i] = k;
  }
  return failure;
}

let lastText = '';
let lastCodes = new Int32Array(0);

/** The text's code points (the last text is kept: a where often tests one column many times). */
function codePoints(text: string): Int32Array {
  if (text === lastText) return lastCodes;
  const codes = new Int32Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.codePointAt(i) as number;
    codes[n++] = code;
    if (code > 0xffff) i++;
  }
  lastText = text;
  lastCodes = codes.subarray(0, n);
  return lastCodes;
}

/** Whether the segment matches the text at `at` exactly. */
function matchesAt(text: Int32Array, at: number, segment: Segment, counter?: StepCounter): boolean {
  const { chars } = segment;
  if (counter) counter.steps += chars.length;
  for (let j = 0; j < chars.length; j++) {
    const code = chars[j] as number;
    if (code !== ANY_ONE && code !== text[at + j]) return false;
  }
  return true;
}

/** Leftmost start ≥ from of the segment within text[from, to), or -1. */
function find(text: Int32Array, from: number, to: number, segment: Segment, counter?: StepCounter): number {
  const { chars, failure, masks } = segment;
  const m = chars.length;
  if (m === 0 || (segment.anyOnly && to - from >= m)) return from;
  if (to - from < m) return -1;
  if (failure) {
    let k = 0;
    let steps = 0;
    for (let i = from; i < to; i++) {
      const code = text[i];
      while (k > 0 && chars[k] !== code) {
        k = failure[k - 1] as number;
        steps++;
      }
      steps++;
      if (chars[k] === code) k++;
      if (k === m) {
        if (counter) counter.steps += steps;
        return i - m + 1;
      }
    }
    if (counter) counter.steps += steps;
    return -1;
  }
  const { byChar, other, words } = masks as NonNullable<Segment['masks']>;
  const state = new Uint32Array(words);
  const lastWord = (m - 1) >>> 5;
  const lastBit = 1 << ((m - 1) & 31);
  for (let i = from; i < to; i++) {
    const mask = byChar.get(text[i] as number) ?? other;
    let carry = 1;
    for (let w = 0; w < words; w++) {
      const word = state[w] as number;
      state[w] = ((word << 1) | carry) & (mask[w] as number);
      carry = word >>> 31;
    }
    if (counter) counter.steps += words;
    if ((state[lastWord] as number) & lastBit) return i - m + 1;
  }
  return -1;
}

/**
 * Steps per character of text the pattern may cost: 1 with literal segments only (their searches
 * cover the text once between them), ⌈length / 32⌉ of its longest searched segment with `_`.
 */
export function likePasses(pattern: string): number {
  const { segments, hasPercent } = compile(pattern);
  let passes = 1;
  if (!hasPercent) return passes;
  for (let s = 1; s < segments.length - 1; s++) {
    const { masks } = segments[s] as Segment;
    if (masks) passes = Math.max(passes, masks.words);
  }
  return passes;
}

/** LIKE by code points, linear in the text for literal segments (see the header). */
export function likeMatch(text: string, pattern: string, counter?: StepCounter): boolean {
  const { segments, hasPercent } = compile(pattern);
  const codes = codePoints(text);
  const n = codes.length;
  const first = segments[0] as Segment;
  if (!hasPercent) return n === first.chars.length && matchesAt(codes, 0, first, counter);
  const last = segments.at(-1) as Segment;
  const start = first.chars.length;
  const end = n - last.chars.length;
  if (end < start) return false;
  if (!matchesAt(codes, 0, first, counter) || !matchesAt(codes, end, last, counter)) return false;
  let at = start;
  for (let s = 1; s < segments.length - 1; s++) {
    const segment = segments[s] as Segment;
    const found = find(codes, at, end, segment, counter);
    if (found < 0) return false;
    at = found + segment.chars.length;
  }
  return true;
}
