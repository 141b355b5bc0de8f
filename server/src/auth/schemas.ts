// Owns the identity routes' shared request pieces: the zod rules for e-mails, new passwords and
// names, the OpenAPI doc helper, and what every route passes to the service about the request.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { PASSWORD_MAX, PASSWORD_MIN } from './passwords.ts';
import type { RequestMeta } from './types.ts';

// PostgreSQL text cannot hold NUL (it would be a 500): refused here, like other control characters.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
export const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;
export const noControl = { message: 'must not contain control characters' };
export const email = z.email({ message: 'must be an e-mail address' }).max(254);
export const newPassword = z
  .string()
  .min(PASSWORD_MIN, { message: `must be at least ${PASSWORD_MIN} characters` })
  .max(PASSWORD_MAX, { message: `must be at most ${PASSWORD_MAX} characters` });
export const personName = z.string().trim().max(200).regex(NO_CONTROL, noControl);

/** OpenAPI tags, summary and (for Bearer routes) the security requirement. */
export const doc = (summary: string, bearer = false) => ({
  tags: ['identity'],
  summary,
  ...(bearer ? { security: [{ bearerAuth: [] }] } : {}),
});

/** Who is asking, as the identity service needs it. */
export const requestMeta = (request: FastifyRequest): RequestMeta => ({
  ip: request.ip,
  userAgent: request.headers['user-agent'],
  requestId: request.id,
  log: request.log,
});
