import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { checkLogin, describeLogin, settingFrom, type LoginResult } from '../data/login-check.ts';
import { probeFilesystem } from '../data/probes.ts';
import type { Logger } from '../observability/logger.ts';
import { CliError } from './io.ts';

/** The data directory and the backup directory, as the container resolves them. */
export function directories(config: Config): { dataDir: string; backupDir: string } {
  const dataDir = path.resolve(projectRoot, config.server.dataDir);
  return { dataDir, backupDir: config.backup.dir ? path.resolve(config.backup.dir) : path.join(dataDir, 'backups') };
}

/**
 * Creates the data and backup directories and writes a file in each, before anything else
 * needs them: a read-only or wrong path stops the start with one line naming its setting.
 */
export async function ensureWritableDirs(config: Config): Promise<void> {
  const { dataDir, backupDir } = directories(config);
  const probe = async (dir: string, setting: string) => {
    try {
      await probeFilesystem(path.join(dir, 'tmp'));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new CliError(
        `${dir} is not a writable directory (${e.code ?? e.message}): set ${settingFrom(config, setting)} to a directory the sidecar's user can write`,
      );
    }
  };
  await probe(dataDir, 'SLBP_DATA_DIR');
  if (config.backup.dir) {
    await mkdir(backupDir, { recursive: true, mode: 0o700 }).catch(() => undefined);
    await probe(backupDir, 'SLBP_BACKUP_DIR');
  }
}

/** A login failure no retry can fix: stop with one line (exit 2). */
export function isFatalLogin(r: LoginResult): boolean {
  return !r.ok && (r.kind === 'credentials' || r.kind === 'unknown_database');
}

/**
 * Retries the login while the database is unreachable, with backoff (1 s doubling to 30 s),
 * logging only when the state changes; when it answers, reports whether the login works.
 */
export class DatabaseWatch {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly config: Config,
    private readonly log: Logger,
    private readonly onFatal: (line: string) => void,
  ) {}

  start(first: LoginResult): void {
    if (first.ok) return;
    this.log.warn('database unreachable at start; retrying with backoff (/health answers unhealthy until it answers)', {
      error: describeLogin(first, this.config),
    });
    this.retry(1, first.code);
  }

  private retry(attempt: number, lastCode: string): void {
    if (this.stopped) return;
    const delay = Math.min(1000 * 2 ** (attempt - 1), 30_000);
    this.timer = setTimeout(async () => {
      const r = await checkLogin(this.config.db);
      if (this.stopped) return;
      if (r.ok) {
        this.log.info('database reachable', { attempts: attempt, version: r.version });
        return;
      }
      if (r.kind === 'credentials' || r.kind === 'unknown_database') {
        this.onFatal(describeLogin(r, this.config));
        return;
      }
      if (r.code !== lastCode) this.log.warn('database still unreachable; retrying with backoff', { error: describeLogin(r, this.config) });
      this.retry(attempt + 1, r.code);
    }, delay);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

/** One line for a listen failure, naming the flag that changes the port or address. */
export function describeListenError(err: NodeJS.ErrnoException, config: Config): string | null {
  const where = `${config.server.host}:${config.server.port}`;
  const port = `--port or SLBP_PORT (now from ${config.provenance.sources.SLBP_PORT})`;
  if (err.code === 'EADDRINUSE')
    return `port ${config.server.port} on ${config.server.host} is already in use: stop what listens there, or choose another port with ${port}`;
  if (err.code === 'EACCES') return `not allowed to listen on ${where}: choose a port above 1023 with ${port}`;
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND')
    return `${config.server.host} is not an address of this machine: set --host or SLBP_HOST (now from ${config.provenance.sources.SLBP_HOST})`;
  return null;
}
