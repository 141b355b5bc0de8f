import { describe, expect, it } from 'vitest';
import { isStalePreparedStatement, isUnkeptPreparedStatement, statementName } from './prepared.ts';

describe('statementName', () => {
  it('names a text once, the same name every time, and at most 64 texts per process', () => {
    const first = statementName('SELECT 1 /* 0 */');
    expect(statementName('SELECT 1 /* 0 */')).toBe(first);
    const names = new Set([first]);
    for (let i = 1; i < 64; i++) names.add(statementName(`SELECT 1 /* ${i} */`));
    expect(names.size).toBe(64);
    expect(names.has(undefined)).toBe(false);
    // Past the cap a new text runs unnamed; the named ones keep their names.
    expect(statementName('SELECT 1 /* 64 */')).toBeUndefined();
    expect(statementName('SELECT 1 /* 0 */')).toBe(first);
  });
});

describe('isStalePreparedStatement', () => {
  it('is PostgreSQL’s 0A000 for a prepared result that changed, nothing else', () => {
    expect(
      isStalePreparedStatement({ code: '0A000', message: 'cached plan must not change result type' }),
    ).toBe(true);
    expect(isStalePreparedStatement({ code: '0A000', message: 'feature not supported' })).toBe(false);
    expect(isStalePreparedStatement({ code: '57014', message: 'canceling statement' })).toBe(false);
    expect(isStalePreparedStatement(undefined)).toBe(false);
  });
});

describe('isUnkeptPreparedStatement', () => {
  it("is one of this app's names missing on, or already on, the server connection", () => {
    expect(
      isUnkeptPreparedStatement({
        code: '26000',
        message: 'prepared statement "sertantai_3" does not exist',
      }),
    ).toBe(true);
    expect(
      isUnkeptPreparedStatement({
        code: '42P05',
        message: 'prepared statement "sertantai_settings" already exists',
      }),
    ).toBe(true);
    expect(
      isUnkeptPreparedStatement({ code: '26000', message: 'prepared statement "other" does not exist' }),
    ).toBe(false);
    expect(isUnkeptPreparedStatement({ code: '0A000', message: 'cached plan must not change' })).toBe(false);
    expect(isUnkeptPreparedStatement(undefined)).toBe(false);
  });
});
