// Values: input forms accepted, and the canonical PostgreSQL text form they are sent in; and
// PostgreSQL's timestamptz output read back as epoch microseconds (for ordering).
import type { ColumnType } from './ast.ts';

const MAX_VALUE_LENGTH = 10_000;

const UUID_INPUT = /^\{?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\}?$/i;
const DECIMAL_INPUT = /^\s*([+-])?(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d{1,4}))?\s*$/;
const TIMESTAMP_INPUT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$/;
const DATE_INPUT = /^(\d{4})-(\d{2})-(\d{2})$/;
const BOOL_INPUT: Record<string, string> = {
  t: 't',
  true: 't',
  y: 't',
  yes: 't',
  on: 't',
  '1': 't',
  f: 'f',
  false: 'f',
  n: 'f',
  no: 'f',
  off: 'f',
  '0': 'f',
};

/** The canonical text of `text` as a value of `type`, or why it is not one. */
export function canonicalValue(type: ColumnType, text: string): string | { error: string } {
  if (text.length > MAX_VALUE_LENGTH) return { error: `longer than ${MAX_VALUE_LENGTH} characters` };
  if (text.includes('\u0000')) return { error: 'contains a NUL character' };
  if (!(text as string & { isWellFormed(): boolean }).isWellFormed())
    return { error: 'is not valid Unicode' };
  switch (type) {
    case 'text':
      return text;
    case 'uuid': {
      const match = UUID_INPUT.exec(text.trim());
      if (!match) return { error: 'expected a UUID like 123e4567-e89b-12d3-a456-426614174000' };
      if (text.trim().startsWith('{') !== text.trim().endsWith('}')) return { error: 'unbalanced braces' };
      return match.slice(1).join('-').toLowerCase();
    }
    case 'bool': {
      const value = BOOL_INPUT[text.trim().toLowerCase()];
      return value ?? { error: 'expected true or false' };
    }
    case 'int2':
    case 'int4':
    case 'int8':
    case 'numeric': {
      const trimmed = text.trim();
      if (/^[+-]?(nan|infinity|inf)$/i.test(trimmed)) {
        const lower = trimmed.toLowerCase();
        return lower.includes('nan') ? 'NaN' : lower.startsWith('-') ? '-Infinity' : 'Infinity';
      }
      const decimal = parseDecimal(trimmed);
      if (!decimal) return { error: 'expected a number' };
      return formatDecimal(decimal);
    }
    case 'timestamptz': {
      const micros = parseTimestampInput(text.trim());
      if (typeof micros !== 'bigint' && typeof micros !== 'string') return micros;
      if (typeof micros === 'string') return micros;
      const formatted = formatTimestamp(micros);
      // After the zone shift the instant must still be a year 0001–9999 PostgreSQL reads back.
      if (!/^\d{4}-/.test(formatted) || formatted.startsWith('0000')) return { error: 'out of range' };
      return formatted;
    }
    case 'date': {
      const trimmed = text.trim();
      if (/^[+-]?infinity$/i.test(trimmed)) return trimmed.startsWith('-') ? '-infinity' : 'infinity';
      const match = DATE_INPUT.exec(trimmed);
      if (!match || !validDate(Number(match[1]), Number(match[2]), Number(match[3]))) {
        return { error: 'expected a date like 2024-01-31' };
      }
      return trimmed;
    }
    case 'jsonb':
      return { error: 'jsonb columns can only be tested with IS NULL' };
  }
}

export type Decimal = { mantissa: bigint; exponent: number };

export function parseDecimal(text: string): Decimal | undefined {
  const match = DECIMAL_INPUT.exec(text);
  if (!match) return undefined;
  const [, sign, digits, exp] = match;
  const [whole, fraction = ''] = digits!.split('.');
  const exponent = Number(exp ?? 0) - fraction.length;
  if (Math.abs(exponent) > 1000) return undefined;
  let mantissa = BigInt(`${whole || '0'}${fraction}`);
  if (sign === '-') mantissa = -mantissa;
  return { mantissa, exponent };
}

function formatDecimal({ mantissa, exponent }: Decimal): string {
  const negative = mantissa < 0n;
  let digits = (negative ? -mantissa : mantissa).toString();
  let text: string;
  if (exponent >= 0) text = digits + '0'.repeat(exponent);
  else {
    const scale = -exponent;
    if (digits.length <= scale) digits = '0'.repeat(scale - digits.length + 1) + digits;
    text = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  }
  return negative && /[1-9]/.test(text) ? `-${text}` : text;
}

function validDate(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const days = [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day <= days;
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Accepted timestamp input: ISO 8601 date or date-time; no zone means UTC. */
function parseTimestampInput(text: string): bigint | string | { error: string } {
  if (/^[+-]?infinity$/i.test(text)) return text.startsWith('-') ? '-infinity' : 'infinity';
  const match = TIMESTAMP_INPUT.exec(text);
  if (!match) return { error: 'expected an ISO 8601 timestamp like 2024-01-31T12:00:00Z' };
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', zone] = match;
  const year = Number(y);
  if (!validDate(year, Number(mo), Number(d))) return { error: 'not a real date' };
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return { error: 'not a real time' };
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== 'Z' && zone.toUpperCase() !== 'UTC') {
    const digits = zone.replace(':', '');
    const hours = Number(digits.slice(1, 3));
    const minutes = Number(digits.slice(3, 5) || '0');
    if (hours > 15 || minutes > 59) return { error: 'time zone offset out of range' };
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
  }
  return (
    epochMicros(year, Number(mo), Number(d), Number(h), Number(mi), Number(s), fraction) -
    BigInt(offsetMinutes) * 60_000_000n
  );
}

function epochMicros(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  fraction: string,
): bigint {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return BigInt(date.getTime()) * 1000n + BigInt(fraction.padEnd(6, '0').slice(0, 6) || '0');
}

function formatTimestamp(micros: bigint): string {
  const millis = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
  const rest = micros - millis * 1000n;
  const iso = new Date(Number(millis)).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return `${iso.slice(0, 23)}${rest.toString().padStart(3, '0')}+00:00`;
}

/** PostgreSQL's ISO output of timestamptz (any zone offset, optional BC) → epoch micros. */
const TIMESTAMP_OUTPUT =
  /^(\d{4,})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([+-])(\d{2})(?::?(\d{2}))?(?::?(\d{2}))?|Z)?( BC)?$/;

export function timestampMicros(text: string): bigint | 'infinity' | '-infinity' | undefined {
  if (text === 'infinity' || text === '-infinity') return text;
  const match = TIMESTAMP_OUTPUT.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, fraction = '', sign, oh = '0', om = '0', os = '0', bc] = match;
  const year = bc ? 1 - Number(y) : Number(y);
  const offset =
    (sign === '-' ? -1n : 1n) * BigInt(Number(oh) * 3600 + Number(om) * 60 + Number(os)) * 1_000_000n;
  return epochMicros(year, Number(mo), Number(d), Number(h), Number(mi), Number(s), fraction) - offset;
}
