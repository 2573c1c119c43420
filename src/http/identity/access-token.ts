import type { AccessClaims, AccessTokens } from '../../domain/auth/access-tokens.ts';
import type { Revocations } from '../../domain/auth/revocations.ts';
import type { Caller } from '../../domain/caller.ts';
import type { UserDirectory, UserIdentity } from '../../domain/user-directory.ts';
import { bearerToken, publicRoute, type IdentityResolver } from '../middleware/identity.ts';
import { SidecarError } from '../../errors.ts';
import type { AppContext } from '../route.ts';
import { looksLikeAccessToken } from './api-key.ts';

const invalid = () => new SidecarError('slbp_invalid_token', 'The access token is invalid or expired.', 401);

/**
 * `Authorization: Bearer <access token>` from /auth/login; roles come from the database, not the
 * token. A token is refused once its user's password changed (its stamp no longer matches the
 * user's) or its session family was revoked (logout, refresh-token reuse). A token verified before
 * whose user and family this process knows is answered without a promise.
 */
export function accessTokenIdentity(
  tokens: AccessTokens,
  users: UserDirectory,
  revocations: Pick<Revocations, 'isRevoked'>,
): IdentityResolver {
  const callerOf = (ctx: AppContext, user: UserIdentity | null, claims: AccessClaims): Caller | Promise<Caller> => {
    if (!user || (claims.pwd !== undefined && claims.pwd !== user.passwordStamp)) throw invalid();
    const revoked = revocations.isRevoked(claims.sid);
    if (revoked instanceof Promise) return revoked.then((r) => caller(ctx, user, claims, r));
    return caller(ctx, user, claims, revoked);
  };
  const caller = (ctx: AppContext, user: UserIdentity, claims: AccessClaims, revoked: boolean): Caller => {
    if (revoked) throw invalid();
    ctx.state.tokenExpiresAt = claims.exp;
    return { kind: 'user', via: 'token', userId: user.userId, roles: user.roles, capabilities: user.capabilities };
  };
  return {
    name: 'access_token',
    headers: ['authorization'],
    resolve(ctx: AppContext): Caller | null | Promise<Caller | null> {
      const bearer = bearerToken(ctx.req.headers.authorization);
      if (!bearer || !looksLikeAccessToken(bearer)) return null;
      const claims = tokens.verify(bearer);
      if (!claims) {
        // A token this site did not sign (or that expired) on a public route is ignored, as WordPress core does.
        if (publicRoute(ctx)) return null;
        throw invalid();
      }
      const known = users.cached(claims.sub);
      if (known !== undefined) return callerOf(ctx, known, claims);
      return users.get(claims.sub).then((user) => callerOf(ctx, user, claims));
    },
  };
}
