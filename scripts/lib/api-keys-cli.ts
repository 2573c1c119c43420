import type { Config } from '../../src/config/schema.ts';
import { CliError } from '../../src/cli/io.ts';
import { ApiKeysRepository } from '../../src/data/api-keys-repository.ts';
import { Database } from '../../src/data/database.ts';
import { createTables } from '../../src/data/tables.ts';
import { UsersRepository } from '../../src/data/users-repository.ts';
import { ApiKeyAdmin, ApiKeyInputError } from '../../src/domain/api-key-admin.ts';
import { maskApiKey, parsePermissions } from '../../src/domain/api-keys.ts';
import { API_PERMISSIONS } from '../../src/domain/caller.ts';
import { RedisHandle } from '../../src/cache/redis.ts';
import { siteKeyOf } from '../../src/config/site-identity.ts';
import { SessionsRepository } from '../../src/data/sessions-repository.ts';
import { bumpRevocationVersion } from '../../src/domain/auth/revocations.ts';
import { DatabaseSessions, RedisSessions } from '../../src/domain/auth/session-store.ts';
import { createLogger } from '../../src/observability/logger.ts';

export interface CreateKeyOptions {
  user: string;
  name: string;
  permissions: string;
  rateLimit: string;
  expires?: string;
}

/** The same service the Billing → API keys page uses, on a pool of its own for one command. */
async function withAdmin<T>(config: Config, fn: (admin: ApiKeyAdmin) => Promise<T>): Promise<T> {
  const tables = createTables(config.db.tablePrefix);
  const db = new Database(config.db);
  try {
    return await fn(new ApiKeyAdmin(new ApiKeysRepository(tables), new UsersRepository(tables), db, () => tellNodes(config, db, tables)));
  } finally {
    await db.close();
  }
}

/**
 * A revocation from the command line reaches the running nodes the way theirs does: a new value
 * of the revocation version key, written in both session stores (the nodes poll whichever the
 * site uses; docs/decisions/0030-webhook-contention-and-bulkheads.md).
 */
async function tellNodes(config: Config, db: Database, tables: ReturnType<typeof createTables>): Promise<void> {
  const ttl = config.security.refreshTokenTtlSec;
  await bumpRevocationVersion(new DatabaseSessions(new SessionsRepository(tables), db.write), ttl);
  if (!config.redis.enabled) return;
  const redis = new RedisHandle(
    config.redis,
    siteKeyOf(config.db.name, config.db.tablePrefix),
    createLogger({ level: 'error', format: 'json' }),
  );
  try {
    for (let i = 0; i < 40 && !redis.isReady(); i++) await new Promise((r) => setTimeout(r, 50));
    if (redis.isReady()) await bumpRevocationVersion(new RedisSessions(redis), ttl);
  } finally {
    await redis.close();
  }
}

/** The flag an input problem of the service is about. */
function flagOf(field: string): string {
  return field === 'rate_limit' ? '--rate-limit' : field === 'expires_at' ? '--expires' : `--${field}`;
}

/**
 * Creates a key for a WordPress user and returns the lines to print: the key is shown once
 * (only its sha256 is stored). Input problems are CliErrors (exit 2) and write nothing.
 */
export function createKey(config: Config, o: CreateKeyOptions): Promise<string[]> {
  if (!/^\d+$/.test(o.rateLimit)) throw new CliError('--rate-limit must be a whole number of requests per hour (≥ 1)');
  return withAdmin(config, async (admin) => {
    let created: Awaited<ReturnType<ApiKeyAdmin['create']>>;
    try {
      created = await admin.create({
        user: o.user,
        name: o.name,
        permissions: o.permissions.split(','),
        rateLimit: Number(o.rateLimit),
        expires: o.expires,
      });
    } catch (err) {
      if (!(err instanceof ApiKeyInputError)) throw err;
      if (err.field === 'permissions') throw new CliError(`--permissions: ${err.message}; known: ${API_PERMISSIONS.join(', ')}`);
      if (err.field === 'user') throw new CliError(`--user: ${err.message} in ${config.db.name} (table prefix ${config.db.tablePrefix})`);
      throw new CliError(`${flagOf(err.field)} ${err.message}`);
    }
    const { key, item, user } = created;
    const expires = item.expires_at ? item.expires_at.replace('T', ' ').replace(/(\.000)?Z$/, '') : null;
    return [
      `created API key ${item.id} for ${user.user_login} (user ${user.ID}): ${item.permissions.join(', ')}; ${item.rate_limit} requests/hour${expires ? `; expires ${expires} UTC` : ''}`,
      `key: ${key}`,
      'Store it now: only its sha256 is kept, it cannot be shown again.',
    ];
  });
}

/** Every key, masked (lookups are by sha256; the key itself is never stored). */
export function listKeys(config: Config): Promise<string[]> {
  return withAdmin(config, async (admin) => {
    const rows = await admin.all();
    if (!rows.length) return ['no API keys'];
    return rows.map((r) =>
      [
        `#${r.id}`,
        `user ${r.user_id}`,
        JSON.stringify(r.name),
        `sha256 ${maskApiKey(r.api_key)}`,
        parsePermissions(r.permissions).join(',') || '-',
        `${r.rate_limit}/h`,
        Number(r.is_active) === 1 ? 'active' : 'revoked',
        `last used ${r.last_used_at ?? 'never'}`,
        `expires ${r.expires_at ?? 'never'}`,
      ].join('  '),
    );
  });
}

/** Deactivates a key; it stops working on the next request. */
export function revokeKey(config: Config, id: string): Promise<string[]> {
  if (!/^\d+$/.test(id)) throw new CliError(`"${id}" is not a key id (a number, as api-keys list shows)`);
  return withAdmin(config, async (admin) => {
    if (!(await admin.revoke(Number(id)))) throw new CliError(`no API key ${id}`, 1);
    return [`revoked API key ${id}`];
  });
}
