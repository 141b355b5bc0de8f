import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AttentionInput,
  attentionReasons,
  competencyDueDate,
  isCompetencyDue,
  isOverdue,
  isSlaBreached,
  isSlaInForce,
  type SlaPerformance,
  type StrategyRules,
} from './attention.ts';
import { QUADRANTS } from './quadrant.ts';

const NOW = new Date('2026-06-01T12:00:00Z');
const daysAgo = (days: number) => new Date(NOW.getTime() - days * 86_400_000);

const RULES: StrategyRules = {
  self: { frequency_days: 30, notification_days_before: 7 },
  specialist: { frequency_days: 90, notification_days_before: 14 },
  service: { frequency_days: 7, notification_days_before: 7 },
  strange: { frequency_days: 180, notification_days_before: 7 },
};

const control = (overrides: Partial<AttentionInput>): AttentionInput => ({
  quadrant: 'self',
  lastTouchedAt: daysAgo(1),
  lastAuditAt: null,
  competencies: [],
  slas: [],
  ...overrides,
});
const codes = (input: AttentionInput, rules = RULES) =>
  attentionReasons(input, rules, NOW).map((r) => r.code);

const sla = (overrides: Partial<SlaPerformance>): SlaPerformance => ({
  service_name: 'Fire alarm service',
  uptime_percentage: 99,
  performance_current: 99.5,
  start_date: '2026-01-01',
  end_date: null,
  ...overrides,
});

describe('overdue', () => {
  it('is due after more than frequency_days of the quadrant', () => {
    expect(codes(control({ quadrant: 'self', lastTouchedAt: daysAgo(30) }))).toEqual([]);
    expect(codes(control({ quadrant: 'self', lastTouchedAt: daysAgo(30.01) }))).toEqual(['overdue']);
    expect(codes(control({ quadrant: 'service', lastTouchedAt: daysAgo(8) }))).toEqual(['overdue']);
    expect(codes(control({ quadrant: 'specialist', lastTouchedAt: daysAgo(89) }))).toEqual([]);
    expect(codes(control({ quadrant: 'specialist', lastTouchedAt: daysAgo(91) }))).toEqual(['overdue']);
  });

  it('counts never touched as overdue in every quadrant', () => {
    for (const quadrant of QUADRANTS) {
      const reasons = attentionReasons(control({ quadrant, lastTouchedAt: null }), RULES, NOW);
      expect(reasons[0]).toMatchObject({
        code: 'overdue',
        message: expect.stringContaining('Never touched'),
      });
    }
  });

  it("reads the organisation's strategy, not a fixed number", () => {
    const stricter = { ...RULES, self: { frequency_days: 5, notification_days_before: 1 } };
    expect(codes(control({ lastTouchedAt: daysAgo(6) }))).toEqual([]);
    expect(codes(control({ lastTouchedAt: daysAgo(6) }), stricter)).toEqual(['overdue']);
  });

  it('is monotone: once overdue, older stays overdue', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 5000, noNaN: true }),
        fc.double({ min: 0, max: 5000, noNaN: true }),
        fc.integer({ min: 1, max: 3650 }),
        (a, b, frequency) => {
          const [younger, older] = a < b ? [a, b] : [b, a];
          if (isOverdue(daysAgo(younger), frequency, NOW))
            expect(isOverdue(daysAgo(older), frequency, NOW)).toBe(true);
        },
      ),
    );
  });
});

describe('refresher due (Specialist)', () => {
  const inTouch = { quadrant: 'specialist' as const, lastTouchedAt: daysAgo(40) };

  it('is due when a refresher falls within notification_days_before', () => {
    const record = { next_refresher_due: '2026-06-15', certification_expires: null };
    expect(codes(control({ ...inTouch, competencies: [record] }))).toEqual(['refresher_due']);
    const later = { next_refresher_due: '2026-06-16', certification_expires: null };
    expect(codes(control({ ...inTouch, competencies: [later] }))).toEqual([]);
  });

  it('counts an already passed refresher and an expiring certification', () => {
    const passed = { next_refresher_due: '2025-01-01', certification_expires: null };
    const expiring = { next_refresher_due: null, certification_expires: '2026-06-03' };
    expect(codes(control({ ...inTouch, competencies: [passed] }))).toEqual(['refresher_due']);
    expect(codes(control({ ...inTouch, competencies: [expiring] }))).toEqual(['refresher_due']);
    expect(competencyDueDate({ next_refresher_due: '2026-09-01', certification_expires: '2026-07-01' })).toBe(
      '2026-07-01',
    );
  });

  it('ignores records without dates and controls outside Specialist', () => {
    const undated = { next_refresher_due: null, certification_expires: null };
    expect(codes(control({ ...inTouch, competencies: [undated] }))).toEqual([]);
    expect(isCompetencyDue(undated, 365, NOW)).toBe(false);
    const due = { next_refresher_due: '2026-06-02', certification_expires: null };
    expect(codes(control({ quadrant: 'self', competencies: [due] }))).toEqual([]);
  });
});

describe('SLA breached (Service)', () => {
  const recent = { quadrant: 'service' as const, lastTouchedAt: daysAgo(2) };

  it('is breached when performance_current < uptime_percentage', () => {
    expect(codes(control({ ...recent, slas: [sla({ performance_current: 98.9 })] }))).toEqual([
      'sla_breached',
    ]);
    expect(codes(control({ ...recent, slas: [sla({ performance_current: 99 })] }))).toEqual([]);
    expect(codes(control({ ...recent, slas: [sla({ performance_current: null })] }))).toEqual([]);
    expect(isSlaBreached({ uptime_percentage: 99.9, performance_current: 99.8 })).toBe(true);
  });

  it('only counts SLAs in force today', () => {
    const ended = sla({ performance_current: 50, start_date: '2025-01-01', end_date: '2026-05-31' });
    const future = sla({ performance_current: 50, start_date: '2026-06-02' });
    expect(isSlaInForce(ended, NOW)).toBe(false);
    expect(codes(control({ ...recent, slas: [ended, future] }))).toEqual([]);
    expect(isSlaInForce(sla({ start_date: '2026-06-01', end_date: '2026-06-01' }), NOW)).toBe(true);
  });

  it('names every breached SLA, and ignores SLAs outside Service', () => {
    const reasons = attentionReasons(
      control({
        ...recent,
        slas: [sla({ performance_current: 90 }), sla({ service_name: 'Lifts', performance_current: 80 })],
      }),
      RULES,
      NOW,
    );
    expect(reasons.map((r) => r.message)).toEqual([
      expect.stringContaining('Fire alarm service'),
      expect.stringContaining('Lifts'),
    ]);
    expect(codes(control({ quadrant: 'self', slas: [sla({ performance_current: 1 })] }))).toEqual([]);
  });
});

describe('audit overdue (Strange)', () => {
  const strange = { quadrant: 'strange' as const, lastTouchedAt: daysAgo(40) };

  it('is overdue with no inspect or test within the Strange frequency', () => {
    expect(codes(control({ ...strange, lastAuditAt: daysAgo(179) }))).toEqual([]);
    expect(codes(control({ ...strange, lastAuditAt: daysAgo(181) }))).toEqual(['audit_overdue']);
    expect(codes(control({ ...strange, lastAuditAt: null }))).toEqual(['audit_overdue']);
  });

  it('reports both overdue and audit overdue when neither has happened', () => {
    expect(codes(control({ quadrant: 'strange', lastTouchedAt: null, lastAuditAt: null }))).toEqual([
      'overdue',
      'audit_overdue',
    ]);
  });

  it('does not apply to other quadrants', () => {
    expect(codes(control({ quadrant: 'specialist', lastTouchedAt: daysAgo(40), lastAuditAt: null }))).toEqual(
      [],
    );
  });
});
