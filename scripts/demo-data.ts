/**
 * Creates a WordPress database with the plugin's schema and fills it with demo data.
 * Usage: tsx scripts/demo-data.ts --db slbp_demo [--prefix wp_] [--size tiny|small|medium|bench] [--replace]
 * Connection: DB_HOST, DB_USER, DB_PASSWORD (defaults 127.0.0.1, root, empty).
 */
import { parseArgs } from 'node:util';
import { parseDbHost } from '../src/config/load.ts';
import { adminConnection, createWordPressDatabase } from './lib/db-admin.ts';
import { fillDemoData, SIZES } from './lib/demo-data.ts';

const { values } = parseArgs({
  options: {
    db: { type: 'string' }, prefix: { type: 'string', default: 'wp_' }, size: { type: 'string', default: 'small' },
    replace: { type: 'boolean', default: false }, 'site-url': { type: 'string', default: 'http://localhost:8080' },
  },
});
const name = values.db ?? process.env.DB_NAME;
const size = SIZES[values.size!];
if (!name || !size) {
  console.error(`demo-data: --db NAME is required and --size is one of ${Object.keys(SIZES).join(', ')}`);
  process.exit(2);
}
const host = parseDbHost(process.env.DB_HOST ?? '127.0.0.1') ?? { host: '127.0.0.1' };
const server = { host: host.host, port: host.port ?? 3306, socketPath: host.socketPath, user: process.env.DB_USER ?? 'root', password: process.env.DB_PASSWORD ?? '' };

const conn0 = await adminConnection(server);
const [existing] = await conn0.query<any[]>('SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ? AND table_name = ?', [name, `${values.prefix}slbp_transactions`]);
await conn0.end();
if (existing[0].n > 0 && !values.replace) {
  console.log(`demo-data: database ${name} already has the plugin's tables; keeping it (pass --replace to rebuild)`);
  process.exit(0);
}
const started = Date.now();
await createWordPressDatabase(server, name, values.prefix!, { replace: values.replace });
const conn = await adminConnection(server, name);
try {
  await fillDemoData(conn, values.prefix!, size, {
    siteUrl: values['site-url'],
    progress: (msg) => console.log(`demo-data: ${msg} (${((Date.now() - started) / 1000).toFixed(1)} s)`),
  });
} finally {
  await conn.end();
}
console.log(`demo-data: ${name} ready (${values.size}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
