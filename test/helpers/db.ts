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

/** A pool on `name` as the tests use them (UTC, dates as strings), and its TestDb handle. */
function testDbHandle(server: ServerSpec, name: string, prefix: string): TestDb {
  const pool = mysql.createPool({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database: name,
    timezone: 'Z',
    dateStrings: true,
    connectionLimit: 4,
    supportBigNumbers: true,
  });
  pool.on('connection', (c) => {
    c.query("SET time_zone = '+00:00'");
  });
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

/** A fresh copy of a test database (every table, its definition and rows), as a staging copy of a site would be. */
export async function copyTestDb(source: TestDb, server: ServerSpec = testServer): Promise<TestDb> {
  const name = `slbp_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const conn = await adminConnection(server);
  try {
    await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci`);
    const [tables] = await conn.query<any[]>(
      `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'`,
      [source.name],
    );
    for (const { t } of tables) {
      await conn.query(`CREATE TABLE \`${name}\`.\`${t}\` LIKE \`${source.name}\`.\`${t}\``);
      await conn.query(`INSERT INTO \`${name}\`.\`${t}\` SELECT * FROM \`${source.name}\`.\`${t}\``);
    }
  } finally {
    await conn.end();
  }
  return testDbHandle(server, name, source.prefix);
}

/** A database of this test run's own, with the WordPress + plugin schema and optional demo data. */
export async function createTestDb(
  opts: { size?: keyof typeof SIZES | null; prefix?: string; server?: ServerSpec; name?: string } = {},
): Promise<TestDb> {
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
  return testDbHandle(server, name, prefix);
}
