import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Queryable } from './database.ts';
import { shardTables } from './migrations/shards.ts';
import type { Tables } from './tables.ts';

/** Required tables that do not exist in the current database. */
export async function findMissingTables(q: Queryable, tables: Tables): Promise<string[]> {
  const rows = await q.query<{ name: string }[]>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN (${tables.required.map(() => '?').join(',')})`,
    tables.required,
  );
  const present = new Set(rows.map((r) => r.name));
  return tables.required.filter((t) => !present.has(t));
}

/**
 * Other table prefixes in the current database that hold more of the required tables than the
 * configured one (best first): the likely `$table_prefix` when tables are missing.
 */
export async function guessTablePrefixes(q: Queryable, tables: Tables): Promise<string[]> {
  const rows = await q.query<{ name: string }[]>(
    'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()',
  );
  const suffixes = tables.required.map((t) => t.slice(tables.prefix.length));
  const counts = new Map<string, number>();
  for (const { name } of rows) {
    for (const suffix of suffixes) {
      const prefix = name.slice(0, -suffix.length);
      if (name.endsWith(suffix) && /^[A-Za-z0-9_]+$/.test(prefix)) counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
    }
  }
  const ours = counts.get(tables.prefix) ?? 0;
  return [...counts]
    .filter(([p, n]) => p !== tables.prefix && n > ours && n >= 2)
    .sort((a, b) => b[1] - a[1])
    .map(([p]) => p);
}

/** The shard tables (src/data/migrations/shards.ts) missing from a shard database. */
export async function shardMissingTables(q: Queryable, tables: Tables): Promise<string[]> {
  const want = shardTables(tables);
  const rows = await q.query<{ name: string }[]>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN (${want.map(() => '?').join(',')})`,
    want,
  );
  const present = new Set(rows.map((r) => r.name));
  return want.filter((t) => !present.has(t));
}

/** The `shards` section of /health/detailed: one that fails makes admin lists and its users' writes fail too. */
export function shardsDetail(shards: readonly Queryable[], tables: Tables) {
  return async () => {
    const states = await Promise.all(
      shards.map((q, i) =>
        shardMissingTables(q, tables).then(
          (missing) => ({ shard: i, healthy: missing.length === 0, ...(missing.length ? { error: `${missing.join(', ')} missing` } : {}) }),
          (err: Error) => ({ shard: i, healthy: false, error: err.message }),
        ),
      ),
    );
    const bad = states.filter((s) => !s.healthy).length;
    return {
      healthy: bad === 0,
      message: bad ? `${bad} of ${states.length} shard(s) not usable` : `${states.length} shards`,
      shards: states,
    };
  };
}

export async function serverVersion(q: Queryable): Promise<string> {
  const rows = await q.query<{ v: string }[]>('SELECT VERSION() AS v');
  return rows[0]?.v ?? 'unknown';
}

/** Background tasks stuck in `processing` for longer than `olderThanSec`. */
export async function countStuckTasks(q: Queryable, tables: Tables, olderThanSec: number): Promise<number> {
  const rows = await q.query<{ n: number }[]>(
    `SELECT COUNT(*) AS n FROM \`${tables.slbp.background_tasks}\` WHERE status = 'processing' AND started_at < UTC_TIMESTAMP() - INTERVAL ? SECOND`,
    [olderThanSec],
  );
  return Number(rows[0]?.n ?? 0);
}

/**
 * Writes, reads back and removes a file of its own in `dir`. Each probe uses a unique name so
 * concurrent probes never race on one shared temp file (the plugin's /health flapped that way).
 */
export async function probeFilesystem(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `.probe-${process.pid}-${randomUUID()}`);
  const payload = randomUUID();
  const fh = await open(file, 'wx', 0o600);
  try {
    await fh.writeFile(payload);
  } finally {
    await fh.close();
  }
  try {
    if ((await readFile(file, 'utf8')) !== payload) throw new Error('read back different bytes');
  } finally {
    await unlink(file).catch(() => undefined);
  }
}

/** The database server as it names itself, whatever host name, address or socket reached it. */
export interface ServerIdentity {
  /** `@@hostname:@@port`, for messages. */
  server: string;
  /** MariaDB's `@@server_uid` (MySQL: `@@server_uuid`), else the name: what tells two servers apart. */
  uid: string;
}

/** Asks the server who it is (used to tell a site from a copy of it on another server). */
export async function serverIdentity(q: Queryable): Promise<ServerIdentity> {
  const [row] = await q.query<{ host: string; port: number }[]>('SELECT @@hostname AS host, @@port AS port');
  const server = `${row?.host ?? 'unknown'}:${row?.port ?? 0}`;
  for (const variable of ['@@server_uid', '@@server_uuid']) {
    try {
      const [uid] = await q.query<{ uid: string | null }[]>(`SELECT ${variable} AS uid`);
      if (uid?.uid) return { server, uid: String(uid.uid) };
    } catch {
      // Not this server's dialect (ER_UNKNOWN_SYSTEM_VARIABLE): try the next one.
    }
  }
  return { server, uid: server };
}
