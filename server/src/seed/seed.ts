// Owns demo data: on an empty database (no organisations), two organisations with users in
// every role, providers and a network, controls in all four quadrants, and their history.
// Idempotent: a database that already has an organisation is left alone.
import type { Clock } from '../clock.ts';
import type { Database } from '../db/database.ts';

export type DemoLogin = { organization: string; role: string; email: string; password: string };

export async function seedDemoData(_db: Database, _clock: Clock): Promise<{ logins: DemoLogin[] }> {
  // TODO(domain): seed organisations, users, providers, network, controls and history.
  return { logins: [] };
}
