import type { Caller } from '../../domain/caller.ts';
import { hashApiKey, parsePermissions } from '../../domain/api-keys.ts';
import type { UserDirectory } from '../../domain/user-directory.ts';
import type { ApiKeyDirectory } from '../../domain/auth/api-key-directory.ts';
import type { ApiKeysRepository } from '../../data/api-keys-repository.ts';
import type { Queryable } from '../../data/database.ts';
import type { Logger } from '../../observability/logger.ts';
import { bearerToken, publicRoute, type IdentityResolver } from '../middleware/identity.ts';
import { SidecarError } from '../../errors.ts';
import type { AppContext } from '../route.ts';

/** A bearer value that is a signed access token (three base64url parts), not an API key. */
export const looksLikeAccessToken = (v: string) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(v);

const invalid = () => new SidecarError('slbp_invalid_api_key', 'The API key is invalid, revoked or expired.', 401);

/**
 * API keys from `X-API-Key` or `Authorization: Bearer` (never the query string). The key acts as
 * its owner, restricted to its permissions. Keys are held by `directory` (a revocation reaches
 * every node within a second; docs/decisions/0030-webhook-contention-and-bulkheads.md).
 */
export function apiKeyIdentity(
  keys: ApiKeysRepository,
  directory: ApiKeyDirectory,
  write: Queryable,
  users: UserDirectory,
  skipBearer: (v: string) => boolean,
  logger: Logger,
): IdentityResolver {
  const lastTouch = new Map<number, number>();
  return {
    name: 'api_key',
    headers: ['x-api-key', 'authorization'],
    async resolve(ctx: AppContext): Promise<Caller | null> {
      let key = ctx.get('X-API-Key').trim();
      let fromBearer = false;
      if (!key) {
        const bearer = bearerToken(ctx.req.headers.authorization);
        if (!bearer || looksLikeAccessToken(bearer) || skipBearer(bearer)) return null;
        key = bearer;
        fromBearer = true;
      }
      // An unknown Bearer value on a public route leaves the request anonymous (as in WordPress core).
      const refuse = () => {
        if (fromBearer && publicRoute(ctx)) return null;
        throw invalid();
      };
      if (key.length > 256) return refuse();
      const row = await directory.find(hashApiKey(key));
      if (!row || Number(row.is_active) !== 1) return refuse();
      if (row.expires_at && Date.parse(`${row.expires_at.replace(' ', 'T')}Z`) <= Date.now()) return refuse();
      const user = await users.get(Number(row.user_id));
      if (!user) return refuse();
      const id = Number(row.id);
      if (Date.now() - (lastTouch.get(id) ?? 0) > 60_000) {
        lastTouch.set(id, Date.now());
        keys.touch(write, id).catch((err) => logger.warn('could not record API key use', { key_id: id, error: (err as Error).message }));
      }
      return {
        kind: 'api_key',
        userId: user.userId,
        keyId: id,
        permissions: parsePermissions(row.permissions),
        roles: user.roles,
        capabilities: user.capabilities,
        rateLimitPerHour: Number(row.rate_limit),
      };
    },
  };
}
