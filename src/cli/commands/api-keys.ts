import type { Command } from 'commander';
import { createKey, listKeys, revokeKey, type CreateKeyOptions } from '../../../scripts/lib/api-keys-cli.ts';
import { API_PERMISSIONS } from '../../domain/caller.ts';
import type { Cli } from '../cli.ts';

export function registerApiKeys(program: Command, cli: Cli): void {
  const keys = program.command('api-keys').description('create, list and revoke API keys (stored as sha256 in {prefix}slbp_api_keys)');
  const print = (lines: string[]) => {
    for (const l of lines) cli.out(l);
  };

  keys
    .command('create')
    .description('create a key for a WordPress user; the key is printed once')
    .requiredOption('--user <id or login>', 'WordPress user id, login or email')
    .requiredOption('--name <name>', 'a name to recognise the key by')
    .option('--permissions <list>', `comma list of ${API_PERMISSIONS.join(', ')}`, 'read')
    .option('--rate-limit <n>', 'requests per hour', '1000')
    .option('--expires <date>', 'expiry date (YYYY-MM-DD, end of day UTC) or ISO 8601 time')
    .action(async (o: CreateKeyOptions) => print(await createKey(cli.config(), o)));

  keys
    .command('list')
    .description('list keys, masked, with owner, permissions, limit and last use')
    .action(async () => print(await listKeys(cli.config())));

  keys
    .command('revoke')
    .description('deactivate a key; it stops working on the next request')
    .argument('<id>', 'key id, as list shows it')
    .action(async (id: string) => print(await revokeKey(cli.config(), id)));
}
