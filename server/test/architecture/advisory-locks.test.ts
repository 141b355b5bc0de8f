// Every advisory lock of the product takes its key from db/advisory-locks.ts, whose namespaces
// are distinct: two features can never wait on each other's lock by accident.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK_NAMESPACE, MIGRATION_LOCK, RUNTIME_ROLE_LOCK } from '../../src/db/advisory-locks.ts';

const SRC = path.resolve(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return full.endsWith('.ts') && !full.endsWith('.test.ts') ? [full] : [];
  });
}

describe('advisory locks', () => {
  it('gives every feature its own namespace', () => {
    const values = Object.values(LOCK_NAMESPACE);
    expect(new Set(values).size).toBe(values.length);
    expect(MIGRATION_LOCK).not.toBe(RUNTIME_ROLE_LOCK);
  });

  it('takes every key from db/advisory-locks.ts, never from a number written elsewhere', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(SRC)) {
      if (file.endsWith(path.join('db', 'advisory-locks.ts'))) continue;
      const text = readFileSync(file, 'utf8');
      const locks = /pg_(try_)?advisory_(xact_)?(un)?lock/.test(text);
      const importsTable = text.includes('advisory-locks.ts');
      // A lock key spelled as a literal: the 0x5e47_ block, or the bigint keys' 72_160_3xx.
      const literal = /0x5e47[0-9a-f]|72_?160_?30\d/i.test(text);
      if (literal || (locks && !importsTable)) offenders.push(path.relative(SRC, file));
    }
    expect(offenders).toEqual([]);
  });
});
