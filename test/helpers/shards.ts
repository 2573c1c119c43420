import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { projectRoot } from '../../src/config/load.ts';
import { testServer } from './db.ts';

const run = promisify(execFile);

/** The per-user billing tables a shard holds rows of (the options table holds only its ledger). */
export const BILLING_TABLES = ['slbp_transactions', 'slbp_subscriptions', 'slbp_enrollment_logs'] as const;

/** A connection to the test server without a default database, for cross-database checks. */
export function serverConnection(): Promise<mysql.Connection> {
  return mysql.createConnection({
    host: testServer.host,
    port: testServer.port,
    user: testServer.user,
    password: testServer.password,
    timezone: 'Z',
    dateStrings: true,
    supportBigNumbers: true,
  });
}

/** SLBP_SHARDS for these database names on the test server. */
export const shardSpec = (names: string[]) => names.map((n) => `${testServer.host}:${testServer.port}/${n}`).join(',');

/**
 * Prepares the (existing, empty) databases `shardNames` as billing shards of `mainName` the way an
 * operator does: `slbp migrate up` with SLBP_SHARDS. Resolves to what it printed.
 */
export async function migrateShards(mainName: string, prefix: string, shardNames: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src/cli/main.ts'), 'migrate', 'up'], {
    cwd: projectRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      SLBP_ENV: 'test',
      DB_HOST: `${testServer.host}:${testServer.port}`,
      DB_NAME: mainName,
      DB_USER: testServer.user,
      DB_PASSWORD: testServer.password,
      SLBP_TABLE_PREFIX: prefix,
      SLBP_SHARDS: shardSpec(shardNames),
    },
  });
  return stdout;
}

/** Copies each billing table's rows of `from` (ids kept) to shard `user_id % N` of `shardNames`. */
export async function spreadBillingRows(admin: mysql.Connection, from: string, prefix: string, shardNames: string[]): Promise<void> {
  for (const t of BILLING_TABLES) {
    for (const [i, name] of shardNames.entries()) {
      await admin.query(`INSERT INTO \`${name}\`.\`${prefix}${t}\` SELECT * FROM \`${from}\`.\`${prefix}${t}\` WHERE user_id % ? = ?`, [
        shardNames.length,
        i,
      ]);
    }
  }
}

export interface ShardedCopy {
  main: string;
  shards: string[];
  spec: string;
  drop(): Promise<void>;
}

/**
 * A sharded copy of database `from`: a main database with every table and row except the billing
 * rows, and `count` shard databases prepared by `slbp migrate` holding those rows by
 * `user_id % count` (ids kept).
 */
export async function shardedCopy(
  admin: mysql.Connection,
  from: { name: string; prefix: string },
  count: number,
  tag: string,
): Promise<ShardedCopy> {
  const main = `slbp_t_${tag}_main`;
  const shards = Array.from({ length: count }, (_, i) => `slbp_t_${tag}_shard${i}`);
  const billing = new Set<string>(BILLING_TABLES.map((t) => `${from.prefix}${t}`));
  const [tables] = await admin.query<any[]>('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ?', [from.name]);
  await admin.query(`CREATE DATABASE \`${main}\``);
  for (const { t } of tables) {
    await admin.query(`CREATE TABLE \`${main}\`.\`${t}\` LIKE \`${from.name}\`.\`${t}\``);
    if (!billing.has(t)) await admin.query(`INSERT INTO \`${main}\`.\`${t}\` SELECT * FROM \`${from.name}\`.\`${t}\``);
  }
  for (const name of shards) await admin.query(`CREATE DATABASE \`${name}\``);
  // As an operator does: create the shard tables, move the rows, then migrate again to align the id counters.
  await migrateShards(main, from.prefix, shards);
  await spreadBillingRows(admin, from.name, from.prefix, shards);
  await migrateShards(main, from.prefix, shards);
  return {
    main,
    shards,
    spec: shardSpec(shards),
    async drop() {
      for (const name of [main, ...shards]) await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    },
  };
}

/** One unsharded database `name` from a sharded layout: the main database's tables with the billing rows of every shard (ids kept). */
export async function unshardedCopy(
  admin: mysql.Connection,
  layout: { main: string; shards: string[] },
  prefix: string,
  name: string,
): Promise<void> {
  const billing = new Set<string>(BILLING_TABLES.map((t) => `${prefix}${t}`));
  const [tables] = await admin.query<any[]>('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ?', [layout.main]);
  await admin.query(`CREATE DATABASE \`${name}\``);
  for (const { t } of tables) {
    await admin.query(`CREATE TABLE \`${name}\`.\`${t}\` LIKE \`${layout.main}\`.\`${t}\``);
    const sources = billing.has(t) ? layout.shards : [layout.main];
    for (const s of sources) await admin.query(`INSERT INTO \`${name}\`.\`${t}\` SELECT * FROM \`${s}\`.\`${t}\``);
  }
}
