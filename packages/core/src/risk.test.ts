import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QUADRANTS } from './quadrant.ts';
import { ageRatio, FAILURE_THRESHOLD, type RiskInput, scoreRisk } from './risk.ts';

const NOW = new Date('2026-06-01T12:00:00Z');

const base: RiskInput = {
  daysSinceTouched: 10,
  quadrant: 'self',
  frequencyDays: 30,
  providerDistance: 1,
  functionalRange: 'narrow',
  incidents90: 0,
  defectTraces90: 0,
  traces90: 0,
  issuesFound90: 0,
  interactions90: 2,
};

const inputArb: fc.Arbitrary<RiskInput> = fc.record({
  daysSinceTouched: fc.option(fc.integer({ min: 0, max: 2000 }), { nil: null }),
  quadrant: fc.constantFrom(...QUADRANTS),
  frequencyDays: fc.integer({ min: 1, max: 3650 }),
  providerDistance: fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: null }),
  functionalRange: fc.constantFrom('narrow' as const, 'wide' as const),
  incidents90: fc.integer({ min: 0, max: 50 }),
  defectTraces90: fc.integer({ min: 0, max: 50 }),
  traces90: fc.integer({ min: 0, max: 100 }),
  issuesFound90: fc.integer({ min: 0, max: 50 }),
  interactions90: fc.integer({ min: 0, max: 100 }),
});
const p = (input: RiskInput) => scoreRisk(input, NOW).failure_probability;

describe('risk score: worked examples (docs/risk-model.md)', () => {
  it('a recently used, close, narrow control scores low', () => {
    // 0.02 + 0.30×(10/30) + 0.04×1 = 0.02 + 0.10 + 0.04 = 0.16
    const result = scoreRisk(base, NOW);
    expect(result.failure_probability).toBe(0.16);
    expect(result.model_version).toBe('points-v1');
    expect(result.confidence_score).toBe(0.9); // 0.4 + 0.2 + 0.2 + 0.05×2
  });

  it('adds every term as documented', () => {
    const result = scoreRisk(
      {
        ...base,
        daysSinceTouched: 45,
        frequencyDays: 90,
        providerDistance: 2.5,
        functionalRange: 'wide',
        incidents90: 1,
        defectTraces90: 2,
        issuesFound90: 1,
      },
      NOW,
    );
    // 0.02 + 0.30×0.5 + 0.04×2.5 + 0.12 + 0.06 + 0.06 + 0.05 = 0.56
    expect(result.failure_probability).toBe(0.56);
    const points = Object.fromEntries(result.explanation.terms.map((t) => [t.term, t.points]));
    expect(points).toEqual({
      base: 0.02,
      age: 0.15,
      distance: 0.1,
      incidents: 0.12,
      defects: 0.06,
      issues: 0.06,
      range: 0.05,
    });
    expect(result.predicted_failure_date).toBe('2026-06-01'); // already above 0.5
  });

  it('never touched and unreachable counts at the caps', () => {
    const result = scoreRisk(
      { ...base, daysSinceTouched: null, providerDistance: null, interactions90: 0 },
      NOW,
    );
    // 0.02 + 0.60 + 0.20 = 0.82
    expect(result.failure_probability).toBe(0.82);
    expect(result.confidence_score).toBe(0.4);
  });

  it('caps counts and clamps the sum to 1', () => {
    const result = scoreRisk(
      {
        ...base,
        daysSinceTouched: null,
        providerDistance: null,
        functionalRange: 'wide',
        incidents90: 40,
        defectTraces90: 40,
        issuesFound90: 40,
      },
      NOW,
    );
    expect(result.failure_probability).toBe(1);
    expect(result.explanation.sum).toBeCloseTo(1.62, 6);
  });

  it('predicts the day ageing alone reaches the threshold', () => {
    // score now 0.16; needs 0.34 more = 0.34/0.30 intervals of 30 days = 34 days
    expect(scoreRisk(base, NOW).predicted_failure_date).toBe('2026-07-05');
  });

  it('always predicts a date: base + the age cap (0.62) is above the threshold', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        expect(scoreRisk(input, NOW).predicted_failure_date).not.toBeNull();
      }),
    );
    expect(ageRatio(0, 3650)).toBe(0);
  });
});

describe('risk score: properties', () => {
  it('stays within [0, 1] with a confidence within [0, 1]', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = scoreRisk(input, NOW);
        expect(result.failure_probability).toBeGreaterThanOrEqual(0);
        expect(result.failure_probability).toBeLessThanOrEqual(1);
        expect(result.confidence_score).toBeGreaterThanOrEqual(0);
        expect(result.confidence_score).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('older → never lower risk, and never a later predicted failure', () => {
    fc.assert(
      fc.property(inputArb, fc.integer({ min: 0, max: 2000 }), (input, extra) => {
        const older: RiskInput = {
          ...input,
          daysSinceTouched: input.daysSinceTouched === null ? null : input.daysSinceTouched + extra,
        };
        expect(p(older)).toBeGreaterThanOrEqual(p(input));
        const before = scoreRisk(input, NOW).predicted_failure_date;
        const after = scoreRisk(older, NOW).predicted_failure_date;
        if (before !== null) expect(after !== null && after <= before).toBe(true);
      }),
    );
  });

  it('never touched is at least as risky as any touched age', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        expect(p({ ...input, daysSinceTouched: null })).toBeGreaterThanOrEqual(p(input));
      }),
    );
  });

  it('more distant → never lower risk; unreachable is the most distant', () => {
    fc.assert(
      fc.property(inputArb, fc.double({ min: 0, max: 100, noNaN: true }), (input, extra) => {
        const distance = input.providerDistance;
        const farther = { ...input, providerDistance: distance === null ? null : distance + extra };
        expect(p(farther)).toBeGreaterThanOrEqual(p(input));
        expect(p({ ...input, providerDistance: null })).toBeGreaterThanOrEqual(p(input));
      }),
    );
  });

  it('more incidents, defects or issues → never lower risk', () => {
    fc.assert(
      fc.property(inputArb, fc.integer({ min: 0, max: 20 }), (input, extra) => {
        expect(p({ ...input, incidents90: input.incidents90 + extra })).toBeGreaterThanOrEqual(p(input));
        expect(p({ ...input, defectTraces90: input.defectTraces90 + extra })).toBeGreaterThanOrEqual(
          p(input),
        );
        expect(p({ ...input, issuesFound90: input.issuesFound90 + extra })).toBeGreaterThanOrEqual(p(input));
      }),
    );
  });

  it('a wide functional range → never lower risk than a narrow one', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        expect(p({ ...input, functionalRange: 'wide' })).toBeGreaterThanOrEqual(
          p({ ...input, functionalRange: 'narrow' }),
        );
      }),
    );
  });

  it('explains itself: the terms add up to the sum, and the score is the clamped sum', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const { explanation, failure_probability } = scoreRisk(input, NOW);
        const total = explanation.terms.reduce((sum, term) => sum + term.points, 0);
        expect(explanation.sum).toBeCloseTo(total, 4);
        expect(Math.abs(failure_probability - Math.min(1, total))).toBeLessThanOrEqual(0.005 + 1e-9);
      }),
    );
  });

  it('predicts today exactly when the score is at or above the threshold', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const result = scoreRisk(input, NOW);
        if (result.explanation.sum >= FAILURE_THRESHOLD)
          expect(result.predicted_failure_date).toBe('2026-06-01');
        else if (result.predicted_failure_date !== null)
          expect(result.predicted_failure_date > '2026-06-01').toBe(true);
      }),
    );
  });

  it('the predicted date is when the score really crosses the threshold', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        if (input.daysSinceTouched === null) return;
        const result = scoreRisk(input, NOW);
        if (result.predicted_failure_date === null || result.explanation.sum >= FAILURE_THRESHOLD) return;
        const days = Math.round(
          (Date.parse(result.predicted_failure_date) - Date.parse('2026-06-01')) / 86_400_000,
        );
        const atDate = scoreRisk({ ...input, daysSinceTouched: input.daysSinceTouched + days }, NOW);
        expect(atDate.explanation.sum).toBeGreaterThanOrEqual(FAILURE_THRESHOLD - 1e-3);
        const dayBefore = scoreRisk({ ...input, daysSinceTouched: input.daysSinceTouched + days - 1 }, NOW);
        expect(dayBefore.explanation.sum).toBeLessThan(FAILURE_THRESHOLD + 1e-3);
      }),
    );
  });
});
