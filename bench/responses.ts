// The cost of response schemas, measured side by side in one run (compare figures of the same
// run only): a page of controls (GET /api/controls, 50 and 200 rows) turned into the JSON sent,
//  a. as before response schemas: JSON.stringify of the handler's answer;
//  b. as now: the route's compiled zod serializer (fastify-type-provider-zod), which checks and
//     encodes the answer against controlListAnswer in one pass and drops undeclared fields.
// Pure CPU, no database. Run: npx tsx bench/responses.ts
import { randomUUID } from 'node:crypto';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { controlListAnswer } from '../server/src/controls/schema.ts';
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

const serialize = serializerCompiler({ schema: controlListAnswer, method: 'GET', url: '/api/controls' });
const ROUNDS = 7;

for (const size of [50, 200]) {
  const page = { data: Array.from({ length: size }, (_, i) => control(i)), next_cursor: 'abc' };
  if (serialize(page) !== JSON.stringify(page)) throw new Error('the serializer changed the answer');
  const batch = Math.round(20_000 / size);
  const plain: number[] = [];
  const zod: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    let t0 = performance.now();
    for (let i = 0; i < batch; i++) JSON.stringify(page);
    const a = ((performance.now() - t0) * 1000) / batch;
    t0 = performance.now();
    for (let i = 0; i < batch; i++) serialize(page);
    const b = ((performance.now() - t0) * 1000) / batch;
    if (round > 0) {
      // round 0 is warm-up
      plain.push(a);
      zod.push(b);
    }
  }
  const median = (values: number[]) => values.sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
  const [a, b] = [median(plain), median(zod)];
  console.log(`\n${size} controls per page (median of ${ROUNDS} interleaved rounds of ${batch})`);
  console.log(`   JSON.stringify (no response schema):     ${a.toFixed(1)} µs`);
  console.log(`   zod serializer (checked and filtered):   ${b.toFixed(1)} µs`);
  console.log(`   ratio zod serializer / JSON.stringify:   ${(b / a).toFixed(1)}x`);
  recordRatio(`response schema serializer / JSON.stringify, ${size} controls (time)`, b / a);
}
