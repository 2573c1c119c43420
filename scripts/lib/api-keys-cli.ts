import { parseArgs } from 'node:util';
import type { Config } from '../../src/config/schema.ts';
import { ApiKeysRepository } from '../../src/data/api-keys-repository.ts';
import { Database } from '../../src/data/database.ts';
import { createTables } from '../../src/data/tables.ts';
import { UsersRepository } from '../../src/data/users-repository.ts';
import { generateApiKey, hashApiKey, maskApiKey, parsePermissions } from '../../src/domain/api-keys.ts';
import { API_PERMISSIONS } from '../../src/domain/caller.ts';

export const API_KEYS_USAGE = `Usage:
  api-keys create --user <id or login> --name <name> [--permissions read,write_billing,...] [--rate-limit 1000] [--expires 2027-01-31]
  api-keys list
  api-keys revoke <id>
Permissions: ${API_PERMISSIONS.join(', ')}`;

/** A usage or input problem: the CLI prints it with the usage and exits 2. */
export class CliError extends Error {}

/**
 * The API key CLI: `create` prints the new key once (only its sha256 is stored), `list` shows
 * keys masked, `revoke` deactivates a key at once (lookups are not cached). Returns output lines.
 */
export async function runApiKeysCli(argv: string[], config: Config): Promise<string[]> {
  const { positionals, values } = parseArgs({
    args: argv, allowPositionals: true,
    options: { user: { type: 'string' }, name: { type: 'string' }, permissions: { type: 'string', default: 'read' }, 'rate-limit': { type: 'string', default: '1000' }, expires: { type: 'string' } },
  });
  const [command, arg] = positionals;
  const tables = createTables(config.db.tablePrefix);
  const keys = new ApiKeysRepository(tables);
  const db = new Database(config.db);
  try {
    if (command === 'create') {
      if (!values.user || !values.name) throw new CliError('create needs --user and --name');
      const permissions = values.permissions!.split(',').map((p) => p.trim()).filter(Boolean);
      const unknown = permissions.filter((p) => !(API_PERMISSIONS as readonly string[]).includes(p));
      if (unknown.length || !permissions.length) throw new CliError(`unknown permission(s): ${unknown.join(', ') || '(none given)'}`);
      const rateLimit = Number(values['rate-limit']);
      if (!Number.isInteger(rateLimit) || rateLimit < 1) throw new CliError('--rate-limit must be a whole number of requests per hour (≥ 1)');
      let expiresAt: string | null = null;
      if (values.expires) {
        const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(values.expires) ? `${values.expires}T23:59:59Z` : values.expires);
        if (Number.isNaN(d.getTime())) throw new CliError('--expires must be a date (YYYY-MM-DD) or ISO 8601 time');
        expiresAt = d.toISOString().slice(0, 19).replace('T', ' ');
      }
      const users = new UsersRepository(tables);
      const user = /^\d+$/.test(values.user) ? await users.findById(db.read, Number(values.user)) : await users.findByLoginOrEmail(db.read, values.user);
      if (!user) throw new CliError(`no WordPress user "${values.user}"`);
      const key = generateApiKey();
      const id = await keys.insert(db.write, { userId: Number(user.ID), name: values.name, hash: hashApiKey(key), permissions, rateLimit, expiresAt });
      return [
        `created API key ${id} for ${user.user_login} (user ${user.ID}): ${permissions.join(', ')}; ${rateLimit} requests/hour${expiresAt ? `; expires ${expiresAt} UTC` : ''}`,
        `key: ${key}`,
        'Store it now: only its sha256 is kept, it cannot be shown again.',
      ];
    }
    if (command === 'list') {
      const rows = await keys.list(db.read);
      if (!rows.length) return ['no API keys'];
      return rows.map((r) => [
        `#${r.id}`, `user ${r.user_id}`, JSON.stringify(r.name), `sha256 ${maskApiKey(r.api_key)}`, parsePermissions(r.permissions).join(',') || '-',
        `${r.rate_limit}/h`, Number(r.is_active) === 1 ? 'active' : 'revoked', `last used ${r.last_used_at ?? 'never'}`, `expires ${r.expires_at ?? 'never'}`,
      ].join('  '));
    }
    if (command === 'revoke') {
      if (!arg || !/^\d+$/.test(arg)) throw new CliError('revoke needs a key id');
      if (!(await keys.revoke(db.write, Number(arg)))) throw new CliError(`no API key ${arg}`);
      return [`revoked API key ${arg}`];
    }
    throw new CliError(command ? `unknown command "${command}"` : 'no command given');
  } finally {
    await db.close();
  }
}
