// Ordering of two PostgreSQL text-format values of one column type, as PostgreSQL orders them
// (code points for text, exact decimals, time zones and infinities for time).
import type { ColumnType } from './ast.ts';
import { type Decimal, parseDecimal, timestampMicros } from './values.ts';

const timestampCache = new Map<string, ReturnType<typeof timestampMicros>>();
const decimalCache = new Map<string, Decimal | undefined>();

/** Parsed values by text: constants of a where are parsed once, not once per row. */
function memo<T>(cache: Map<string, T>, text: string, parse: (text: string) => T): T {
  if (cache.has(text)) return cache.get(text) as T;
  const value = parse(text);
  if (cache.size >= 10_000) cache.clear();
  cache.set(text, value);
  return value;
}

/** Orders two PostgreSQL text-format values of one type; undefined when one cannot be read. */
export function compareValues(type: ColumnType, a: string, b: string): number | undefined {
  switch (type) {
    case 'text':
      return compareCodePoints(a, b);
    case 'uuid':
      return compareCodePoints(a.toLowerCase(), b.toLowerCase());
    case 'bool':
      return Number(boolOf(a)) - Number(boolOf(b));
    case 'int2':
    case 'int4':
    case 'int8':
    case 'numeric':
      return compareNumeric(a, b);
    case 'timestamptz': {
      const x = memo(timestampCache, a, timestampMicros);
      const y = memo(timestampCache, b, timestampMicros);
      if (x === undefined || y === undefined) return undefined;
      return compareWithInfinity(x, y);
    }
    case 'date': {
      const x = dateNumber(a);
      const y = dateNumber(b);
      if (x === undefined || y === undefined) return undefined;
      return compareWithInfinity(x, y);
    }
    case 'jsonb':
      return undefined;
  }
}

function boolOf(text: string): boolean {
  return text === 't' || text === 'true';
}

function compareWithInfinity<T extends bigint | number>(
  x: T | 'infinity' | '-infinity',
  y: T | 'infinity' | '-infinity',
): number {
  const rank = (v: typeof x) => (v === '-infinity' ? -1 : v === 'infinity' ? 1 : 0);
  const rx = rank(x);
  const ry = rank(y);
  if (rx !== 0 || ry !== 0) return Math.sign(rx - ry);
  return x < y ? -1 : x > y ? 1 : 0;
}

function dateNumber(text: string): number | 'infinity' | '-infinity' | undefined {
  if (text === 'infinity' || text === '-infinity') return text;
  const match = /^(\d{4,})-(\d{2})-(\d{2})( BC)?$/.exec(text);
  if (!match) return undefined;
  const year = match[4] ? 1 - Number(match[1]) : Number(match[1]);
  return year * 10_000 + Number(match[2]) * 100 + Number(match[3]);
}

function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 order differs from code point order only when a surrogate meets U+E000..U+FFFF.
    const cx = a.codePointAt(i)!;
    const cy = b.codePointAt(i)!;
    return cx < cy ? -1 : cx > cy ? 1 : x < y ? -1 : 1;
  }
  return a.length - b.length === 0 ? 0 : a.length < b.length ? -1 : 1;
}

/** numeric ordering: -Infinity < finite < Infinity < NaN, and NaN = NaN. */
function compareNumeric(a: string, b: string): number | undefined {
  const rank = (text: string) =>
    text === 'NaN' ? 3 : text === 'Infinity' ? 2 : text === '-Infinity' ? 0 : 1;
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== 1 || rb !== 1) return Math.sign(ra - rb);
  const x = memo(decimalCache, a, parseDecimal);
  const y = memo(decimalCache, b, parseDecimal);
  if (!x || !y) return undefined;
  const scale = Math.min(x.exponent, y.exponent);
  const mx = x.mantissa * 10n ** BigInt(x.exponent - scale);
  const my = y.mantissa * 10n ** BigInt(y.exponent - scale);
  return mx < my ? -1 : mx > my ? 1 : 0;
}
