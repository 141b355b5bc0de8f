// The cluster drill's load: organisations, each with an owner who writes and members who each
// hold one live shape with the official client (`controls` where name LIKE 'drill-<k>-%', so
// every write belongs to exactly one shape); a writer that creates controls through the API at
// a fixed rate; and the bookkeeping of what was acknowledged, what arrived where and when.
import { randomUUID } from 'node:crypto';
import { isChangeMessage, type Row, ShapeStream } from '@electric-sql/client';
import { signAccessToken } from '../../server/src/auth/tokens.ts';
import type { Database } from '../../server/src/db/database.ts';
import { tenantTransaction } from '../../server/src/db/tenant.ts';

export type Tenant = { orgId: string; ownerToken: string; memberTokens: string[] };

/** `count` organisations with an owner and `shapesPerOrg` members, sessions and tokens. */
export async function createTenants(
  db: Database,
  secret: string,
  count: number,
  shapesPerOrg: number,
): Promise<Tenant[]> {
  const settings = { secret, issuer: 'sertantai', audience: 'sertantai', accessTokenTtl: 6 * 3600 };
  const tenants: Tenant[] = [];
  for (let o = 0; o < count; o++) {
    const orgId = randomUUID();
    const users = Array.from({ length: shapesPerOrg + 1 }, (_, i) => ({
      id: randomUUID(),
      sessionId: randomUUID(),
      role: i === 0 ? ('owner' as const) : ('member' as const),
    }));
    await tenantTransaction(db.appPool, { orgId }, async (tx) => {
      await tx.query('INSERT INTO organizations (id, name, slug) VALUES ($1, $2, $3)', [
        orgId,
        `Drill org ${o}`,
        `drill-${orgId.slice(0, 12)}`,
      ]);
      for (const user of users) {
        await tx.query(
          `INSERT INTO users (id, organization_id, email, role, confirmed_at) VALUES ($1, $2, $3, $4, now())`,
          [user.id, orgId, `drill-${user.id.slice(0, 8)}@example.test`, user.role],
        );
        await tx.query(
          `INSERT INTO sessions (id, organization_id, user_id, expires_at) VALUES ($1, $2, $3, now() + interval '1 day')`,
          [user.sessionId, orgId, user.id],
        );
      }
    });
    const tokens = await Promise.all(
      users.map(
        async (user) =>
          (
            await signAccessToken(settings, {
              userId: user.id,
              orgId,
              role: user.role,
              sessionId: user.sessionId,
            })
          ).token,
      ),
    );
    tenants.push({ orgId, ownerToken: tokens[0] as string, memberTokens: tokens.slice(1) });
  }
  return tenants;
}

/** One member's live shape through `base`: what arrived and when, and how often it refetched. */
export class DrillClient {
  refetches = 0;
  serverErrors = 0;
  throttled = 0;
  upToDate = false;
  /** When the client was last told to refetch, and when it was up to date again after that. */
  refetchedAt: number | undefined;
  resyncedAt: number | undefined;
  readonly seen = new Map<string, number>();
  private readonly controller = new AbortController();

  constructor(
    base: string,
    token: string,
    readonly k: number,
  ) {
    const stream = new ShapeStream<Row>({
      url: `${base}/api/electric/sync`,
      params: { table: 'controls', columns: 'id,name', where: `name LIKE 'drill-${k}-%'` } as never,
      headers: { Authorization: `Bearer ${token}` },
      signal: this.controller.signal,
      fetchClient: async (input, init) => {
        const response = await fetch(input, init);
        if (response.status === 409) this.refetches += 1;
        if (response.status >= 500) this.serverErrors += 1;
        if (response.status === 429) this.throttled += 1;
        return response;
      },
      onError: (error) => {
        console.error(`drill client ${k}: ${(error as Error).message}`);
      },
    });
    stream.subscribe((messages) => {
      const now = performance.now();
      for (const message of messages) {
        if (isChangeMessage(message) && message.headers.operation === 'insert') {
          const name = String(message.value.name);
          if (!this.seen.has(name)) this.seen.set(name, now);
        } else if ('control' in message.headers && message.headers.control === 'up-to-date') {
          this.upToDate = true;
          if (this.refetchedAt !== undefined) this.resyncedAt ??= now;
        } else if ('control' in message.headers && message.headers.control === 'must-refetch') {
          this.refetchedAt = now;
          this.resyncedAt = undefined;
        }
      }
    });
  }

  stop() {
    this.controller.abort();
  }
}

export type Write = { name: string; org: number; k: number; sentAt: number; ackedAt?: number };
/** One write request: when, and its status (or 'timeout' / 'network'). */
export type Attempt = { at: number; ok: boolean; outcome: string };

/** Creates controls through the API: `drill-<k>-<n>` in organisation `org`. */
export class Writer {
  readonly writes: Write[] = [];
  readonly attempts: Attempt[] = [];
  private sequence = 0;

  constructor(private readonly tenants: Tenant[]) {}

  /** One write; true when acknowledged (201). Failed attempts are recorded, not retried. */
  async write(base: string, org: number, k: number): Promise<boolean> {
    const tenant = this.tenants[org] as Tenant;
    const name = `drill-${k}-${++this.sequence}`;
    const write: Write = { name, org, k, sentAt: performance.now() };
    let ok = false;
    let outcome = 'network';
    try {
      const response = await fetch(`${base}/api/controls`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tenant.ownerToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name, control_type: 'technical', functional_range: 'narrow' }),
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      ok = response.status === 201;
      outcome = String(response.status);
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') outcome = 'timeout';
    }
    this.attempts.push({ at: write.sentAt, ok, outcome });
    if (ok) {
      write.ackedAt = performance.now();
      this.writes.push(write);
    }
    return ok;
  }

  /** Writes at `perSecond` to every shape in turn until `signal` aborts; resolves when all end. */
  async run(base: () => string, perSecond: number, shapesPerOrg: number, signal: AbortSignal) {
    const pending: Promise<boolean>[] = [];
    let turn = 0;
    while (!signal.aborted) {
      const org = turn % this.tenants.length;
      const k = Math.floor(turn / this.tenants.length) % shapesPerOrg;
      turn++;
      pending.push(this.write(base(), org, k));
      await new Promise((resolve) => setTimeout(resolve, 1000 / perSecond));
    }
    await Promise.all(pending);
  }
}

/** Acknowledged writes not (yet) seen by the client holding their shape. */
export function missing(writes: Write[], clients: DrillClient[][]): Write[] {
  return writes.filter((write) => !clients[write.org]?.[write.k]?.seen.has(write.name));
}

/** Write-to-client latencies (ms, sorted) of the writes sent in [from, to). */
export function latencies(writes: Write[], clients: DrillClient[][], from: number, to: number): number[] {
  const result: number[] = [];
  for (const write of writes) {
    if (write.sentAt < from || write.sentAt >= to) continue;
    const seenAt = clients[write.org]?.[write.k]?.seen.get(write.name);
    if (seenAt !== undefined) result.push(Math.max(0, seenAt - write.sentAt));
  }
  return result.sort((a, b) => a - b);
}

export async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}
