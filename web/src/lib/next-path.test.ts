import { describe, expect, it } from 'vitest';
import { nextPath } from './next-path';

describe('nextPath', () => {
  it('follows a path of this site and nothing else', () => {
    const at = (query: string) => nextPath(new URL(`http://app.test/sign-in${query}`));
    expect(at('?next=/controls')).toBe('/controls');
    expect(at('?next=/controls%3Fq%3Ddoor')).toBe('/controls?q=door');
    expect(at('')).toBe('/');
    for (const evil of [
      'https://evil.test',
      '//evil.test',
      '/\\evil.test',
      'javascript:alert(1)',
      'controls',
    ]) {
      expect(at(`?next=${encodeURIComponent(evil)}`), evil).toBe('/');
    }
  });
});
