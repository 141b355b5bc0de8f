// Writes of the control page's REST records (traces, competency records, SLAs): one helper
// that sends JSON and throws an ApiError the screen shows. Their lists are read with getJson.
import { session } from '../api/client';

export function sendJson<T = { data: Record<string, unknown> }>(
  path: string,
  method: 'POST' | 'PATCH' | 'DELETE',
  body?: unknown,
): Promise<T> {
  return session.json<T>(path, { method, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}
