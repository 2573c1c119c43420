import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { lstat, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import type { Config } from '../config/schema.ts';
import { parseDbHost } from '../config/load.ts';

const run = promisify(execFile);

/** Where and as whom the MariaDB client tools connect (the sidecar's own writer credentials). */
export interface DbTarget {
  host: string;
  port: number;
  socketPath?: string;
  user: string;
  password: string;
}

export function dbTargetFrom(db: Config['db']): DbTarget {
  const parsed = db.writeHost ? parseDbHost(db.writeHost) : null;
  return {
    host: parsed?.host ?? db.host,
    port: parsed?.port ?? (parsed ? 3306 : db.port),
    socketPath: parsed ? parsed.socketPath : db.socketPath,
    user: db.user,
    password: db.password,
  };
}

/**
 * How a MariaDB client tool connects without its password on the command line (visible to every
 * local user in `ps` and /proc/<pid>/cmdline) or in a file: `--no-defaults` first (no option file
 * can override the connection; MariaDB reads option files over the environment), the non-secret
 * connection options as arguments, and the password in `MYSQL_PWD` (MariaDB's client reads it
 * when no option gives one). A process's environment is readable only by its own user and root,
 * the same ones who can read the sidecar's own configuration; a crash leaves nothing behind
 * (docs/decisions/0031-backup-credentials-and-exact-floats.md).
 */
export function clientInvocation(t: DbTarget): { args: string[]; env: NodeJS.ProcessEnv } {
  const args = ['--no-defaults', `--user=${t.user}`, `--host=${t.host}`, `--port=${t.port}`];
  if (t.socketPath) args.push(`--socket=${t.socketPath}`);
  args.push('--default-character-set=utf8mb4');
  const env: NodeJS.ProcessEnv = { ...process.env, MYSQL_PWD: t.password };
  // An empty MYSQL_PWD is ignored by the client (it would then connect without a password anyway).
  if (!t.password) delete env.MYSQL_PWD;
  return { args, env };
}

/**
 * Removes `slbp-db-*` directories earlier versions left in the system temp directory when a
 * backup was killed (each held a `client.cnf` with the database user and password). Only this
 * user's, and only those older than a minute (an older node on this host may be starting a dump).
 */
export async function removeLeftoverCredentialFiles(tmp = os.tmpdir(), now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(tmp).catch(() => [] as string[])) {
    if (!/^slbp-db-[A-Za-z0-9]{6}$/.test(name)) continue;
    const dir = path.join(tmp, name);
    const st = await lstat(dir).catch(() => null);
    if (!st?.isDirectory() || st.uid !== process.getuid?.() || now - st.mtimeMs < 60_000) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

/**
 * Resolves when the child exits 0; otherwise rejects with the tail of its stderr. `onLine`
 * sees every stderr line; lines it returns true for (progress notes) are kept out of the tail.
 */
export function exitOf(child: ChildProcess, what: string, onLine?: (line: string) => boolean): Promise<void> {
  let stderr = '';
  let partial = '';
  child.stderr?.on('data', (d: Buffer) => {
    if (!onLine) {
      stderr = (stderr + d.toString()).slice(-2000);
      return;
    }
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (!onLine(line)) stderr = `${stderr}${line}\n`.slice(-2000);
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(new Error(`${what} failed (${signal ?? `exit ${code}`}): ${(stderr + partial).trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

/**
 * mysqldump arguments for a consistent, complete, streaming dump (no CREATE DATABASE/USE);
 * `noData`: tables dumped without their rows (the sidecar writes those itself).
 */
export function dumpArgs(connection: string[], database: string, tables: string[], noData: string[] = []): string[] {
  return [
    ...connection,
    '--single-transaction',
    '--quick',
    '--routines',
    '--triggers',
    '--events',
    '--hex-blob',
    '--no-tablespaces',
    '--skip-dump-date',
    ...noData.map((t) => `--ignore-table-data=${database}.${t}`),
    database,
    ...tables,
  ];
}

/**
 * Starts mysqldump; its stdout is the dump. `done` settles when it has exited. With `onTable`,
 * mysqldump runs with --verbose and each table it starts on is reported (for progress).
 */
export function startDump(
  t: DbTarget,
  database: string,
  tables: string[],
  onTable?: (table: string) => void,
  noData: string[] = [],
): { stdout: Readable; done: Promise<void>; child: ChildProcess } {
  const { args: connection, env } = clientInvocation(t);
  const args = dumpArgs(connection, database, tables, noData);
  // After --no-defaults, which must come first.
  if (onTable) args.splice(1, 0, '--verbose');
  const child = spawn('mysqldump', args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  const done = exitOf(
    child,
    'mysqldump',
    onTable &&
      ((line) => {
        const m = /^-- Retrieving table structure for table (.+?)\.\.\.$/.exec(line);
        if (m) onTable(m[1]!);
        // --verbose notes are progress, not errors.
        return line.startsWith('-- ');
      }),
  );
  return { stdout: child.stdout!, done, child };
}

/** Streams SQL into `database` with the mysql client; rejects on the first failing statement. */
export async function loadSql(t: DbTarget, database: string, sql: Readable): Promise<void> {
  const { args, env } = clientInvocation(t);
  const child = spawn('mysql', [...args, '--binary-mode', database], { stdio: ['pipe', 'ignore', 'pipe'], env });
  const done = exitOf(child, 'mysql restore');
  await Promise.all([pipeline(sql, child.stdin!), done]);
}

/** First line of `<tool> --version`, for the manifest. */
export async function toolVersion(tool: string): Promise<string> {
  try {
    const { stdout } = await run(tool, ['--version']);
    return stdout.split('\n')[0]!.trim();
  } catch {
    return 'unavailable';
  }
}
