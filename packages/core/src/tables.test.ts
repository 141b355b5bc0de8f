import { describe, expect, it } from 'vitest';
import { isSyncedTable, SYNCED_TABLES } from './tables.ts';

describe('isSyncedTable', () => {
  it('accepts the synced tables only, not what an object inherits or a qualified name', () => {
    for (const table of SYNCED_TABLES) expect(isSyncedTable(table)).toBe(true);
    for (const name of [
      'sessions',
      'audit_log',
      'constructor',
      '__proto__',
      'public.controls',
      '',
      undefined,
    ])
      expect(isSyncedTable(name)).toBe(false);
  });
});
