import type { AccessTokens } from '../../domain/auth/access-tokens.ts';
import type { Caller } from '../../domain/caller.ts';
import type { UserDirectory, UserIdentity } from '../../domain/user-directory.ts';
import { bearerToken, type IdentityResolver } from '../middleware/identity.ts';
import { RestError } from '../rest-error.ts';
import type { AppContext } from '../route.ts';
import { looksLikeAccessToken } from './api-key.ts';

const invalid = () => new RestError('slbp_invalid_token', 'The access token is invalid or expired.', 401);

/**
 * `Authorization: Bearer <access token>` from /auth/login; roles come from the database, not the
 * token. A token verified before whose user the cache holds is answered without a promise.
 */
export function accessTokenIdentity(tokens: AccessTokens, users: UserDirectory): IdentityResolver {
  const callerOf = (ctx: AppContext, user: UserIdentity | null, exp: number): Caller => {
    if (!user) throw invalid();
    ctx.state.tokenExpiresAt = exp;
    return { kind: 'user', via: 'token', userId: user.userId, roles: user.roles, capabilities: user.capabilities };
  };
  return {
    name: 'access_token',
    headers: ['authorization'],
    resolve(ctx: AppContext): Caller | null | Promise<Caller | null> {
      const bearer = bearerToken(ctx.req.headers.authorization);
      if (!bearer || !looksLikeAccessToken(bearer)) return null;
      const claims = tokens.verify(bearer);
      if (!claims) throw invalid();
      const known = users.cached(claims.sub);
      if (known !== undefined) return callerOf(ctx, known, claims.exp);
      return users.get(claims.sub).then((user) => callerOf(ctx, user, claims.exp));
    },
  };
}
