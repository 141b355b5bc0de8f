// Owns demo data: on an empty database (no organisations), two organisations with users in
// every role, providers and a network, controls in all four quadrants, and their history.
// Idempotent: a database that already has an organisation is left alone (an advisory lock
// on a direct owner connection, never the pooled one, keeps two starting processes from both seeding). The story is replayed through the real
// services (create, touch, the daily sweep) with the time set back, so the history is real.
import { randomUUID } from 'node:crypto';
import { ROLES, type Role } from '@sertantai/core';
import { insertDefaultStrategies } from '../auth/default-strategies.ts';
import { hashPassword } from '../auth/passwords.ts';
import { sweepOrganization } from '../classification/service.ts';
import type { Clock } from '../clock.ts';
import { createControl, touchControl } from '../controls/service.ts';
import { LOCK_NAMESPACE } from '../db/advisory-locks.ts';
import type { Database } from '../db/database.ts';
import { type Tx, tenantTransaction } from '../db/tenant.ts';
import { createEventBus } from '../events/bus.ts';
import { recomputeAllRisk } from '../predictions/service.ts';
import { createLink, createProvider } from '../providers/service.ts';
import {
  DEMO_LINKS,
  DEMO_ORGANIZATIONS,
  DEMO_PASSWORDS,
  type DemoOrganization,
  HISTORY_DAYS,
} from './demo-data.ts';

export type DemoLogin = { organization: string; role: string; email: string; password: string };

const SEED_LOCK = [LOCK_NAMESPACE.seed, 0] as const;
const DAY_MS = 86_400_000;

export async function seedDemoData(
  db: Database,
  clock: Clock,
): Promise<{ logins: DemoLogin[]; seeded: boolean }> {
  const client = await db.ownerPool.connect(); // a session lock: direct, never through a pooler
  let seeded = false;
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', [...SEED_LOCK]);
    try {
      const { rows } = await client.query('SELECT count(*)::int AS n FROM organization_ids()');
      if (rows[0].n === 0) {
        const now = clock.now();
        for (const org of DEMO_ORGANIZATIONS) await seedOrganization(db, org, now);
        seeded = true;
      }
      return { logins: await existingDemoLogins(client), seeded };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1, $2)', [...SEED_LOCK]);
    }
  } finally {
    client.release();
  }
}

/** The demo logins whose accounts still exist (so every start can print them, not just the first). */
async function existingDemoLogins(client: { query: Tx['query'] }): Promise<DemoLogin[]> {
  const logins: DemoLogin[] = [];
  for (const org of DEMO_ORGANIZATIONS) {
    for (const role of ROLES) {
      const email = `${role}@${org.domain}`;
      const found = await client.query(`SELECT 1 FROM directory_lookup('email', $1)`, [email]);
      if (found.rowCount)
        logins.push({ organization: org.name, role, email, password: DEMO_PASSWORDS[role] });
    }
  }
  return logins;
}

async function seedOrganization(db: Database, demo: DemoOrganization, now: Date) {
  const orgId = randomUUID();
  // The seed runs before any app exists: its events have no listeners, and risk is scored
  // once, at the end, when every input is in.
  const events = createEventBus();
  const passwordHashes = Object.fromEntries(
    await Promise.all(ROLES.map(async (role) => [role, await hashPassword(DEMO_PASSWORDS[role])] as const)),
  ) as Record<Role, string>;
  await tenantTransaction(db.appPool, { orgId, requestId: 'seed' }, async (tx) => {
    await tx.query('INSERT INTO organizations (id, name, slug) VALUES ($1, $2, $3)', [
      orgId,
      demo.name,
      demo.slug,
    ]);
    await insertDefaultStrategies(tx, orgId);
    const users = {} as Record<Role, string>;
    for (const role of ROLES) {
      const { rows } = await tx.query(
        `INSERT INTO users (organization_id, email, name, password_hash, role, confirmed_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
        [orgId, `${role}@${demo.domain}`, `Demo ${role}`, passwordHashes[role], role, now],
      );
      users[role] = rows[0].id;
    }

    const providers = {} as Record<string, string>;
    for (const [key, provider] of Object.entries(demo.providers)) {
      const { row } = await createProvider(tx, {
        ...provider,
        is_user_themselves: key === 'self',
        contact_info:
          key === 'self' ? {} : { email: `contact@${key}.${demo.domain}`, phone: '+44 20 7946 0000' },
      });
      providers[key] = row.id;
    }
    const start = new Date(now.getTime() - HISTORY_DAYS * DAY_MS);
    for (const link of DEMO_LINKS) {
      await createLink(
        tx,
        {
          from_provider_id: providers[link.from]!,
          to_provider_id: providers[link.to]!,
          relationship_type: link.relationship_type as 'employs',
          path_weight: link.path_weight,
        },
        start,
        events,
      );
    }

    // Replay the story day by day: creations at the start, touches on their days, a sweep each day.
    const controlIds: string[] = [];
    for (const control of demo.controls) {
      const { row } = await createControl(
        tx,
        {
          name: control.name,
          description: control.description,
          control_type: control.control_type,
          functional_range: control.functional_range,
          primary_provider_id: control.provider ? providers[control.provider] : null,
          owned_by_user: users.admin,
          requires_refresher_training: control.requires_refresher_training ?? false,
        },
        start,
        events,
      );
      controlIds.push(row.id);
    }
    await tx.query(`UPDATE controls SET created_at = $1`, [start]);
    for (let day = HISTORY_DAYS; day >= 0; day--) {
      const at = new Date(now.getTime() - day * DAY_MS);
      for (const [index, control] of demo.controls.entries()) {
        for (const touch of control.touches.filter((t) => t.daysAgo === day)) {
          await touchControl(
            tx,
            controlIds[index]!,
            users[touch.by],
            { interaction_type: touch.type, issues_found: touch.issues ?? false, notes: touch.notes ?? null },
            at,
            events,
          );
        }
      }
      await sweepOrganization(tx, at, events);
    }
    const byName = new Map(demo.controls.map((control, index) => [control.name, controlIds[index]!]));
    await seedEvidence(tx, orgId, now, byName, providers, users);
    // Risk reads the evidence above, so it is scored last.
    await recomputeAllRisk(tx, now);
  });
}

const date = (now: Date, days: number) => new Date(now.getTime() + days * DAY_MS).toISOString().slice(0, 10);

/** Traces, competencies (some refreshers due soon) and SLAs (one breached). */
async function seedEvidence(
  tx: Tx,
  orgId: string,
  now: Date,
  control: Map<string, string>,
  providers: Record<string, string>,
  users: Record<Role, string>,
) {
  const id = (name: string) => control.get(name)!;
  const traces: Array<[string, string, string, string, number]> = [
    [id('Forklift pre-use check'), 'maintenance_request', 'Horn intermittent on forklift 2.', 'medium', 8],
    [id('Forklift pre-use check'), 'work_order', 'Replace horn relay on forklift 2.', 'low', 6],
    [
      id('SCADA safety interlock'),
      'incident_report',
      'Press line interlock tripped late during a jam.',
      'high',
      30,
    ],
    [
      id('Fire alarm maintenance contract'),
      'inspection_log',
      'Quarterly service: two detectors replaced.',
      'low',
      5,
    ],
    [
      id('Confined-space rescue kit'),
      'training_record',
      'Rescue drill with the tripod and winch.',
      'low',
      120,
    ],
    [
      id('Hard hats and eye protection'),
      'time_off_request',
      'Safety officer on leave; PPE checks delegated.',
      'low',
      15,
    ],
  ];
  for (const [controlId, type, description, severity, daysAgo] of traces) {
    await tx.query(
      `INSERT INTO organizational_traces (organization_id, control_id, trace_type, description, severity, recorded_by_user_id, recorded_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        orgId,
        controlId,
        type,
        description,
        severity,
        users.member,
        new Date(now.getTime() - daysAgo * DAY_MS),
      ],
    );
  }
  const competencies: Array<[Role, string, string, number, number | null]> = [
    // user, control, level, next refresher (days from now), certification expires (days from now)
    ['member', id('Confined-space rescue kit'), 'competent', 5, 200],
    ['admin', id('Confined-space rescue kit'), 'expert', 150, 400],
    ['member', id('Portable gas detector calibration'), 'proficient', -3, null],
    ['owner', id('Hard hats and eye protection'), 'expert', 300, null],
  ];
  for (const [role, controlId, level, refresherIn, certificationIn] of competencies) {
    await tx.query(
      `INSERT INTO competency_records (organization_id, user_id, control_id, competency_level, last_training_date,
          next_refresher_due, training_hours, certified_by, certification_expires)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [
        orgId,
        users[role],
        controlId,
        level,
        date(now, refresherIn - 365),
        date(now, refresherIn),
        8,
        'Site safety trainer',
        certificationIn === null ? null : date(now, certificationIn),
      ],
    );
  }
  const slas: Array<[string, string, string, number, number, number]> = [
    // control, provider, service, agreed uptime %, current %, breaches
    [
      id('Fire alarm maintenance contract'),
      providers.contractor!,
      'Fire alarm response and repair',
      99.5,
      97.2,
      3,
    ],
    [id('HVAC and local exhaust ventilation service'), providers.vendor!, 'LEV availability', 98, 99.1, 0],
  ];
  for (const [controlId, providerId, service, uptime, current, breaches] of slas) {
    await tx.query(
      `INSERT INTO service_level_agreements (organization_id, control_id, provider_id, service_name, uptime_percentage,
          response_time_hours, resolution_time_hours, start_date, end_date, performance_current, breaches_count)
       VALUES ($1, $2, $3, $4, $5, 4, 24, $6, $7, $8, $9)`,
      [orgId, controlId, providerId, service, uptime, date(now, -180), date(now, 185), current, breaches],
    );
  }
}
