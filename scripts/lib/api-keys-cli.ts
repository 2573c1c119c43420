import type { Config } from '../../src/config/schema.ts';
import { CliError } from '../../src/cli/io.ts';
import { ApiKeysRepository } from '../../src/data/api-keys-repository.ts';
import { Database } from '../../src/data/database.ts';
import { createTables } from '../../src/data/tables.ts';
import { UsersRepository } from '../../src/data/users-repository.ts';
import { generateApiKey, hashApiKey, maskApiKey, parsePermissions } from '../../src/domain/api-keys.ts';
import { API_PERMISSIONS } from '../../src/domain/caller.ts';

export interface CreateKeyOptions { user: string; name: string; permissions: string; rateLimit: string; expires?: string }

async function withKeys<T>(config: Config, fn: (db: Database, keys: ApiKeysRepository, users: UsersRepository) => Promise<T>): Promise<T> {
  const tables = createTables(config.db.tablePrefix);
  const db = new Database(config.db);
  try {
    return await fn(db, new ApiKeysRepository(tables), new UsersRepository(tables));
  } finally {
    await db.close();
  }
}

/**
 * Creates a key for a WordPress user and returns the lines to print: the key is shown once
 * (only its sha256 is stored). Input problems are CliErrors (exit 2) and write nothing.
 */
export function createKey(config: Config, o: CreateKeyOptions): Promise<string[]> {
  const permissions = o.permissions.split(',').map((p) => p.trim()).filter(Boolean);
  const unknown = permissions.filter((p) => !(API_PERMISSIONS as readonly string[]).includes(p));
  if (unknown.length || !permissions.length) throw new CliError(`--permissions: unknown permission(s) ${unknown.join(', ') || '(none given)'}; known: ${API_PERMISSIONS.join(', ')}`);
  const rateLimit = Number(o.rateLimit);
  if (!/^\d+$/.test(o.rateLimit) || rateLimit < 1) throw new CliError('--rate-limit must be a whole number of requests per hour (≥ 1)');
  let expiresAt: string | null = null;
  if (o.expires) {
    const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(o.expires) ? `${o.expires}T23:59:59Z` : o.expires);
    if (Number.isNaN(d.getTime())) throw new CliError('--expires must be a date (YYYY-MM-DD) or ISO 8601 time');
    expiresAt = d.toISOString().slice(0, 19).replace('T', ' ');
  }
  return withKeys(config, async (db, keys, users) => {
    const user = /^\d+$/.test(o.user) ? await users.findById(db.read, Number(o.user)) : await users.findByLoginOrEmail(db.read, o.user);
    if (!user) throw new CliError(`--user: no WordPress user "${o.user}" in ${config.db.name} (table prefix ${config.db.tablePrefix})`);
    const key = generateApiKey();
    const id = await keys.insert(db.write, { userId: Number(user.ID), name: o.name, hash: hashApiKey(key), permissions, rateLimit, expiresAt });
    return [
      `created API key ${id} for ${user.user_login} (user ${user.ID}): ${permissions.join(', ')}; ${rateLimit} requests/hour${expiresAt ? `; expires ${expiresAt} UTC` : ''}`,
      `key: ${key}`,
      'Store it now: only its sha256 is kept, it cannot be shown again.',
    ];
  });
}

/** Every key, masked (lookups are by sha256; the key itself is never stored). */
export function listKeys(config: Config): Promise<string[]> {
  return withKeys(config, async (db, keys) => {
    const rows = await keys.list(db.read);
    if (!rows.length) return ['no API keys'];
    return rows.map((r) => [
      `#${r.id}`, `user ${r.user_id}`, JSON.stringify(r.name), `sha256 ${maskApiKey(r.api_key)}`, parsePermissions(r.permissions).join(',') || '-',
      `${r.rate_limit}/h`, Number(r.is_active) === 1 ? 'active' : 'revoked', `last used ${r.last_used_at ?? 'never'}`, `expires ${r.expires_at ?? 'never'}`,
    ].join('  '));
  });
}

/** Deactivates a key; it stops working on the next request (lookups are not cached). */
export function revokeKey(config: Config, id: string): Promise<string[]> {
  if (!/^\d+$/.test(id)) throw new CliError(`"${id}" is not a key id (a number, as api-keys list shows)`);
  return withKeys(config, async (db, keys) => {
    if (!(await keys.revoke(db.write, Number(id)))) throw new CliError(`no API key ${id}`, 1);
    return [`revoked API key ${id}`];
  });
}
