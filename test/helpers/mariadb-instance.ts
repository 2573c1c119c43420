import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../scripts/lib/pool.ts';
import mysql from 'mysql2/promise';

const run = promisify(execFile);
const ROOT = '/tmp/slbp-test-mariadb';
const TEMPLATE = path.join(ROOT, `template-${process.pid}`);

/** A free TCP port on loopback (the pool scripts' helper; tests import it from here). */
export { freePort };

export interface MariaDbInstance {
  port: number;
  dir: string;
  /** Connects as root (no password) over TCP. */
  connect(database?: string): Promise<mysql.Connection>;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

async function initTemplate(): Promise<void> {
  if (existsSync(path.join(TEMPLATE, 'data', 'mysql'))) return;
  await rm(TEMPLATE, { recursive: true, force: true });
  await mkdir(path.join(TEMPLATE, 'data'), { recursive: true });
  await run('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${path.join(TEMPLATE, 'data')}`,
    '--user=root',
    '--skip-test-db',
    '--auth-root-authentication-method=normal',
    '--skip-name-resolve',
  ]);
}

/**
 * A private MariaDB server on its own port and data directory (copied from a template made once
 * per run with mariadb-install-db), so a test can stop and start it without touching the
 * machine's server. `extraCnf` adds [mysqld] lines (server-id, log-bin, read_only, ...).
 */
export async function startMariaDb(extraCnf: string[] = []): Promise<MariaDbInstance> {
  await initTemplate();
  const port = await freePort();
  const dir = path.join(ROOT, `i-${process.pid}-${port}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await cp(path.join(TEMPLATE, 'data'), path.join(dir, 'data'), { recursive: true });
  const cnf = path.join(dir, 'my.cnf');
  await writeFile(
    cnf,
    [
      '[mysqld]',
      'user=root',
      `datadir=${dir}/data`,
      `tmpdir=${dir}`,
      `socket=${dir}/mysqld.sock`,
      `pid-file=${dir}/mysqld.pid`,
      `log-error=${dir}/error.log`,
      `port=${port}`,
      'bind-address=127.0.0.1',
      'skip-name-resolve',
      'innodb_buffer_pool_size=32M',
      'innodb_log_file_size=16M',
      'performance_schema=OFF',
      ...extraCnf,
      '',
    ].join('\n'),
  );
  let proc: ChildProcess | null = null;

  const inst: MariaDbInstance = {
    port,
    dir,
    connect: (database?: string) =>
      mysql.createConnection({ host: '127.0.0.1', port, user: 'root', password: '', database, multipleStatements: true }),
    async start() {
      proc = spawn('mariadbd', [`--defaults-file=${cnf}`], { stdio: 'ignore' });
      for (let i = 0; i < 100; i++) {
        try {
          const c = await inst.connect();
          await c.end();
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      throw new Error(`private MariaDB on ${port} did not start (see ${dir}/error.log)`);
    },
    async stop() {
      const p = proc;
      if (!p || p.exitCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
      proc = null;
    },
    async destroy() {
      await inst.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await inst.start();
  return inst;
}
