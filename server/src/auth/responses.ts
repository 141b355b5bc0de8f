// Owns the response schemas of the identity routes: the user and organisation as the identity
// service reads them (users.ts USER_COLUMNS and ORG_COLUMNS, never a password hash), the token
// answer, members (with their open invitation) and one-time links.
import { z } from 'zod';
import { rowOf, timestamp } from '../http/responses.ts';

export const userRow = rowOf({
  id: 'uuid',
  organization_id: 'uuid',
  email: 'text',
  name: 'text?',
  role: 'text',
  confirmed_at: 'timestamptz?',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
});

export const organizationRow = rowOf({
  id: 'uuid',
  name: 'text',
  slug: 'text',
  recent_threshold_days: 'int4',
  close_threshold_distance: 'numeric',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
});

/** A token pair; in cookie mode the refresh token is in the cookie instead. */
export const tokenPairAnswer = z.object({
  user: userRow,
  organization: organizationRow,
  access_token: z.string(),
  refresh_token: z.string().optional(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int().describe('Seconds the access token is valid'),
});

export const authConfigAnswer = z.object({
  registration_open: z.boolean(),
  password_min_length: z.number().int(),
  password_max_length: z.number().int(),
});

export const meAnswer = z.object({ user: userRow, organization: organizationRow, role: z.string() });

export const tokenClaimsAnswer = z.object({
  user_id: z.string(),
  org_id: z.string(),
  role: z.string(),
  email: z.string(),
});

/** A member as listed: a user, or an open invitation (then id is the invitation's). */
export const memberRow = userRow.extend({
  invitation_pending: z.boolean().optional(),
  invitation_expires_at: timestamp.nullable().optional(),
});

/** A one-time token (invitation or password reset) and when it expires. */
export const issuedLink = z.object({ token: z.string(), expires_at: timestamp });

export const addedMemberAnswer = z.object({ data: memberRow, invitation: issuedLink.optional() });
export const invitationAnswer = z.object({ data: memberRow, invitation: issuedLink });
export const passwordResetAnswer = z.object({ data: userRow, reset: issuedLink });
export const passwordChangedAnswer = z.object({ data: z.object({ sessions_ended: z.number().int() }) });
