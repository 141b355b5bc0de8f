import { type Control, DEFAULT_RULES, strategyRules } from '@sertantai/core';
import { describe, expect, it } from 'vitest';
import { attentionById, attentionList, attentionTop, controlOverdue } from './attention';

const NOW = new Date('2026-11-28T12:00:00Z');
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000).toISOString();
const control = (
  id: string,
  quadrant: Control['current_quadrant'],
  touched: string | null,
  p = 0.1,
): Control => ({
  id,
  organization_id: 'o',
  name: id,
  description: null,
  control_type: 'physical',
  functional_range: 'narrow',
  primary_provider_id: null,
  owned_by_user: null,
  last_touched_at: touched,
  last_touched_by_user_id: null,
  provider_distance: null,
  current_quadrant: quadrant,
  failure_probability: p,
  requires_refresher_training: false,
  created_at: daysAgo(400),
  updated_at: daysAgo(1),
});

describe('attention on the client', () => {
  it('flags overdue controls against their quadrant frequency', () => {
    expect(controlOverdue(control('a', 'self', daysAgo(10)), DEFAULT_RULES, NOW)).toBeUndefined();
    expect(controlOverdue(control('b', 'self', daysAgo(31)), DEFAULT_RULES, NOW)?.message).toContain(
      '31 days',
    );
    expect(controlOverdue(control('c', 'strange', null), DEFAULT_RULES, NOW)?.message).toMatch(
      /Never touched/,
    );
    expect(controlOverdue(control('d', 'service', daysAgo(8)), DEFAULT_RULES, NOW)).toBeDefined();
  });

  it("uses the organisation's strategies when known", () => {
    const rules = strategyRules([{ quadrant: 'self', frequency_days: 5, notification_days_before: 1 }]);
    expect(controlOverdue(control('a', 'self', daysAgo(6)), rules, NOW)).toBeDefined();
    expect(rules.strange.frequency_days).toBe(180);
  });

  it('merges the server reasons, keeps the local overdue rule, and puts the most urgent first', () => {
    const server = new Map([
      [
        'b',
        [
          { code: 'overdue', message: 'stale server copy' },
          { code: 'sla_breached', message: 'SLA breached' },
        ],
      ],
      ['a', [{ code: 'overdue', message: 'stale: touched since' }]],
    ]);
    const list = attentionList(
      [
        control('a', 'self', daysAgo(1)),
        control('b', 'service', daysAgo(9), 0.2),
        control('c', 'self', daysAgo(40), 0.9),
      ],
      DEFAULT_RULES,
      server,
      NOW,
    );
    expect(list.map((item) => item.control.id)).toEqual(['b', 'c']);
    expect(list[0]!.reasons.map((r) => r.code)).toEqual(['overdue', 'sla_breached']);
    expect(list[0]!.reasons[0]!.message).not.toContain('stale');
  });

  it('attentionById answers the same reasons per control, for the controls that need attention', () => {
    const server = new Map([['b', [{ code: 'sla_breached', message: 'SLA breached' }]]]);
    const controls = [
      control('a', 'self', daysAgo(1)),
      control('b', 'service', daysAgo(9), 0.2),
      control('c', 'self', daysAgo(40), 0.9),
    ];
    const byId = attentionById(controls, DEFAULT_RULES, server, NOW);
    const list = attentionList(controls, DEFAULT_RULES, server, NOW);
    expect([...byId.keys()].sort()).toEqual(['b', 'c']);
    for (const item of list) expect(byId.get(item.control.id)).toEqual(item.reasons);
  });

  it("attentionTop counts them all and keeps the most urgent in attentionList's order, without sorting them all", () => {
    const quadrants = ['self', 'specialist', 'service', 'strange'] as const;
    const controls = Array.from({ length: 400 }, (_, i) =>
      control(
        `c${(i * 7919) % 400}`,
        quadrants[i % 4]!,
        i % 3 === 0 ? null : daysAgo((i * 13) % 200),
        [0.1, 0.5, 0.9][i % 3]!,
      ),
    );
    const server = new Map([
      ['c5', [{ code: 'sla', message: 'SLA missed' }]],
      ['c17', [{ code: 'audit', message: 'Audit due' }]],
    ]);
    const all = attentionList(controls, DEFAULT_RULES, server, NOW);
    for (const limit of [1, 50, 1000]) {
      const { count, top } = attentionTop(controls, DEFAULT_RULES, server, NOW, limit);
      expect(count).toBe(all.length);
      expect(top.map((item) => item.control.id)).toEqual(all.slice(0, limit).map((item) => item.control.id));
    }
  });
});
