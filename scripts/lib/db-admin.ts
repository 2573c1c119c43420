import { readFileSync } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { projectRoot } from '../../src/config/load.ts';

export interface ServerSpec {
  host: string;
  port: number;
  user: string;
  password: string;
  socketPath?: string;
}

export const schemaFile = path.join(projectRoot, 'scripts/sql/wp-schema.sql');

/** The WordPress + plugin schema with `prefix` substituted for `{{prefix}}`. */
export function schemaSql(prefix: string): string {
  if (!/^[A-Za-z0-9_]+$/.test(prefix)) throw new Error(`invalid table prefix "${prefix}"`);
  return readFileSync(schemaFile, 'utf8').replaceAll('{{prefix}}', prefix);
}

export function adminConnection(server: ServerSpec, database?: string) {
  return mysql.createConnection({
    host: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    socketPath: server.socketPath,
    database,
    multipleStatements: true,
    timezone: 'Z',
    dateStrings: true,
    charset: 'UTF8MB4_UNICODE_CI',
  });
}

/** Creates `name` (if missing) and loads the schema into it. `replace` drops an existing one first. */
export async function createWordPressDatabase(
  server: ServerSpec,
  name: string,
  prefix: string,
  opts: { replace?: boolean } = {},
): Promise<void> {
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`invalid database name "${name}"`);
  const conn = await adminConnection(server);
  try {
    if (opts.replace) await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await conn.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci`);
    await conn.query(`USE \`${name}\``);
    await conn.query("SET time_zone = '+00:00'");
    await conn.query(schemaSql(prefix));
  } finally {
    await conn.end();
  }
}

export async function dropDatabase(server: ServerSpec, name: string): Promise<void> {
  const conn = await adminConnection(server);
  try {
    await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  } finally {
    await conn.end();
  }
}
