// Owns the identity service's HTTP surface: /auth/* and GET /api/me. Routes stay thin:
// validate, call the service, shape the answer (and the refresh cookie in cookie mode).
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { z } from 'zod';
import type { App } from '../app.ts';
import type { Config } from '../config.ts';
import { AppError, unauthorized, validationError } from '../http/errors.ts';
import { authOf, bearerToken, requireRole } from './authenticate.ts';
import {
  assertCsrfSafe,
  clearRefreshCookie,
  readRefreshCookie,
  setRefreshCookie,
  wantsCookieMode,
} from './cookies.ts';
import { PASSWORD_MAX, PASSWORD_MIN } from './passwords.ts';
import type { IdentityService, IssuedTokens, RequestMeta } from './service.ts';
import { ROLES } from './tokens.ts';

// PostgreSQL text cannot hold NUL (it would be a 500): refused here, like other control characters.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;
const noControl = { message: 'must not contain control characters' };
const email = z.email({ message: 'must be an e-mail address' }).max(254);
const newPassword = z
  .string()
  .min(PASSWORD_MIN, { message: `must be at least ${PASSWORD_MIN} characters` })
  .max(PASSWORD_MAX, { message: `must be at most ${PASSWORD_MAX} characters` });
const personName = z.string().trim().max(200).regex(NO_CONTROL, noControl);

const registerBody = z
  .object({
    email,
    password: newPassword,
    organization_name: z.string().trim().min(1).max(200).regex(NO_CONTROL, noControl),
    name: personName.optional(),
  })
  .strict();
const loginBody = z
  .object({
    email: z.string().max(254).regex(NO_CONTROL, noControl),
    password: z.string().min(1).max(PASSWORD_MAX),
  })
  .strict();
const refreshBody = z
  .object({ refresh_token: z.string().min(1).max(512).optional() })
  .strict()
  .optional()
  .nullable();
const scope = z.enum(['local', 'global']);
const logoutQuery = z.object({ scope: scope.optional() }).strict();
const logoutBody = z.object({ scope: scope.optional() }).strict().optional().nullable();
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
const acceptBody = z.object({ token: z.string().min(1).max(512), password: newPassword }).strict();
const passwordChangeBody = z
  .object({ current_password: z.string().min(1).max(PASSWORD_MAX), new_password: newPassword })
  .strict();

/** OpenAPI tags, summary and (for Bearer routes) the security requirement. */
const doc = (summary: string, bearer = false) => ({
  tags: ['identity'],
  summary,
  ...(bearer ? { security: [{ bearerAuth: [] }] } : {}),
});

export type IdentityRouteDeps = {
  config: Config;
  service: IdentityService;
  authenticate: preHandlerAsyncHookHandler;
};

export function registerIdentityRoutes(app: App, { config, service, authenticate }: IdentityRouteDeps) {
  const meta = (request: FastifyRequest): RequestMeta => ({
    ip: request.ip,
    userAgent: request.headers['user-agent'],
    requestId: request.id,
    log: request.log,
  });

  /** The token answer; in cookie mode the refresh token goes into the cookie, not the body. */
  const tokenAnswer = (request: FastifyRequest, reply: FastifyReply, issued: IssuedTokens) => {
    reply.header('cache-control', 'no-store');
    const body = {
      user: issued.user,
      organization: issued.organization,
      access_token: issued.accessToken,
      refresh_token: issued.refreshToken as string | undefined,
      token_type: 'Bearer' as const,
      expires_in: issued.expiresIn,
    };
    if (wantsCookieMode(request)) {
      setRefreshCookie(request, reply, issued.refreshToken, config.refreshTokenTtl);
      delete body.refresh_token;
    }
    return body;
  };
  /** Cookie mode answers must not be forgeable cross-site (login CSRF included). */
  const checkCookieMode = (request: FastifyRequest) => {
    if (wantsCookieMode(request)) assertCsrfSafe(request, config.publicOrigin);
  };

  app.get(
    '/auth/config',
    { schema: doc('Public settings the sign-up and password forms need') },
    async () => ({
      registration_open: config.allowRegistration,
      password_min_length: PASSWORD_MIN,
      password_max_length: PASSWORD_MAX,
    }),
  );

  app.post(
    '/auth/register',
    { schema: { ...doc('Create an organisation and its owner; returns a token pair'), body: registerBody } },
    async (request, reply) => {
      checkCookieMode(request);
      const issued = await service.register(request.body, meta(request));
      return reply.code(201).send(tokenAnswer(request, reply, issued));
    },
  );

  app.post(
    '/auth/login',
    { schema: { ...doc('Sign in; returns a token pair'), body: loginBody } },
    async (request, reply) => {
      checkCookieMode(request);
      const issued = await service.login(request.body, meta(request));
      return reply.send(tokenAnswer(request, reply, issued));
    },
  );

  app.post(
    '/auth/refresh',
    { schema: { ...doc('Rotate a refresh token (body, or the cookie in cookie mode)'), body: refreshBody } },
    async (request, reply) => {
      let token = request.body?.refresh_token;
      const fromCookie = token === undefined;
      if (fromCookie) {
        token = readRefreshCookie(request);
        if (token === undefined) {
          throw validationError('Send {"refresh_token": "..."} or, in cookie mode, the refresh cookie.', {
            issues: [{ path: 'body.refresh_token', message: 'required' }],
          });
        }
        assertCsrfSafe(request, config.publicOrigin);
      } else {
        checkCookieMode(request);
      }
      try {
        const issued = await service.refresh(token!, meta(request));
        return reply.send(tokenAnswer(request, reply, issued));
      } catch (error) {
        // A dead refresh cookie is of no further use to the browser.
        if (fromCookie && error instanceof AppError && error.status === 401)
          clearRefreshCookie(request, reply);
        throw error;
      }
    },
  );

  app.post(
    '/auth/logout',
    {
      schema: {
        ...doc('Revoke this session (scope=local) or all your sessions (scope=global)', true),
        querystring: logoutQuery,
        body: logoutBody,
      },
    },
    async (request, reply) => {
      const chosen = request.body?.scope ?? request.query.scope ?? 'local';
      if (bearerToken(request) !== undefined) {
        await authenticate.call(app, request, reply);
        await service.logout(authOf(request), chosen, meta(request));
        if (readRefreshCookie(request) !== undefined) clearRefreshCookie(request, reply);
      } else {
        const cookie = readRefreshCookie(request);
        if (cookie === undefined) {
          throw unauthorized(
            'MISSING_TOKEN',
            'Sign in first: logout needs a Bearer token or the refresh cookie.',
          );
        }
        assertCsrfSafe(request, config.publicOrigin);
        await service.logoutByRefreshToken(cookie, chosen, meta(request));
        clearRefreshCookie(request, reply);
      }
      return reply.code(204).send();
    },
  );

  app.get(
    '/auth/me',
    { onRequest: authenticate, schema: doc('The signed-in user, organisation and role', true) },
    async (request, reply) => {
      const { user, organization } = await service.me(authOf(request), request.id);
      reply.header('cache-control', 'no-store');
      return { user, organization, role: user.role };
    },
  );

  app.get(
    '/api/me',
    { onRequest: authenticate, schema: doc('The verified token: user_id, org_id, role, email', true) },
    async (request, reply) => {
      const auth = authOf(request);
      const { user } = await service.me(auth, request.id);
      reply.header('cache-control', 'no-store');
      return { user_id: auth.userId, org_id: auth.orgId, role: auth.role, email: user.email };
    },
  );

  app.get(
    '/auth/members',
    { onRequest: authenticate, schema: doc('List the organisation’s members', true) },
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
      schema: { ...doc('Change a member’s role or name', true), params: memberParams, body: memberPatch },
      onRequest: [authenticate, requireRole('admin')],
    },
    async (request) => ({
      data: await service.updateMember(authOf(request), request.params.id, request.body, meta(request)),
    }),
  );

  app.delete(
    '/auth/members/:id',
    {
      schema: { ...doc('Remove a member (their sessions end)', true), params: memberParams },
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
      },
      onRequest: authenticate,
    },
    async (request) => ({ data: await service.changePassword(authOf(request), request.body, meta(request)) }),
  );

  app.post(
    '/auth/invitations/accept',
    {
      schema: {
        ...doc('Set a password with an invitation or password-reset token; returns a token pair'),
        body: acceptBody,
      },
    },
    async (request, reply) => {
      checkCookieMode(request);
      const issued = await service.acceptInvitation(request.body, meta(request));
      return reply.send(tokenAnswer(request, reply, issued));
    },
  );
}
