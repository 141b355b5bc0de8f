// The rows answers carry are named column by column (http/responses.ts: the serializer sends
// nothing else). Each schema of a `SELECT *` row must name exactly its table's columns, with
// their nullability, so no column silently drops out of an answer (and a new column is sent only
// once it is declared here). Tables whose answers leave columns out say which and why.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { organizationRow as identityOrganizationRow, userRow } from '../../src/auth/responses.ts';
import { competencyRow } from '../../src/competencies/schema.ts';
import { classificationRow, controlRow, interactionRow } from '../../src/controls/schema.ts';
import type { Database } from '../../src/db/database.ts';
import { organizationRow } from '../../src/organization/schema.ts';
import { linkRow, providerRow } from '../../src/providers/schema.ts';
import { slaRow } from '../../src/slas/schema.ts';
import { strategyRow } from '../../src/strategies/schema.ts';
import { traceRow } from '../../src/traces/schema.ts';
import { openTestDatabase } from '../helpers/app.ts';

type Row = z.ZodObject;

const TABLES: Array<{ table: string; row: Row; leftOut?: Record<string, string> }> = [
  { table: 'controls', row: controlRow },
  { table: 'control_interactions', row: interactionRow },
  { table: 'quadrant_classifications', row: classificationRow },
  { table: 'control_providers', row: providerRow },
  { table: 'provider_networks', row: linkRow },
  { table: 'organizational_traces', row: traceRow },
  { table: 'competency_records', row: competencyRow },
  { table: 'service_level_agreements', row: slaRow },
  { table: 'verification_strategies', row: strategyRow },
  { table: 'organizations', row: organizationRow },
  { table: 'organizations', row: identityOrganizationRow },
  { table: 'users', row: userRow, leftOut: { password_hash: 'a secret: never in an answer' } },
];

let db: Database;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(() => db.close());

describe('row schemas', () => {
  it.each(TABLES)(
    '$table: every column named, with its nullability',
    async ({ table, row, leftOut = {} }) => {
      const { rows } = await db.ownerPool.query<{
        column_name: string;
        is_nullable: 'YES' | 'NO';
        udt_name: string;
      }>(
        `SELECT column_name, is_nullable, udt_name FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
        [table],
      );
      const columns = rows.filter((column) => !(column.column_name in leftOut));
      expect(Object.keys(row.shape).sort()).toEqual(columns.map((column) => column.column_name).sort());
      // A jsonb column, even NOT NULL, may hold the JSON value null: its schema accepts any JSON.
      for (const column of columns.filter(({ udt_name }) => udt_name !== 'jsonb')) {
        const accepted = row.shape[column.column_name]!.safeParse(null).success;
        expect(accepted, `${table}.${column.column_name} null`).toBe(column.is_nullable === 'YES');
      }
    },
  );
});
