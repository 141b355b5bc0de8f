// Owns the member and account routes of the identity service: listing, adding and inviting
// members, re-sending invitations, password-reset links, changing roles, removing, and
// changing one's own password. Thin: validate, call the service, shape the answer.

import { ROLES } from '@sertantai/core';
import type { onRequestAsyncHookHandler } from 'fastify';
import { z } from 'zod';
import type { App } from '../app.ts';
import { authOf } from '../http/request-auth.ts';
import { dataOf, noContent, responses } from '../http/responses.ts';
import { requireRole } from './authenticate.ts';
import { PASSWORD_MAX } from './passwords.ts';
import {
  addedMemberAnswer,
  invitationAnswer,
  memberRow,
  passwordChangedAnswer,
  passwordResetAnswer,
  userRow,
} from './responses.ts';
import { doc, email, requestMeta as meta, newPassword, personName } from './schemas.ts';
import type { IdentityService } from './service.ts';

const memberBody = z
  .object({ email, role: z.enum(ROLES), password: newPassword.optional(), name: personName.optional() })
  .strict();
const memberPatch = z
  .object({ role: z.enum(ROLES).optional(), name: personName.nullable().optional() })
  .strict()
  .refine((body) => body.role !== undefined || body.name !== undefined, {
    message: 'send role and/or name',
  });
const memberParams = z.object({ id: z.uuid({ message: 'must be a uuid' }) });
const passwordChangeBody = z
  .object({ current_password: z.string().min(1).max(PASSWORD_MAX), new_password: newPassword })
  .strict();

export function registerMemberRoutes(
  app: App,
  { service, authenticate }: { service: IdentityService; authenticate: onRequestAsyncHookHandler },
) {
  app.get(
    '/auth/members',
    {
      onRequest: authenticate,
      schema: {
        ...doc('List the organisation’s members', true),
        response: responses({ 200: dataOf(z.array(memberRow)) }),
      },
    },
    async (request) => ({
      data: await service.listMembers(authOf(request), request.id),
    }),
  );

  app.post(
    '/auth/members',
    {
      schema: {
        ...doc('Add a member (with a password, or get an invitation token)', true),
        body: memberBody,
        response: responses({ 201: addedMemberAnswer }),
      },
      onRequest: [authenticate, requireRole('admin')],
    },
    async (request, reply) => {
      const { user, invitation } = await service.addMember(authOf(request), request.body, meta(request));
      reply.header('cache-control', 'no-store');
      return reply.code(201).send(invitation ? { data: user, invitation } : { data: user });
    },
  );

  app.patch(
    '/auth/members/:id',
    {
      schema: {
        ...doc('Change a member’s role or name', true),
        params: memberParams,
        body: memberPatch,
        response: responses({ 200: dataOf(userRow) }),
      },
      onRequest: [authenticate, requireRole('admin')],
    },
    async (request) => ({
      data: await service.updateMember(authOf(request), request.params.id, request.body, meta(request)),
    }),
  );

  app.delete(
    '/auth/members/:id',
    {
      schema: {
        ...doc('Remove a member (their sessions end)', true),
        params: memberParams,
        response: responses({ 204: noContent }),
      },
      onRequest: [authenticate, requireRole('admin')],
    },
    async (request, reply) => {
      await service.removeMember(authOf(request), request.params.id, meta(request));
      return reply.code(204).send();
    },
  );

  app.post(
    '/auth/members/:id/invitation',
    {
      schema: {
        ...doc('Re-send an open or expired invitation: a new token, the old one stops working', true),
        params: memberParams,
        response: responses({ 201: invitationAnswer }),
      },
      onRequest: [authenticate, requireRole('admin')],
    },
    async (request, reply) => {
      const { data, invitation } = await service.resendInvitation(
        authOf(request),
        request.params.id,
        meta(request),
      );
      reply.header('cache-control', 'no-store');
      return reply.code(201).send({ data, invitation });
    },
  );

  app.post(
    '/auth/members/:id/password-reset',
    {
      schema: {
        ...doc('Make a one-time link with which the member sets a new password', true),
        params: memberParams,
        response: responses({ 201: passwordResetAnswer }),
      },
      onRequest: [authenticate, requireRole('admin')],
    },
    async (request, reply) => {
      const { data, reset } = await service.createPasswordReset(
        authOf(request),
        request.params.id,
        meta(request),
      );
      reply.header('cache-control', 'no-store');
      return reply.code(201).send({ data, reset });
    },
  );

  app.post(
    '/auth/password',
    {
      schema: {
        ...doc('Change your own password (the current one is required); ends your other sessions', true),
        body: passwordChangeBody,
        response: responses({ 200: passwordChangedAnswer }),
      },
      onRequest: authenticate,
    },
    async (request) => ({ data: await service.changePassword(authOf(request), request.body, meta(request)) }),
  );
}
