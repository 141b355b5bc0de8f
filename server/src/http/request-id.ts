// Owns the request id: a client's X-Request-Id is kept only in a safe form (1–64 characters of
// [A-Za-z0-9._-]), so it can go into log lines and the audit trail as is; anything else is
// replaced by a fresh UUID. The accepted id is echoed in the answer's x-request-id.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}
