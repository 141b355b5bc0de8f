// Small REST reads that are not synced (strategies, server attention reasons, SLAs, …),
// through the session (token, refresh on 401). Each answers undefined on failure so screens
// can show a friendly message and keep working from local data.
import { session } from '../api/client';
import { messageOf } from '../api/errors';
import type { Reason } from '../model/attention';

export async function getJson<T>(path: string): Promise<{ data?: T; error?: string }> {
  try {
    return { data: await session.json<T>(path) };
  } catch (error) {
    return { error: messageOf(error) };
  }
}

export async function serverAttention(): Promise<Map<string, Reason[]> | undefined> {
  const { data } = await getJson<{ data: { id: string; attention?: Reason[] }[] }>(
    '/api/controls?attention=true&limit=200',
  );
  if (!data) return undefined;
  return new Map(data.data.map((row) => [row.id, row.attention ?? []]));
}
