import { describe, expect, it } from 'vitest';
import { ROLES, roleAtLeast } from './roles.ts';

describe('roleAtLeast', () => {
  it('orders the roles as ROLES lists them, most powerful first', () => {
    ROLES.forEach((role, i) => {
      ROLES.forEach((minimum, j) => {
        expect(roleAtLeast(role, minimum)).toBe(i <= j);
      });
    });
  });
});
