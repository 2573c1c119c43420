/**
 * Creates a database with the WordPress 6.1 + SkyLearn Billing Pro schema.
 * Usage: tsx scripts/db-create.ts --name wordpress [--prefix wp_] [--replace]
 * Connection: DB_HOST, DB_USER, DB_PASSWORD (defaults 127.0.0.1, root, empty).
 */
import { parseArgs } from 'node:util';
import { parseDbHost } from '../src/config/load.ts';
import { createWordPressDatabase } from './lib/db-admin.ts';

const { values } = parseArgs({ options: { name: { type: 'string' }, prefix: { type: 'string', default: 'wp_' }, replace: { type: 'boolean', default: false } } });
const name = values.name ?? process.env.DB_NAME;
if (!name) {
  console.error('db-create: --name (or DB_NAME) is required');
  process.exit(2);
}
const host = parseDbHost(process.env.DB_HOST ?? '127.0.0.1') ?? { host: '127.0.0.1' };
await createWordPressDatabase({ host: host.host, port: host.port ?? 3306, socketPath: host.socketPath, user: process.env.DB_USER ?? 'root', password: process.env.DB_PASSWORD ?? '' }, name, values.prefix!, { replace: values.replace });
console.log(`created database ${name} with prefix ${values.prefix}`);
