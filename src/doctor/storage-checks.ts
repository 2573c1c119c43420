import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { findUploadsDir } from '../config/wordpress-paths.ts';
import { settingFrom } from '../data/login-check.ts';
import { probeFilesystem } from '../data/probes.ts';
import type { DoctorCheck } from './check.ts';

const run = promisify(execFile);
const mb = (n: number) => `${(n / 1048576).toFixed(0)} MB`;

/** Room a backup directory needs: the newest completed backup plus a fifth (the next one, compressed alike), or 100 MB before the first. */
export function neededSpace(backupSizes: number[]): number {
  return backupSizes.length ? Math.ceil(backupSizes[0]! * 1.2) : 100 * 1048576;
}

const writable = async (dir: string): Promise<string | null> => {
  try {
    await probeFilesystem(path.join(dir, 'tmp'));
    return null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  }
};

const dataDir: DoctorCheck = {
  id: 'data-dir',
  title: 'data directory',
  async run(ctx) {
    const problem = await writable(ctx.dataDir);
    if (!problem) return { status: 'pass', message: `${ctx.dataDir} is writable` };
    return {
      status: 'fail',
      message: `${ctx.dataDir} is not writable (${problem})`,
      fix: `set ${settingFrom(ctx.config, 'SLBP_DATA_DIR')} to a directory the sidecar's user can write`,
    };
  },
};

const backupDir: DoctorCheck = {
  id: 'backup-dir',
  title: 'backup directory',
  async run(ctx) {
    const setting = ctx.config.backup.dir
      ? settingFrom(ctx.config, 'SLBP_BACKUP_DIR')
      : `SLBP_BACKUP_DIR (unset: ${settingFrom(ctx.config, 'SLBP_DATA_DIR')}/backups)`;
    const problem = await writable(ctx.backupDir);
    if (problem)
      return {
        status: 'fail',
        message: `${ctx.backupDir} is not writable (${problem})`,
        fix: `set ${setting} to a directory the sidecar's user can write, outside the web root`,
      };
    const fs = await statfs(ctx.backupDir);
    const free = Number(fs.bavail) * Number(fs.bsize);
    const need = neededSpace(await ctx.backupSizes());
    const message = `${ctx.backupDir}: ${mb(free)} free, about ${mb(need)} needed for the next backup`;
    if (free >= need) return { status: 'pass', message, details: { free_bytes: free, needed_bytes: need } };
    return {
      status: 'fail',
      message,
      fix: `free space there, lower retention (slbp_backup_config retention_days, SLBP_BACKUP_KEEP_COUNT), or move ${setting}`,
      details: { free_bytes: free, needed_bytes: need },
    };
  },
};

/** First line of `<tool> --version`, or null when it cannot run. */
async function version(tool: string): Promise<string | null> {
  try {
    return (await run(tool, ['--version'], { timeout: 5000 })).stdout.split('\n')[0]!.trim().replace(/\s+/g, ' ');
  } catch {
    return null;
  }
}

const dumpTools: DoctorCheck = {
  id: 'mysqldump',
  title: 'mysqldump and mysql',
  async run(ctx) {
    const [dump, client] = await Promise.all([version('mysqldump'), version('mysql')]);
    const missing = [!dump && 'mysqldump', !client && 'mysql'].filter(Boolean);
    if (missing.length)
      return {
        status: 'fail',
        message: `${missing.join(' and ')} not found on PATH: backups ${dump ? 'can be taken but not restored' : 'cannot be taken'}`,
        fix: 'install the MariaDB client tools (apt-get install mariadb-client)',
      };
    const login = await ctx.login();
    const server = login.ok ? login.version : null;
    // A MySQL mysqldump against MariaDB (or the reverse) writes dumps the other side may not load.
    const mismatch = server && /mariadb/i.test(server) !== /mariadb/i.test(dump!);
    if (mismatch)
      return {
        status: 'fail',
        message: `${dump} does not match the server (${server})`,
        fix: `install the client tools of the server's kind (${/mariadb/i.test(server) ? 'mariadb-client' : 'mysql-client'})`,
      };
    return { status: 'pass', message: `${dump}${server ? `; server ${server}` : ''}` };
  },
};

const uploads: DoctorCheck = {
  id: 'uploads',
  title: 'uploads directory',
  async run(ctx) {
    // Found as backups find it (src/config/wordpress-paths.ts); the upload_path option needs the database and is not read here.
    const found = await findUploadsDir(ctx.config.backup.uploadsDir, ctx.config.wordpress, '');
    if ('tried' in found && !found.tried.length)
      return {
        status: 'skip',
        message: 'neither SLBP_UPLOADS_DIR nor --wp-config is set: a backup with the files component fails (unless upload_path names one)',
      };
    const dir = 'dir' in found ? found.dir : (found.tried[0] ?? '');
    try {
      if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      await access(dir, constants.R_OK | constants.X_OK);
      return { status: 'pass', message: `${dir} is readable` };
    } catch (err) {
      return {
        status: 'fail',
        message: `${dir} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
        fix: `set ${settingFrom(ctx.config, 'SLBP_UPLOADS_DIR')} to WordPress's wp-content/uploads, readable by the sidecar's user${'tried' in found ? ` (looked in ${found.tried.join(', ')})` : ''}`,
      };
    }
  },
};

const s3: DoctorCheck = {
  id: 's3',
  title: 'S3 bucket',
  needsDatabase: true,
  async run(ctx) {
    if (!ctx.backupConfig().remote_storage.enabled) return { status: 'skip', message: 'remote storage is off in slbp_backup_config' };
    let remote;
    try {
      remote = ctx.remote();
    } catch (err) {
      return {
        status: 'fail',
        message: (err as Error).message,
        fix: 'set SLBP_BACKUP_S3_BUCKET (or remote_storage.credentials.bucket in slbp_backup_config)',
      };
    }
    try {
      await remote!.probe();
      return { status: 'pass', message: `bucket ${remote!.describe()} answers` };
    } catch (err) {
      const e = err as Error & { name?: string; $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode;
      return {
        status: 'fail',
        message: `bucket ${remote!.describe()} cannot be reached (${status ? `HTTP ${status}, ` : ''}${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message})`,
        fix: 'check SLBP_BACKUP_S3_ENDPOINT, SLBP_BACKUP_S3_BUCKET, SLBP_BACKUP_S3_REGION and the access keys (or remote_storage.credentials in slbp_backup_config)',
      };
    }
  },
};

export const STORAGE_CHECKS: DoctorCheck[] = [dataDir, backupDir, dumpTools, uploads, s3];
