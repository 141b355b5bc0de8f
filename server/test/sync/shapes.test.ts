// The shape allow-lists against the real schema (types, nullability, publication), the secrets
// they must never carry, the columns parser, and the organisation filter every shape starts with.
import { randomUUID } from 'node:crypto';
import { SYNCED_TABLES } from '@sertantai/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  buildShape,
  parseColumnList,
  ShapeRequestError,
  SYNCABLE_TABLES,
  TableNotSyncable,
} from '../../src/sync/shapes.ts';
import { loadWhereParser, WhereError } from '../../src/sync/where/index.ts';

let client: pg.Client;
beforeAll(async () => {
  await loadWhereParser();
  client = new pg.Client({ connectionString: inject('databaseUrl') });
  await client.connect();
});
afterAll(() => client?.end());

describe('allow-lists', () => {
  it('match the schema: every allow-listed column exists with its type and nullability', async () => {
    for (const spec of Object.values(SYNCABLE_TABLES)) {
      const { rows } = await client.query(
        `SELECT column_name, udt_name, is_nullable FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name = $1`,
        [spec.name],
      );
      const actual = new Map(
        rows.map((r) => [r.column_name, { type: r.udt_name, notNull: r.is_nullable === 'NO' }]),
      );
      for (const [name, info] of Object.entries(spec.columns)) {
        expect({ table: spec.name, name, ...actual.get(name) }).toEqual({ table: spec.name, name, ...info });
      }
      expect(spec.columns[spec.orgColumn]).toMatchObject({ type: 'uuid', notNull: true });
    }
  });

  it('cover exactly the synced tables, and the sync publication holds exactly those', async () => {
    const { rows } = await client.query(
      `SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = 'sertantai_sync'`,
    );
    expect(rows.map((r) => `${r.schemaname}.${r.tablename}`).sort()).toEqual(
      SYNCED_TABLES.map((table) => `public.${table}`).sort(),
    );
    expect(Object.keys(SYNCABLE_TABLES).sort()).toEqual([...SYNCED_TABLES].sort());
  });

  it('never carry password hashes, tokens or secrets', () => {
    for (const spec of Object.values(SYNCABLE_TABLES)) {
      for (const name of Object.keys(spec.columns)) expect(name).not.toMatch(/password|hash|token|secret/);
    }
    expect(Object.keys(SYNCABLE_TABLES.users!.columns).sort()).toEqual(
      ['confirmed_at', 'created_at', 'email', 'id', 'name', 'organization_id', 'role', 'updated_at'].sort(),
    );
  });
});

describe('columns parameter', () => {
  it('parses plain and quoted names', () => {
    expect(parseColumnList('id,name')).toEqual(['id', 'name']);
    expect(parseColumnList('"id", "na""me" ,x')).toEqual(['id', 'na"me', 'x']);
    expect(() => parseColumnList('id,')).toThrow(ShapeRequestError);
    expect(() => parseColumnList('"id')).toThrow(ShapeRequestError);
    expect(() => parseColumnList('"id"x')).toThrow(ShapeRequestError);
  });
});

describe('buildShape', () => {
  const org = randomUUID();
  const other = randomUUID();

  it('starts every filter with the organisation as parameter $1', () => {
    const shape = buildShape(
      { table: 'controls', columns: 'name,id', where: "name = 'x' OR true", params: {} },
      org.toUpperCase(),
    );
    expect(shape.filter.sql).toBe('"organization_id" = $1::uuid AND (("name" = $2::text) OR ($3::boolean))');
    expect(shape.filter.params).toEqual([org, 'x', 't']);
    expect(shape.columns).toEqual(['id', 'name']); // table order
    expect(shape.filter.matches({ organization_id: org, name: 'y' })).toBe(true);
    expect(shape.filter.matches({ organization_id: other, name: 'x' })).toBe(false);
    expect(shape.electric).toEqual({
      table: 'controls',
      columns: '"id","name"',
      where: '"organization_id" = $1::uuid AND (("name" = $2::text) OR ($3::boolean))',
      params: [org, 'x', 't'],
    });
  });

  it('filters organizations by id and gives each organisation its own shape key', () => {
    const a = buildShape(
      { table: 'public.organizations', columns: undefined, where: undefined, params: {} },
      org,
    );
    const b = buildShape({ table: 'organizations', columns: undefined, where: undefined, params: {} }, other);
    expect(a.filter.sql).toBe('"id" = $1::uuid');
    expect(a.filter.matches({ id: org })).toBe(true);
    expect(a.filter.matches({ id: other })).toBe(false);
    expect(a.key).not.toBe(b.key);
  });

  it('shares the key of equivalent wheres and separates different ones', () => {
    const key = (where: string) =>
      buildShape({ table: 'controls', columns: undefined, where, params: {} }, org).key;
    expect(key("name   =  'x'")).toBe(key("(name = 'x')"));
    expect(key("name = 'x'")).not.toBe(key("name = 'y'"));
  });

  it('refuses what is not allow-listed', () => {
    const build = (table: string, columns?: string, where?: string) =>
      buildShape({ table, columns, where, params: {} }, org);
    expect(() => build('sessions')).toThrow(TableNotSyncable);
    expect(() => build('"Controls"')).toThrow(TableNotSyncable);
    expect(() => build('other.controls')).toThrow(TableNotSyncable);
    expect(() => build('')).toThrow(ShapeRequestError);
    expect(() => build('users', 'id,password_hash')).toThrow(ShapeRequestError);
    expect(() => build('users', undefined, "password_hash = 'x'")).toThrow(WhereError);
    expect(() => build('controls', 'name')).toThrow(ShapeRequestError);
  });
});
