import type { AccessTokens } from '../../domain/auth/access-tokens.ts';
import type { Caller } from '../../domain/caller.ts';
import type { UserDirectory } from '../../domain/user-directory.ts';
import type { IdentityResolver } from '../middleware/identity.ts';
import { RestError } from '../rest-error.ts';
import type { AppContext } from '../route.ts';
import { looksLikeAccessToken } from './api-key.ts';

const invalid = () => new RestError('slbp_invalid_token', 'The access token is invalid or expired.', 401);

/** `Authorization: Bearer <access token>` from /auth/login; roles come from the database, not the token. */
export function accessTokenIdentity(tokens: AccessTokens, users: UserDirectory): IdentityResolver {
  return {
    name: 'access_token',
    headers: ['authorization'],
    async resolve(ctx: AppContext): Promise<Caller | null> {
      const bearer = /^Bearer\s+(.+)$/i.exec(ctx.get('Authorization'))?.[1]?.trim() ?? '';
      if (!bearer || !looksLikeAccessToken(bearer)) return null;
      const claims = tokens.verify(bearer);
      if (!claims) throw invalid();
      const user = await users.get(claims.sub);
      if (!user) throw invalid();
      ctx.state.tokenExpiresAt = claims.exp;
      return { kind: 'user', via: 'token', userId: user.userId, roles: user.roles, capabilities: user.capabilities };
    },
  };
}
