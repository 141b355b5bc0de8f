import { describe, expect, it } from 'vitest';
import { auditQuery, changes, subject } from './audit';

describe('audit rows in plain language', () => {
  it('lists the fields an update changed, without bookkeeping columns', () => {
    expect(
      changes({
        action: 'update',
        before: { id: 'x', frequency_days: 30, method: 'toolbox_talk', updated_at: 'a' },
        after: { id: 'x', frequency_days: 10, method: 'toolbox_talk', updated_at: 'b' },
      }),
    ).toEqual(['frequency_days: 30 → 10']);
    expect(changes({ action: 'insert', before: null, after: { name: 'n' } })).toEqual([]);
    expect(
      changes({ action: 'update', before: { notes: null }, after: { notes: 'x'.repeat(100) } })[0],
    ).toMatch(/^notes: — → x{57}…$/);
  });

  it('names the subject of a row', () => {
    expect(subject({ before: null, after: { name: 'Harness' } })).toBe('Harness');
    expect(subject({ before: { email: 'a@b.c' }, after: null })).toBe('a@b.c');
    expect(subject({ before: null, after: {} })).toBe('');
  });

  it('builds the query, leaving out empty filters and covering whole days', () => {
    const query = auditQuery({
      entity_type: 'controls',
      actor_user_id: '',
      action: '',
      from: '2026-02-01',
      to: '2026-02-01',
    });
    expect([...query.keys()]).toEqual(['entity_type', 'from', 'to']);
    expect(Date.parse(query.get('to')!) - Date.parse(query.get('from')!)).toBe(86_400_000);
  });
});
