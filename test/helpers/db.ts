import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { adminConnection, createWordPressDatabase, dropDatabase, type ServerSpec } from '../../scripts/lib/db-admin.ts';
import { fillDemoData, SIZES } from '../../scripts/lib/demo-data.ts';

/** The machine's MariaDB (root, empty password), which the test bootstrap makes sure is running. */
export const testServer: ServerSpec = { host: '127.0.0.1', port: Number(process.env.TEST_DB_PORT ?? 3306), user: 'root', password: '' };

export interface TestDb {
  name: string;
  prefix: string;
  /** A pool on the test database for independent checks (COUNT(*), CHECKSUM TABLE, fixtures). */
  pool: mysql.Pool;
  drop(): Promise<void>;
}

/** A database of this test run's own, with the WordPress + plugin schema and optional demo data. */
export async function createTestDb(opts: { size?: keyof typeof SIZES | null; prefix?: string; server?: ServerSpec; name?: string } = {}): Promise<TestDb> {
  const server = opts.server ?? testServer;
  const prefix = opts.prefix ?? 'wp_';
  // `name`: a copy of a site on another server keeps its database's name.
  const name = opts.name ?? `slbp_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  await createWordPressDatabase(server, name, prefix);
  if (opts.size !== null) {
    const conn = await adminConnection(server, name);
    try {
      await fillDemoData(conn, prefix, SIZES[opts.size ?? 'tiny']!);
    } finally {
      await conn.end();
    }
  }
  const pool = mysql.createPool({ host: server.host, port: server.port, user: server.user, password: server.password, database: name, timezone: 'Z', dateStrings: true, connectionLimit: 4, supportBigNumbers: true });
  pool.on('connection', (c) => { c.query("SET time_zone = '+00:00'"); });
  return {
    name,
    prefix,
    pool,
    async drop() {
      await pool.end();
      await dropDatabase(server, name);
    },
  };
}
