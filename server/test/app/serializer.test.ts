// The compiled response serializer (http/serializer.ts) answers exactly what zod's serializer
// (fastify-type-provider-zod) answers: the same JSON text for every answer that matches its
// schema, the same ResponseSerializationError for every answer that does not. Checked on the
// controls' answers with realistic rows, each mismatch by hand, random mutations of a row, and
// the kinds that are not compiled (which stay on zod's serializer).
import {
  ResponseSerializationError,
  serializerCompiler as zodSerializerCompiler,
} from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  classificationRow,
  controlAnswer,
  controlListAnswer,
  controlRow,
  interactionAnswer,
} from '../../src/controls/schema.ts';
import { dataOf, errorBody, writtenOf } from '../../src/http/responses.ts';
import { compileCopy, serializerCompiler } from '../../src/http/serializer.ts';

const route = (schema: z.ZodType) => ({ schema, method: 'GET', url: '/test', httpStatus: '200' });
const ours = (schema: z.ZodType) => serializerCompiler(route(schema));
const zods = (schema: z.ZodType) => zodSerializerCompiler(route(schema)) as (data: unknown) => string;

/** What a serializer does with `data`: its text, or the class of the error it throws. */
function outcome(serialize: (data: unknown) => string, data: unknown): string {
  try {
    return serialize(data);
  } catch (error) {
    return `throws ${(error as Error).constructor.name}`;
  }
}

function control(i: number): Record<string, unknown> {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i, i));
  return {
    // A different key order than the schema's, and a column the schema does not name.
    updated_at: at,
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    organization_id: '11111111-1111-4111-8111-111111111111',
    name: `Control "${i}" \u2028 ünïcode \\ </script>`,
    description: i % 3 === 0 ? null : 'Inspect the guard.\nThen log it.',
    control_type: 'physical',
    functional_range: 'narrow',
    primary_provider_id: null,
    owned_by_user: null,
    last_touched_at: i % 2 === 0 ? null : at,
    last_touched_by_user_id: null,
    provider_distance: i % 4 === 0 ? null : 1.5 * i,
    current_quadrant: 'self',
    failure_probability: 0.12,
    requires_refresher_training: i % 2 === 0,
    created_at: at,
    secret_column: 'never sent',
    ...(i % 5 === 0
      ? {}
      : { attention: i % 4 === 0 ? [{ code: 'overdue', message: 'Late.', extra: 1 }] : [] }),
  };
}

describe('compiled response serializer', () => {
  it('compiles the answers of the controls routes', () => {
    for (const schema of [
      controlListAnswer,
      dataOf(controlAnswer),
      writtenOf(controlRow),
      interactionAnswer,
      dataOf(z.array(classificationRow)),
    ]) {
      expect(compileCopy(schema as never)).toBeTypeOf('function');
    }
  });

  it('writes the same JSON as zod for answers that match', () => {
    const page = { data: Array.from({ length: 50 }, (_, i) => control(i)), next_cursor: 'abc', more: 1 };
    expect(ours(controlListAnswer)(page)).toBe(zods(controlListAnswer)(page));
    expect(ours(controlListAnswer)({ data: [], next_cursor: null })).toBe('{"data":[],"next_cursor":null}');
    const one = { data: control(7) };
    expect(ours(dataOf(controlAnswer))(one)).toBe(zods(dataOf(controlAnswer))(one));
    expect(JSON.parse(ours(dataOf(controlAnswer))(one)).data).not.toHaveProperty('secret_column');
  });

  it('throws what zod throws for each answer that does not match', () => {
    const cases: Array<[string, unknown]> = [
      ['a string for a date', '2026-01-01T00:00:00Z'],
      ['an invalid date', new Date(Number.NaN)],
      ['NaN for a number', Number.NaN],
      ['Infinity for a number', Number.POSITIVE_INFINITY],
      ['a number for a string', 5],
      ['undefined for a nullable', undefined],
      ['an object for a string', { a: 1 }],
    ];
    const fields = [
      'created_at',
      'created_at',
      'failure_probability',
      'provider_distance',
      'name',
      'description',
      'name',
    ];
    cases.forEach(([why, value], i) => {
      const row = { ...control(1), [fields[i]!]: value };
      expect(outcome(ours(dataOf(controlAnswer)), { data: row }), why).toBe(
        'throws ResponseSerializationError',
      );
      expect(outcome(zods(dataOf(controlAnswer)), { data: row }), why).toBe(
        'throws ResponseSerializationError',
      );
    });
    const written = writtenOf(controlRow);
    for (const txid of [1.5, 2 ** 60, '7', null]) {
      expect(() => ours(written)({ data: control(1), txid })).toThrow(ResponseSerializationError);
    }
    expect(() => ours(controlListAnswer)({ data: {}, next_cursor: null })).toThrow(
      ResponseSerializationError,
    );
    expect(() => ours(controlListAnswer)({ data: [] })).toThrow(ResponseSerializationError);
    expect(() => ours(controlListAnswer)(null)).toThrow(ResponseSerializationError);
    const attention = { ...control(1), attention: [{ code: 'overdue' }] };
    expect(() => ours(dataOf(controlAnswer))({ data: attention })).toThrow(ResponseSerializationError);
  });

  it('agrees with zod on random changes to a row', () => {
    const values = [
      null,
      undefined,
      0,
      -0,
      1.25,
      2 ** 53,
      Number.NaN,
      '',
      'text',
      'self',
      true,
      new Date(0),
      new Date(Number.NaN),
      [],
      {},
      [{ code: 'c', message: 'm' }],
    ];
    const serializers = [dataOf(controlAnswer), writtenOf(controlRow), controlListAnswer].map((schema) => ({
      ours: ours(schema),
      zods: zods(schema),
    }));
    let thrown = 0;
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return Math.floor((seed / 2 ** 31) * n); // the high bits: an LCG's low bits repeat quickly
    };
    for (let round = 0; round < 1500; round++) {
      const serializer = serializers[round % serializers.length]!;
      const row = control(round);
      const keys = [...Object.keys(row), 'attention'];
      for (let change = 0; change < random(3); change++) {
        const key = keys[random(keys.length)]!;
        if (random(4) === 0) delete row[key];
        else row[key] = values[random(values.length)];
      }
      const data = {
        data: round % 3 === 2 ? [row] : row,
        txid: random(6) === 0 ? 1.5 : 12,
        next_cursor: null,
      };
      const expected = outcome(serializer.zods, data);
      expect(outcome(serializer.ours, data)).toBe(expected);
      if (expected.startsWith('throws')) thrown++;
    }
    // Both kinds of answer were tried many times.
    expect(thrown).toBeGreaterThan(250);
    expect(thrown).toBeLessThan(1250);
  });

  it('leaves kinds it does not compile to zod, with their checks', () => {
    const formats = z.object({ id: z.uuid(), at: z.iso.datetime() });
    expect(compileCopy(formats as never)).toBeUndefined();
    expect(() => ours(formats)({ id: 'not-a-uuid', at: '2026-01-01T00:00:00Z' })).toThrow(
      ResponseSerializationError,
    );
    const refined = z.object({ n: z.number() }).refine((value) => value.n > 0);
    expect(compileCopy(refined as never)).toBeUndefined();
    expect(() => ours(refined)({ n: -1 })).toThrow(ResponseSerializationError);
    const strict = z.object({ a: z.string() }).strict();
    expect(outcome(ours(strict), { a: 'x', b: 1 })).toBe(outcome(zods(strict), { a: 'x', b: 1 }));
    expect(compileCopy(errorBody as never)).toBeUndefined();
    const error = { error: 'No.', code: 'NOT_FOUND', details: { field: 'id', at: new Date(0) } };
    expect(ours(errorBody)(error)).toBe(zods(errorBody)(error));
  });
});
