import type { AuthService } from '../../domain/auth/auth-service.ts';
import type { Caller } from '../../domain/caller.ts';
import type { IdentityResolver } from '../middleware/identity.ts';
import type { AppContext } from '../route.ts';

/** `user:password` from `Authorization: Basic ...`, or null when the header is absent, another scheme or malformed. */
export function basicCredentials(authorization: string | undefined): { username: string; password: string } | null {
  const m = authorization ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization) : null;
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * HTTP Basic with a WordPress Application Password, as WordPress's REST API accepts it: checked
 * by the same code as /auth/login (its lockouts, its reads for unknown names, usage recorded in
 * the meta), so a wrong one is a 401 and a locked-out address or account a 429.
 */
export function applicationPasswordIdentity(auth: Pick<AuthService, 'applicationPasswordUser'>): IdentityResolver {
  return {
    name: 'application_password',
    headers: ['authorization'],
    async resolve(ctx: AppContext): Promise<Caller | null> {
      const credentials = basicCredentials(ctx.req.headers.authorization);
      if (!credentials) return null;
      const user = await auth.applicationPasswordUser(credentials.username, credentials.password, ctx.state.origin.ip);
      return { kind: 'user', via: 'application_password', userId: user.userId, roles: user.roles, capabilities: user.capabilities };
    },
  };
}
