// The LIKE matcher: the same answers as a plain dynamic-programming LIKE on random small
// patterns and texts, and pathological patterns finishing in a number of steps linear in the
// text (counted, not timed). Agreement with PostgreSQL itself: evaluate.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { likeMatch, type StepCounter } from './like.ts';

/** LIKE by the textbook O(text × pattern) table, the reference the fast matcher must agree with. */
function referenceLike(text: string, pattern: string): boolean {
  const t = [...text];
  const tokens: Array<{ any: true } | { one: true } | { char: string }> = [];
  const p = [...pattern];
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '\\') tokens.push({ char: p[++i] ?? '' });
    else if (p[i] === '%') tokens.push({ any: true });
    else if (p[i] === '_') tokens.push({ one: true });
    else tokens.push({ char: p[i]! });
  }
  let row = new Array<boolean>(t.length + 1).fill(false);
  row[0] = true;
  for (const token of tokens) {
    const next = new Array<boolean>(t.length + 1).fill(false);
    for (let j = 0; j <= t.length; j++) {
      if ('any' in token) next[j] = row[j]! || (j > 0 && next[j - 1]!);
      else if (j > 0 && row[j - 1]) next[j] = 'one' in token || token.char === t[j - 1];
    }
    row = next;
  }
  return row[t.length]!;
}

const alphabet = fc.constantFrom('a', 'b', 'é', '😀');
const patternChar = fc.constantFrom('a', 'b', 'é', '😀', '%', '_', '\\%', '\\_', '\\\\', '\\a');

describe('likeMatch', () => {
  it('agrees with the reference LIKE on random patterns (property)', () => {
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 12 }).map((a) => a.join('')),
        fc.array(patternChar, { maxLength: 8 }).map((a) => a.join('')),
        (text, pattern) => {
          expect(likeMatch(text, pattern)).toBe(referenceLike(text, pattern));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('handles anchors, escapes and code points', () => {
    expect(likeMatch('abc', 'abc')).toBe(true);
    expect(likeMatch('abcd', 'abc')).toBe(false);
    expect(likeMatch('', '')).toBe(true);
    expect(likeMatch('', '%')).toBe(true);
    expect(likeMatch('a', '')).toBe(false);
    expect(likeMatch('a%b', 'a\\%b')).toBe(true);
    expect(likeMatch('axb', 'a\\%b')).toBe(false);
    expect(likeMatch('a_b', 'a\\_b')).toBe(true);
    expect(likeMatch('axb', 'a\\_b')).toBe(false);
    expect(likeMatch('😀', '_')).toBe(true);
    expect(likeMatch('😀x', '_x')).toBe(true);
    expect(likeMatch('aba', '%a%a%')).toBe(true);
    expect(likeMatch('ab', '%a%a%')).toBe(false);
    expect(likeMatch('aXbYc', 'a%b%c')).toBe(true);
    expect(likeMatch('abab', '%ab_b')).toBe(true);
    expect(likeMatch('abb', '%ab_b')).toBe(false);
    expect(likeMatch('aabab', '%ab_b')).toBe(true);
  });

  describe('finishes pathological patterns in linear steps', () => {
    const text = 'a'.repeat(5000);
    const cases = [
      // The attack: quadratic for a backtracking or O(text × pattern) matcher.
      { name: "'%' + 'a'×2500 + 'b%'", pattern: `%${'a'.repeat(2500)}b%` },
      { name: 'many % segments', pattern: `${'%a'.repeat(1000)}%b` },
      { name: "'_' inside a long segment", pattern: `%${'a_'.repeat(1250)}b%` },
      { name: 'all single wildcards', pattern: `%${'_'.repeat(2500)}b` },
      { name: 'periodic pattern', pattern: `%${'aab'.repeat(800)}%` },
    ];
    for (const { name, pattern } of cases) {
      it(name, () => {
        const counter: StepCounter = { steps: 0 };
        const matched = likeMatch(text, pattern, counter);
        expect(matched).toBe(false);
        const m = pattern.length;
        // KMP: ≤ 2 × text; Shift-And: text × ⌈m / 32⌉; anchored segments: m.
        const bound = 2 * text.length * Math.ceil(m / 32) + 2 * m;
        expect(counter.steps).toBeLessThanOrEqual(bound);
        // The old matcher took text × pattern steps; this one must be far below that.
        expect(counter.steps).toBeLessThan((text.length * m) / 10);
      });
    }

    it('literal segments cost at most twice the text', () => {
      const counter: StepCounter = { steps: 0 };
      likeMatch(`${'a'.repeat(4999)}b`, `%${'a'.repeat(2500)}b%`, counter);
      expect(counter.steps).toBeLessThanOrEqual(2 * 5000);
    });
  });
});
