// The cost of response schemas, measured side by side in one run (compare figures of the same
// run only): a page of controls (GET /api/controls, 50 and 200 rows) turned into the JSON sent,
//  a. as before response schemas: JSON.stringify of the handler's answer;
//  b. fastify-type-provider-zod's serializer, which checks and encodes the answer against
//     controlListAnswer and drops undeclared fields, then JSON.stringify;
//  c. as now: the app's serializer (server/src/http/serializer.ts), the same answer and checks,
//     compiled from the schema into one function per object (a checked copy, one JSON.stringify).
// Pure CPU, no database. Run: npx tsx bench/responses.ts
import { randomUUID } from 'node:crypto';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { controlListAnswer } from '../server/src/controls/schema.ts';
import { serializerCompiler } from '../server/src/http/serializer.ts';
import { recordRatio } from './lib/measure.ts';

function control(i: number) {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i));
  return {
    id: randomUUID(),
    organization_id: randomUUID(),
    name: `Control ${i}`,
    description: i % 3 === 0 ? null : 'Inspect the guard before each shift and log what was found.',
    control_type: 'physical',
    functional_range: 'narrow',
    primary_provider_id: randomUUID(),
    owned_by_user: null,
    last_touched_at: at,
    last_touched_by_user_id: randomUUID(),
    provider_distance: 1.5,
    current_quadrant: 'self',
    failure_probability: 0.12,
    requires_refresher_training: false,
    created_at: at,
    updated_at: at,
    attention: i % 4 === 0 ? [{ code: 'overdue', message: 'Not touched for 40 days.' }] : [],
  };
}

const route = { schema: controlListAnswer, method: 'GET', url: '/api/controls', httpStatus: '200' };
const serializeZod = zodSerializerCompiler(route) as (data: unknown) => string;
const serialize = serializerCompiler(route);
const ROUNDS = 7;

for (const size of [50, 200]) {
  const page = { data: Array.from({ length: size }, (_, i) => control(i)), next_cursor: 'abc' };
  const expected = JSON.stringify(page);
  if (serializeZod(page) !== expected || serialize(page) !== expected)
    throw new Error('a serializer changed the answer');
  const batch = Math.round(20_000 / size);
  const plain: number[] = [];
  const zod: number[] = [];
  const compiled: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    let t0 = performance.now();
    for (let i = 0; i < batch; i++) JSON.stringify(page);
    const a = ((performance.now() - t0) * 1000) / batch;
    t0 = performance.now();
    for (let i = 0; i < batch; i++) serializeZod(page);
    const b = ((performance.now() - t0) * 1000) / batch;
    t0 = performance.now();
    for (let i = 0; i < batch; i++) serialize(page);
    const c = ((performance.now() - t0) * 1000) / batch;
    if (round > 0) {
      // round 0 is warm-up
      plain.push(a);
      zod.push(b);
      compiled.push(c);
    }
  }
  const median = (values: number[]) => values.sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
  const [a, b, c] = [median(plain), median(zod), median(compiled)];
  console.log(`\n${size} controls per page (median of ${ROUNDS} interleaved rounds of ${batch})`);
  console.log(`   JSON.stringify (no response schema):        ${a.toFixed(1)} µs`);
  console.log(`   zod serializer (checked and filtered):      ${b.toFixed(1)} µs`);
  console.log(`   the app's compiled serializer (the same):   ${c.toFixed(1)} µs`);
  console.log(`   ratio zod serializer / JSON.stringify:      ${(b / a).toFixed(1)}x`);
  console.log(`   ratio compiled serializer / JSON.stringify: ${(c / a).toFixed(1)}x`);
  recordRatio(`zod serializer / JSON.stringify, ${size} controls (time)`, b / a);
  recordRatio(`the app's response serializer / JSON.stringify, ${size} controls (time)`, c / a);
}
