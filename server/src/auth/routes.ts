// Owns the identity service's HTTP surface: /auth/* and GET /api/me (the member and account
// routes are in member-routes.ts). Routes stay thin:
// validate, call the service, shape the answer (and the refresh cookie in cookie mode).
// Credentials and the CSRF defence are checked in hooks before the body is validated: a stranger
// or a cross-site page gets 401/403, never a 400 that describes the body.
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { z } from 'zod';
import type { App } from '../app.ts';
import type { Config } from '../config.ts';
import { AppError, unauthorized } from '../http/errors.ts';
import { authOf, bearerToken } from '../http/request-auth.ts';
import { noContent, responses } from '../http/responses.ts';
import {
  assertCsrfSafe,
  clearRefreshCookie,
  readRefreshCookie,
  setRefreshCookie,
  wantsCookieMode,
} from './cookies.ts';
import { registerMemberRoutes } from './member-routes.ts';
import { PASSWORD_MAX, PASSWORD_MIN } from './passwords.ts';
import { authConfigAnswer, meAnswer, tokenClaimsAnswer, tokenPairAnswer } from './responses.ts';
import { doc, email, NO_CONTROL, newPassword, noControl, personName, requestMeta } from './schemas.ts';
import type { IdentityService } from './service.ts';
import type { IssuedTokens } from './types.ts';

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
const acceptBody = z.object({ token: z.string().min(1).max(512), password: newPassword }).strict();

export type IdentityRouteDeps = {
  config: Config;
  service: IdentityService;
  authenticate: onRequestAsyncHookHandler;
};

export function registerIdentityRoutes(app: App, { config, service, authenticate }: IdentityRouteDeps) {
  const meta = requestMeta;

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
  /** onRequest: cookie mode answers must not be forgeable cross-site (login CSRF included). */
  const checkCookieMode = async (request: FastifyRequest) => {
    if (wantsCookieMode(request)) assertCsrfSafe(request, config.publicOrigin);
  };
  /** preValidation: a refresh that would use the cookie (no token in the body) must be same-origin. */
  const checkRefreshCsrf = async (request: FastifyRequest) => {
    const sent = (request.body as { refresh_token?: unknown } | null | undefined)?.refresh_token;
    if (wantsCookieMode(request) || (sent === undefined && readRefreshCookie(request) !== undefined))
      assertCsrfSafe(request, config.publicOrigin);
  };
  /** onRequest: logout's credential is the Bearer token, else the refresh cookie (same-origin only). */
  const logoutCredential = async (request: FastifyRequest, reply: FastifyReply) => {
    if (bearerToken(request) !== undefined) return authenticate.call(app, request, reply);
    if (readRefreshCookie(request) === undefined) {
      throw unauthorized(
        'MISSING_TOKEN',
        'Sign in first: logout needs a Bearer token or the refresh cookie.',
      );
    }
    assertCsrfSafe(request, config.publicOrigin);
  };

  app.get(
    '/auth/config',
    {
      schema: {
        ...doc('Public settings the sign-up and password forms need'),
        response: responses({ 200: authConfigAnswer }),
      },
    },
    async () => ({
      registration_open: config.allowRegistration,
      password_min_length: PASSWORD_MIN,
      password_max_length: PASSWORD_MAX,
    }),
  );

  app.post(
    '/auth/register',
    {
      onRequest: checkCookieMode,
      schema: {
        ...doc('Create an organisation and its owner; returns a token pair'),
        body: registerBody,
        response: responses({ 201: tokenPairAnswer }),
      },
    },
    async (request, reply) => {
      const issued = await service.register(request.body, meta(request));
      return reply.code(201).send(tokenAnswer(request, reply, issued));
    },
  );

  app.post(
    '/auth/login',
    {
      onRequest: checkCookieMode,
      schema: {
        ...doc('Sign in; returns a token pair'),
        body: loginBody,
        response: responses({ 200: tokenPairAnswer }),
      },
    },
    async (request, reply) => {
      const issued = await service.login(request.body, meta(request));
      return reply.send(tokenAnswer(request, reply, issued));
    },
  );

  app.post(
    '/auth/refresh',
    {
      preValidation: checkRefreshCsrf,
      schema: {
        ...doc('Rotate a refresh token (body, or the cookie in cookie mode)'),
        body: refreshBody,
        response: responses({ 200: tokenPairAnswer }),
      },
    },
    async (request, reply) => {
      let token = request.body?.refresh_token;
      const fromCookie = token === undefined;
      if (fromCookie) {
        token = readRefreshCookie(request);
        if (token === undefined) {
          // A missing credential, not a malformed request: the web app's first visit lands here.
          throw unauthorized(
            'MISSING_TOKEN',
            'Sign in first: send {"refresh_token": "..."} or, in cookie mode, the refresh cookie.',
          );
        }
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
      onRequest: logoutCredential,
      schema: {
        ...doc('Revoke this session (scope=local) or all your sessions (scope=global)', true),
        querystring: logoutQuery,
        body: logoutBody,
        response: responses({ 204: noContent }),
      },
    },
    async (request, reply) => {
      const chosen = request.body?.scope ?? request.query.scope ?? 'local';
      const cookie = readRefreshCookie(request);
      if (request.auth) {
        await service.logout(request.auth, chosen, meta(request));
        if (cookie !== undefined) clearRefreshCookie(request, reply);
      } else {
        // logoutCredential let it through: the same-origin refresh cookie is there.
        await service.logoutByRefreshToken(cookie!, chosen, meta(request));
        clearRefreshCookie(request, reply);
      }
      return reply.code(204).send();
    },
  );

  app.get(
    '/auth/me',
    {
      onRequest: authenticate,
      schema: {
        ...doc('The signed-in user, organisation and role', true),
        response: responses({ 200: meAnswer }),
      },
    },
    async (request, reply) => {
      const { user, organization } = await service.me(authOf(request), request.id);
      reply.header('cache-control', 'no-store');
      return { user, organization, role: user.role };
    },
  );

  app.get(
    '/api/me',
    {
      onRequest: authenticate,
      schema: {
        ...doc('The verified token: user_id, org_id, role, email', true),
        response: responses({ 200: tokenClaimsAnswer }),
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      const { user } = await service.me(auth, request.id);
      reply.header('cache-control', 'no-store');
      return { user_id: auth.userId, org_id: auth.orgId, role: auth.role, email: user.email };
    },
  );

  registerMemberRoutes(app, { service, authenticate });

  app.post(
    '/auth/invitations/accept',
    {
      onRequest: checkCookieMode,
      schema: {
        ...doc('Set a password with an invitation or password-reset token; returns a token pair'),
        body: acceptBody,
        response: responses({ 200: tokenPairAnswer }),
      },
    },
    async (request, reply) => {
      const issued = await service.acceptInvitation(request.body, meta(request));
      return reply.send(tokenAnswer(request, reply, issued));
    },
  );
}
