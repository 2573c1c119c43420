import { z } from 'zod';
import type { AccessRule } from '../../domain/access.ts';
import { publicUser, type AuthService } from '../../domain/auth/auth-service.ts';
import { access } from '../../domain/access.ts';
import type { UserDirectory } from '../../domain/user-directory.ts';
import { SidecarError } from '../../errors.ts';
import { stringParam } from '../params.ts';
import { defineRoute, type AppContext, type RouteSpec } from '../route.ts';

export interface AuthRouteDeps {
  auth: AuthService;
  directory: UserDirectory;
}

/** Signed-in callers that are a WordPress user (shim user, token or API key), not WordPress itself. */
const userCaller: AccessRule = {
  name: 'signed_in_user',
  description: 'any signed-in user (shim, access token, API key, Application Password or WordPress login cookie)',
  allows: (c) => c.kind === 'user' || c.kind === 'api_key',
};

const refreshBody = z.object({ refresh_token: stringParam({ min: 16, max: 256, pattern: /^[\w-]+$/ }) });
/** Well formed, never issued: the documented examples show the answers for an unknown token. */
const EXAMPLE_REFRESH_TOKEN = 'example-refresh-token-not-issued';

/** Carries a SidecarError's retry_after into the Retry-After header (429s). */
async function withRetryAfter<T>(ctx: AppContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SidecarError && typeof err.data.retry_after === 'number') ctx.set('Retry-After', String(err.data.retry_after));
    throw err;
  }
}

/** `/auth/*` and `/users/me`: sign-in with WordPress passwords or Application Passwords, tokens, who am I. */
export function authRoutes({ auth, directory }: AuthRouteDeps): RouteSpec[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/auth/login',
      summary: 'Sign in with a WordPress password or an Application Password',
      tags: ['auth'],
      access: access.public,
      rateLimit: 'auth',
      body: z.object({
        username: stringParam({ min: 1, max: 255 }),
        password: z
          .string({ error: (i) => (i.input === undefined ? undefined : 'Must be a string.') })
          .min(1)
          .max(4096),
      }),
      errors: ['slbp_invalid_credentials', 'slbp_login_locked', 'slbp_rate_limited'],
      responses: {
        200: { description: '{access_token, refresh_token, token_type, expires_in, user}' },
        401: { description: 'wrong username or password' },
        429: { description: 'locked out or rate limited' },
      },
      // The demo data's administrator (README: demo logins).
      example: { as: 'anonymous', body: { username: 'admin', password: 'demo-admin-password' }, status: 200 },
      handler: (ctx, { body }) => withRetryAfter(ctx, () => auth.login(body.username, body.password, ctx.state.origin.ip)),
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/refresh',
      summary: 'Exchange a refresh token for a new token pair (the old one stops working)',
      tags: ['auth'],
      access: access.public,
      rateLimit: 'auth',
      body: refreshBody,
      errors: ['slbp_invalid_refresh_token'],
      responses: {
        200: { description: 'a new {access_token, refresh_token, ...}' },
        401: { description: 'unknown, used or expired refresh token' },
      },
      example: { as: 'anonymous', body: { refresh_token: EXAMPLE_REFRESH_TOKEN }, status: 401 },
      handler: (ctx, { body }) => auth.refresh(body.refresh_token, ctx.state.origin.ip),
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/logout',
      summary: 'Revoke a refresh token',
      tags: ['auth'],
      access: access.public,
      rateLimit: 'auth',
      body: refreshBody,
      responses: { 200: { description: '{logged_out, revoked}: revoked is false when the token was unknown or already used' } },
      example: { as: 'anonymous', body: { refresh_token: EXAMPLE_REFRESH_TOKEN }, status: 200 },
      async handler(_ctx, { body }) {
        return { logged_out: true, revoked: await auth.logout(body.refresh_token) };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/auth/verify',
      summary: 'Whether the presented credential (API key, access token, Application Password, login cookie) is valid, and what it may do',
      tags: ['auth'],
      access: userCaller,
      handler(ctx) {
        const c = ctx.state.caller;
        if (c.kind === 'api_key')
          return { valid: true, user_id: c.userId, key_id: c.keyId, permissions: c.permissions, rate_limit: c.rateLimitPerHour };
        if (c.kind !== 'user') throw new SidecarError('rest_forbidden', 'Sorry, you are not allowed to do that.', 401);
        const exp = ctx.state.tokenExpiresAt;
        return {
          valid: true,
          user_id: c.userId,
          via: c.via,
          permissions: [],
          ...(exp ? { expires_at: new Date(exp * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') } : {}),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/users/me',
      summary: 'The signed-in user: id, names, roles and capabilities',
      tags: ['auth'],
      access: userCaller,
      async handler(ctx) {
        const c = ctx.state.caller;
        const user = c.kind === 'user' || c.kind === 'api_key' ? await directory.get(c.userId) : null;
        if (!user) throw new SidecarError('rest_user_invalid_id', 'Invalid user ID.', 404);
        return publicUser(user);
      },
    }),
  ];
}
