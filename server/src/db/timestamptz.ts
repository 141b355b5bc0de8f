// Owns how a timestamptz column becomes a Date, or straight the text toISOString would write of
// that Date (the controls list, controls/list-json.ts). pg's own parser (pg-types) matches every value
// against regular expressions; a page of 50 controls has 150 of them (created, updated, last
// touched), about a tenth of the list read's CPU (bench/api.ts). A session in UTC — PostgreSQL's
// usual TimeZone, and the only case taken here — sends 'YYYY-MM-DD HH:MM:SS[.ffffff]+00', which
// is read by position. Any other text (another offset, BC, infinity, years before 1000 or
// after 9999) goes to pg's parser, so the answer is always the one pg would give.
import pg from 'pg';

const PLUS = 43;
const ZERO = 48;
const DASH = 45;
const SPACE = 32;
const DOT = 46;

/** pg's own parser (a Date; ±Infinity for ±infinity). */
export const pgTimestamptz: (text: string) => Date | number = pg.types.getTypeParser(
  pg.types.builtins.TIMESTAMPTZ,
);

/**
 * Whether `text` is a UTC session's 'YYYY-MM-DD HH:MM:SS[.ffffff]+00' with a four-digit year
 * from 1000, the only shape read by position here.
 */
function isUtcText(text: string): boolean {
  const n = text.length;
  // 22: no fraction; 29: six fraction digits.
  return (
    n >= 22 &&
    n <= 29 &&
    n !== 23 &&
    text.charCodeAt(n - 3) === PLUS &&
    text.charCodeAt(n - 2) === ZERO &&
    text.charCodeAt(n - 1) === ZERO &&
    text.charCodeAt(0) !== ZERO &&
    text.charCodeAt(4) === DASH &&
    text.charCodeAt(10) === SPACE &&
    (n === 22 || text.charCodeAt(19) === DOT)
  );
}

/** As pg's parser: the fraction in milliseconds, which Date.UTC cuts to an integer (microseconds dropped). */
const millisecondsOf = (text: string) =>
  text.length > 22 ? 1000 * Number.parseFloat(text.slice(19, text.length - 3)) : 0;

export function parseTimestamptz(text: string): Date | number {
  if (!isUtcText(text)) return pgTimestamptz(text);
  return new Date(
    Date.UTC(
      Number(text.slice(0, 4)),
      Number(text.slice(5, 7)) - 1,
      Number(text.slice(8, 10)),
      Number(text.slice(11, 13)),
      Number(text.slice(14, 16)),
      Number(text.slice(17, 19)),
      millisecondsOf(text),
    ),
  );
}

/**
 * The text Date#toISOString writes for the Date pg's parser makes of `text`, without making it
 * (controls/list-json.ts writes a list's ~150 timestamps a page this way); undefined for any
 * text not read by position.
 */
export function isoOfTimestamptz(text: string): string | undefined {
  if (!isUtcText(text)) return undefined;
  const milliseconds = String(Math.trunc(millisecondsOf(text))).padStart(3, '0');
  return `${text.slice(0, 10)}T${text.slice(11, 19)}.${milliseconds}Z`;
}
