import { describe, expect, it } from 'vitest';
import { QUADRANTS } from './quadrant.ts';
import {
  DEFAULT_NOTIFICATION_DAYS_BEFORE,
  DEFAULT_RULES,
  DEFAULT_STRATEGIES,
  strategyRules,
} from './strategies.ts';

describe('default strategies', () => {
  it('give one strategy per quadrant, and the default rules follow them', () => {
    expect(DEFAULT_STRATEGIES.map((s) => s.quadrant).sort()).toEqual([...QUADRANTS].sort());
    for (const strategy of DEFAULT_STRATEGIES) {
      expect(DEFAULT_RULES[strategy.quadrant]).toEqual({
        frequency_days: strategy.frequency_days,
        notification_days_before: DEFAULT_NOTIFICATION_DAYS_BEFORE,
      });
    }
  });
});

describe('strategyRules', () => {
  it("takes the organisation's strategy and the default for a quadrant it has none for", () => {
    const rules = strategyRules([{ quadrant: 'self', frequency_days: 5, notification_days_before: 1 }]);
    expect(rules.self).toEqual({ frequency_days: 5, notification_days_before: 1 });
    expect(rules.strange).toEqual(DEFAULT_RULES.strange);
  });

  it('reads numbers sent as text, a missing notification as the default, and skips unknown quadrants', () => {
    const rules = strategyRules([
      { quadrant: 'service', frequency_days: '3' },
      { quadrant: 'toString', frequency_days: 1 },
    ]);
    expect(rules.service).toEqual({ frequency_days: 3, notification_days_before: 7 });
    expect(Object.keys(rules).sort()).toEqual([...QUADRANTS].sort());
  });

  it('never changes the defaults it starts from', () => {
    strategyRules([{ quadrant: 'self', frequency_days: 1 }]).specialist.frequency_days = 2;
    expect(DEFAULT_RULES.self.frequency_days).toBe(30);
    expect(DEFAULT_RULES.specialist.frequency_days).toBe(90);
  });
});
