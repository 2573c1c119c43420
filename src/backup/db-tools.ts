import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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
 * Runs `fn` with a private defaults file holding the credentials, so the password never
 * appears on a command line (visible to every local user in `ps`). Removed afterwards.
 */
export async function withDefaultsFile<T>(t: DbTarget, fn: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'slbp-db-'));
  const file = path.join(dir, 'client.cnf');
  const esc = (v: string) => `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  const lines = ['[client]', `user=${esc(t.user)}`, `password=${esc(t.password)}`, `host=${esc(t.host)}`, `port=${t.port}`];
  if (t.socketPath) lines.push(`socket=${esc(t.socketPath)}`);
  lines.push('default-character-set=utf8mb4', '');
  await writeFile(file, lines.join('\n'), { mode: 0o600 });
  try {
    return await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
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

/** mysqldump arguments for a consistent, complete, streaming dump (no CREATE DATABASE/USE). */
export function dumpArgs(defaultsFile: string, database: string, tables: string[]): string[] {
  return [
    `--defaults-file=${defaultsFile}`,
    '--single-transaction',
    '--quick',
    '--routines',
    '--triggers',
    '--events',
    '--hex-blob',
    '--no-tablespaces',
    '--default-character-set=utf8mb4',
    '--skip-dump-date',
    database,
    ...tables,
  ];
}

/**
 * Starts mysqldump; its stdout is the dump. `done` settles when it has exited. With `onTable`,
 * mysqldump runs with --verbose and each table it starts on is reported (for progress).
 */
export function startDump(
  defaultsFile: string,
  database: string,
  tables: string[],
  onTable?: (table: string) => void,
): { stdout: Readable; done: Promise<void>; child: ChildProcess } {
  const args = dumpArgs(defaultsFile, database, tables);
  if (onTable) args.splice(1, 0, '--verbose');
  const child = spawn('mysqldump', args, { stdio: ['ignore', 'pipe', 'pipe'] });
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
  await withDefaultsFile(t, async (file) => {
    const child = spawn('mysql', [`--defaults-file=${file}`, '--binary-mode', database], { stdio: ['pipe', 'ignore', 'pipe'] });
    const done = exitOf(child, 'mysql restore');
    await Promise.all([pipeline(sql, child.stdin!), done]);
  });
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
