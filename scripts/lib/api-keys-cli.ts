import { parseArgs } from 'node:util';
import type { Config } from '../../src/config/schema.ts';
import { ApiKeysRepository } from '../../src/data/api-keys-repository.ts';
import { Database } from '../../src/data/database.ts';
import { createTables } from '../../src/data/tables.ts';
import { UsersRepository } from '../../src/data/users-repository.ts';
import { ApiKeyAdmin, ApiKeyInputError } from '../../src/domain/api-key-admin.ts';
import { maskApiKey, parsePermissions } from '../../src/domain/api-keys.ts';
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
  const admin = new ApiKeyAdmin(keys, new UsersRepository(tables), db);
  try {
    if (command === 'create') {
      if (!values.user || !values.name) throw new CliError('create needs --user and --name');
      const rateLimit = Number(values['rate-limit']);
      let created: Awaited<ReturnType<ApiKeyAdmin['create']>>;
      try {
        created = await admin.create({ user: values.user, name: values.name, permissions: values.permissions!.split(','), rateLimit, expires: values.expires });
      } catch (err) {
        if (err instanceof ApiKeyInputError) throw new CliError(err.field === 'user' || err.field === 'permissions' ? err.message : `--${err.field.replace('_at', '').replace('_', '-')} ${err.message}`);
        throw err;
      }
      const { key, item, user } = created;
      const expires = item.expires_at ? item.expires_at.replace('T', ' ').replace('Z', '') : null;
      return [
        `created API key ${item.id} for ${user.user_login} (user ${user.ID}): ${item.permissions.join(', ')}; ${item.rate_limit} requests/hour${expires ? `; expires ${expires} UTC` : ''}`,
        `key: ${key}`,
        'Store it now: only its sha256 is kept, it cannot be shown again.',
      ];
    }
    if (command === 'list') {
      const rows = await admin.all();
      if (!rows.length) return ['no API keys'];
      return rows.map((r) => [
        `#${r.id}`, `user ${r.user_id}`, JSON.stringify(r.name), `sha256 ${maskApiKey(r.api_key)}`, parsePermissions(r.permissions).join(',') || '-',
        `${r.rate_limit}/h`, Number(r.is_active) === 1 ? 'active' : 'revoked', `last used ${r.last_used_at ?? 'never'}`, `expires ${r.expires_at ?? 'never'}`,
      ].join('  '));
    }
    if (command === 'revoke') {
      if (!arg || !/^\d+$/.test(arg)) throw new CliError('revoke needs a key id');
      if (!(await admin.revoke(Number(arg)))) throw new CliError(`no API key ${arg}`);
      return [`revoked API key ${arg}`];
    }
    throw new CliError(command ? `unknown command "${command}"` : 'no command given');
  } finally {
    await db.close();
  }
}
