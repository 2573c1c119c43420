import type { Caller } from '../../domain/caller.ts';
import type { UserDirectory } from '../../domain/user-directory.ts';
import { cookieValue } from '../../domain/auth/wordpress-cookies.ts';
import type { WordPressSessions } from '../../domain/auth/wordpress-sessions.ts';
import { SidecarError } from '../../errors.ts';
import type { IdentityResolver } from '../middleware/identity.ts';
import type { AppContext } from '../route.ts';

/**
 * A logged-in WordPress browser session, as WordPress's REST API accepts it
 * (rest_cookie_check_errors): the `wordpress_logged_in_*` cookie together with the `wp_rest`
 * nonce in `X-WP-Nonce` (or `_wpnonce`). A cookie that is not valid (logged out, expired, forged)
 * and a valid cookie without a nonce leave the request anonymous, as in WordPress; a valid cookie
 * with a wrong nonce is refused (401, where WordPress answers 403: a refused credential here is
 * always a 401 and counts as a failed sign-in).
 */
export function wordpressCookieIdentity(sessions: WordPressSessions, users: UserDirectory): IdentityResolver {
  return {
    name: 'wordpress_cookie',
    headers: ['cookie'],
    async resolve(ctx: AppContext): Promise<Caller | null> {
      const header = ctx.req.headers.cookie;
      if (!header || !header.includes('wordpress_logged_in_')) return null;
      const value = cookieValue(header, await sessions.cookieName());
      if (!value) return null;
      const session = await sessions.session(value, ctx.method);
      if (!session) return null;
      const query = ctx.query._wpnonce;
      const nonce = typeof query === 'string' ? query : ctx.get('X-WP-Nonce');
      if (!nonce) return null;
      if (!(await sessions.restNonceValid(nonce, session))) throw new SidecarError('rest_cookie_invalid_nonce', 'Cookie check failed', 401);
      const user = await users.get(session.userId);
      if (!user) return null;
      return { kind: 'user', via: 'cookie', userId: user.userId, roles: user.roles, capabilities: user.capabilities };
    },
  };
}
