// Owns how answers become JSON: the response schema's serializer (app.ts), with the same result
// as fastify-type-provider-zod's — only the fields a schema names, in its order, and an answer
// that does not match its schema is a 500 (ResponseSerializationError) — but compiled once per
// route into plain functions that make a checked copy of the answer (Dates as ISO text) for one
// native JSON.stringify. zod's generic encode, then JSON.stringify calling each Date's toJSON from
// native code, were most of a list route's own CPU (bench/responses.ts, bench/api.ts).
// Only schemas made of the kinds below are compiled (the rows and envelopes of http/responses.ts
// are); any other kind (formats, refinements, transforms, unions, records…) leaves the route on
// zod's serializer. A value the compiled checks refuse is handed to zod's serializer as is, so
// zod stays the authority for every mismatch: it throws the same error it always did.
import type { FastifySerializerCompiler } from 'fastify';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import type { z } from 'zod';

/**
 * A value's JSON-ready copy: only the fields its schema names, in the schema's order, each
 * checked; Dates as their ISO text (what JSON.stringify writes for them). One native
 * JSON.stringify of the copy then writes the text, on V8's fast path (no toJSON calls).
 */
type Copy = (value: unknown) => unknown;

/** Thrown by a compiled check: the answer does not match (zod's serializer then says why). */
const MISMATCH = Symbol('mismatch');
const mismatch = (): never => {
  throw MISMATCH;
};

type Def = {
  type: string;
  checks?: Array<{ _zod: { def: { check?: string; format?: string } } }>;
  coerce?: boolean;
  format?: string;
  check?: string;
  catchall?: unknown;
  shape?: Record<string, Schema>;
  element?: Schema;
  innerType?: Schema;
  entries?: Record<string, unknown>;
};
type Schema = { _zod: { def: Def; traits: Set<string> } };

/**
 * What the generated functions share: `K` holds the enums' value sets and the functions of
 * nested arrays and objects (each its own function, so every call site stays monomorphic).
 */
type Generation = { constants: unknown[] };

/** Statements that check `value` (a variable) against `schema` and assign its copy to `out`. */
function statements(schema: Schema, value: string, out: string, gen: Generation): string | undefined {
  const def = schema._zod?.def;
  if (!def || def.coerce) return undefined;
  const checks = def.checks ?? [];
  const plain = checks.length === 0 && def.check === undefined && def.format === undefined;
  const assign = `${out} = ${value};`;
  switch (def.type) {
    case 'string':
      return plain ? `if (typeof ${value} !== 'string') M(); ${assign}` : undefined;
    case 'number': {
      if (plain) return `if (typeof ${value} !== 'number' || !Number.isFinite(${value})) M(); ${assign}`;
      const integer =
        checks.length === 1 &&
        checks[0]!._zod.def.check === 'number_format' &&
        checks[0]!._zod.def.format === 'safeint' &&
        def.check === undefined &&
        def.format === undefined;
      return integer ? `if (!Number.isSafeInteger(${value})) M(); ${assign}` : undefined;
    }
    case 'boolean':
      return plain ? `if (typeof ${value} !== 'boolean') M(); ${assign}` : undefined;
    case 'date':
      return plain
        ? `if (!(${value} instanceof Date) || Number.isNaN(${value}.getTime())) M(); ${out} = ${value}.toISOString();`
        : undefined;
    case 'unknown':
    case 'any':
      // As it is: JSON.stringify writes it as it would have (and leaves undefined out).
      return plain ? assign : undefined;
    case 'enum': {
      if (!plain || !def.entries) return undefined;
      const values = constant(gen, new Set(Object.values(def.entries)));
      return `if (!${values}.has(${value})) M(); ${assign}`;
    }
    case 'nullable': {
      const inner = plain ? statements(def.innerType!, value, out, gen) : undefined;
      return inner && `if (${value} === null) ${out} = null; else { ${inner} }`;
    }
    case 'optional': {
      // z.exactOptional() refuses an explicit undefined: left to zod.
      if (!plain || schema._zod.traits.has('$ZodExactOptional')) return undefined;
      const inner = statements(def.innerType!, value, out, gen);
      return inner && `if (${value} === undefined) ${out} = undefined; else { ${inner} }`;
    }
    case 'array': {
      const element = plain ? statements(def.element!, 'e', 'c', gen) : undefined;
      if (!element) return undefined;
      const copy = constant(
        gen,
        generate(
          gen,
          `(a) => {
            if (!Array.isArray(a)) M();
            const copy = new Array(a.length);
            for (let i = 0; i < a.length; i++) { const e = a[i]; let c; ${element} copy[i] = c; }
            return copy;
          }`,
        ),
      );
      return `${out} = ${copy}(${value});`;
    }
    case 'object': {
      // A strict or passthrough object (catchall) is left to zod, as are refinements.
      if (!plain || def.catchall !== undefined) return undefined;
      const keys = Object.keys(def.shape!);
      const parts: string[] = [];
      for (const [i, key] of keys.entries()) {
        const part = statements(def.shape![key]!, `v${i}`, `c${i}`, gen);
        if (!part) return undefined;
        parts.push(`const v${i} = o[${JSON.stringify(key)}]; let c${i}; ${part}`);
      }
      const copy = constant(
        gen,
        generate(
          gen,
          `(o) => {
            if (typeof o !== 'object' || o === null || Array.isArray(o)) M();
            ${parts.join('\n')}
            return { ${keys.map((key, i) => `${JSON.stringify(key)}: c${i}`).join(', ')} };
          }`,
        ),
      );
      return `${out} = ${copy}(${value});`;
    }
    default:
      return undefined;
  }
}

/** Puts a value among the shared constants; answers the expression that reads it. */
function constant(gen: Generation, value: unknown): string {
  gen.constants.push(value);
  return `K[${gen.constants.length - 1}]`;
}

/**
 * A function from its source. The source is made here from fixed text and the schema's keys,
 * written as JSON string literals, never from anything a request carries.
 */
function generate(gen: Generation, source: string): Copy {
  return new Function('M', 'K', `'use strict'; return ${source};`)(mismatch, gen.constants) as Copy;
}

/** The compiled copy of a schema, or undefined when a part of it is of a kind not compiled. */
export function compileCopy(schema: Schema): Copy | undefined {
  const gen: Generation = { constants: [] };
  const body = statements(schema, 'value', 'copy', gen);
  return body === undefined ? undefined : generate(gen, `(value) => { let copy; ${body} return copy; }`);
}

/**
 * The app's serializer compiler: the compiled writer of the route's response schema when it
 * has one, with zod's serializer for what the writer refuses; zod's serializer alone otherwise.
 */
export const serializerCompiler: FastifySerializerCompiler<z.ZodType> = (route) => {
  const checked = zodSerializerCompiler(route) as (data: unknown) => string;
  const copy = compileCopy(route.schema as unknown as Schema);
  if (!copy) return checked;
  return (data) => {
    let ready: unknown;
    try {
      ready = copy(data);
    } catch (error) {
      if (error !== MISMATCH) throw error;
      return checked(data);
    }
    return JSON.stringify(ready);
  };
};
