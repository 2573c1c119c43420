import { createHmac } from 'node:crypto';
import type { CacheService } from '../cache/cache-service.ts';
import { NonceStore } from '../cache/nonce-store.ts';
import { stalePurge } from '../cache/stale-purge.ts';
import type { RedisHandle } from '../cache/redis.ts';
import type { Config } from '../config/schema.ts';
import type { SiteIdentity } from '../config/site-identity.ts';
import { ApiKeysRepository } from '../data/api-keys-repository.ts';
import { OptionsRepository } from '../data/options-repository.ts';
import type { Database } from '../data/database.ts';
import { SessionsRepository } from '../data/sessions-repository.ts';
import type { Tables } from '../data/tables.ts';
import type { UsersRepository } from '../data/users-repository.ts';
import { ApiKeyAdmin } from '../domain/api-key-admin.ts';
import { AccessTokens, deriveTokenKey } from '../domain/auth/access-tokens.ts';
import { ApiKeyDirectory } from '../domain/auth/api-key-directory.ts';
import { AuthService } from '../domain/auth/auth-service.ts';
import { LoginLockout } from '../domain/auth/login-lockout.ts';
import { PasswordWork } from '../domain/auth/password-work.ts';
import { Revocations } from '../domain/auth/revocations.ts';
import { DatabaseSessions, RedisSessions, SessionStore } from '../domain/auth/session-store.ts';
import { WordPressSessions } from '../domain/auth/wordpress-sessions.ts';
import type { SiteSettings } from '../domain/site-settings.ts';
import { UserDirectory } from '../domain/user-directory.ts';
import { accessTokenIdentity } from '../http/identity/access-token.ts';
import { apiKeyIdentity } from '../http/identity/api-key.ts';
import { applicationPasswordIdentity } from '../http/identity/application-password.ts';
import { shimIdentity } from '../http/identity/shim-signature.ts';
import { wordpressCookieIdentity } from '../http/identity/wordpress-cookie.ts';
import type { IdentityResolver } from '../http/middleware/identity.ts';
import { apiKeyRoutes } from '../http/routes/api-keys.ts';
import { authRoutes } from '../http/routes/auth.ts';
import { CronJob } from '../jobs/cron-job.ts';
import type { Logger } from '../observability/logger.ts';
import type { FeatureParts } from './feature.ts';

export interface AuthDeps {
  config: Config;
  logger: Logger;
  site: SiteIdentity;
  db: Database;
  tables: Tables;
  redis: RedisHandle | null;
  cache: CacheService;
  settings: SiteSettings;
  users: UsersRepository;
}

/**
 * Who the caller is: the shim's signature, WordPress's own logins (Application Passwords over
 * HTTP Basic, the logged-in cookie with its REST nonce), access tokens, API keys; sign-in,
 * sessions and the API key administration.
 */
export interface Auth extends FeatureParts {
  auth: AuthService;
  sessions: SessionStore;
  /** WordPress users as the sidecar sees them: roles, capabilities, the token stamp. */
  userDirectory: UserDirectory;
  apiKeys: ApiKeysRepository;
  /** API keys for administrators (Billing → API keys, the api-keys CLI). */
  apiKeyAdmin: ApiKeyAdmin;
  /** The kinds of credential a request may carry, asked in this order. */
  identityResolvers: IdentityResolver[];
}

/** Builds sign-in, tokens, sessions and the identity resolvers of the frame, with the auth and API key routes. */
export function createAuth(d: AuthDeps): Auth {
  const { config, db, logger: log, users } = d;
  const apiKeys = new ApiKeysRepository(d.tables);
  const tokenKey = deriveTokenKey(config.security.sidecarSecret, config.wpSalts);
  if (!tokenKey.shared)
    log.warn('neither SLBP_SIDECAR_SECRET nor wp-config salts are set: access tokens only work on the node that issued them');
  // Bound to the site: stores (or a staging copy) sharing a secret or salts never accept each other's tokens.
  const tokens = new AccessTokens(
    createHmac('sha256', tokenKey.key).update(`site:${d.site.key}`).digest(),
    config.security.accessTokenTtlSec,
  );
  // Identity reads have connections of their own (bulkheads, docs/decisions/0030-webhook-contention-and-bulkheads.md).
  const identityRead = db.laneRead('identity');
  const userDirectory = new UserDirectory(users, identityRead, d.settings, d.cache, d.tables.capabilitiesMeta, (hash) =>
    tokens.stamp(hash),
  );
  const nonces = new NonceStore(d.redis, 2 * 60 + 60);
  const configuredTokens = new Set([config.security.metricsToken, config.security.healthToken].filter(Boolean));
  const sessionsRepo = new SessionsRepository(d.tables);
  const sessions = new SessionStore(
    { redis: new RedisSessions(d.redis), database: new DatabaseSessions(sessionsRepo, db.write) },
    config.security.sessionHandler,
    () => d.settings.sessionHandler,
  );
  const revocations = new Revocations(() => sessions.current, config.security.refreshTokenTtlSec, log);
  const auth = new AuthService({
    users,
    read: db.read,
    write: db.write,
    directory: userDirectory,
    tokens,
    sessions,
    revocations,
    lockout: new LoginLockout(d.redis),
    passwords: new PasswordWork(() => users.passwordHashPrefixes(db.read), log),
    refreshTtlSec: config.security.refreshTokenTtlSec,
    logger: log,
  });
  const apiKeyDirectory = new ApiKeyDirectory(apiKeys, identityRead, log);
  // This node forgets at once; the others within their next poll of the version key.
  const apiKeyAdmin = new ApiKeyAdmin(apiKeys, users, db, async () => {
    apiKeyDirectory.clear();
    await revocations.bump();
  });
  revocations.onChange(() => apiKeyDirectory.clear());
  const wordpressSessions = new WordPressSessions({
    users,
    options: new OptionsRepository(d.tables),
    // The primary (a logout in WordPress counts on the next request), on the identity lane's connections.
    write: db.lane('identity'),
    constants: config.wpSalts,
    logger: log,
  });
  return {
    auth,
    sessions,
    userDirectory,
    apiKeys,
    apiKeyAdmin,
    identityResolvers: [
      shimIdentity(config.security.sidecarSecret, nonces, userDirectory),
      applicationPasswordIdentity(auth),
      accessTokenIdentity(tokens, userDirectory, revocations),
      apiKeyIdentity(apiKeys, apiKeyDirectory, db.write, userDirectory, (v) => configuredTokens.has(v), log),
      // Last: browsers send cookies with everything; a request with another credential is judged by that one.
      wordpressCookieIdentity(wordpressSessions, userDirectory),
    ],
    routes: [...authRoutes({ auth, directory: userDirectory }), ...apiKeyRoutes(apiKeyAdmin, () => d.settings.homeUrl)],
    services: [revocations, stalePurge('nonce-expiry', [nonces])],
    // Expired rows in wp_slbp_sessions are never read back; prune them hourly (Redis expires its own).
    jobs: [new CronJob('session-purge', '17 * * * *', () => sessionsRepo.purgeExpired(db.write), log)],
    health: {},
  };
}
