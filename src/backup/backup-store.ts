import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Component } from '../domain/backup-config.ts';
import type { SiteIdentity } from '../config/site-identity.ts';
import { belongsTo, labelSiteDirectory, type BackupSource } from './site-backups.ts';
import type { SnapshotChecksums } from './snapshot-checksums.ts';

/** The only accepted id form; anything else never reaches the filesystem. */
export const BACKUP_ID = /^backup_\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}_[A-Za-z0-9]{8}$/;

export type BackupStatus = 'in_progress' | 'completed' | 'failed';

export interface ManifestFile {
  name: string;
  bytes: number;
  sha256: string;
  compressed: boolean;
  encrypted: boolean;
}

/** Everything needed to verify and restore a backup; its presence is what makes it completed. */
export interface Manifest {
  format: 1;
  id: string;
  type: string;
  components: Component[];
  created_at: string;
  completed_at: string;
  status: 'completed';
  size: number;
  files: Partial<Record<Component, ManifestFile>>;
  skipped: Partial<Record<Component, string>>;
  /** `checksums`: each table as the dump saw it (null with the reason in `checksums_unavailable`; absent before #19). */
  database: {
    name: string;
    scope: 'all' | 'plugin';
    tables: string[];
    checksums?: SnapshotChecksums | null;
    checksums_unavailable?: string;
    /** Tables mysqldump dumped without rows and the backup wrote exactly, after it (FLOAT columns; absent before #24). */
    exact_rows?: string[];
  } | null;
  /** The site the backup was made from (absent in manifests written before #19). */
  source?: BackupSource;
  tool_versions: Record<string, string>;
  fencing_token: number | null;
  node: string;
  slot: string | null;
  timings_ms: Record<string, number>;
}

/** The plugin's `backup_info` shape (plus `manifest` where one exists). */
export interface BackupInfo {
  id: string;
  type: string;
  components: Component[];
  created_at: string;
  status: BackupStatus;
  size: number;
  files: Partial<Record<Component, string>>;
  completed_at?: string;
  error?: string;
  failed_at?: string;
  fencing_token?: number | null;
  /** While in progress: which process writes it (to tell a crash from a live run). */
  node?: { host: string; pid: number; instance: string };
  source?: BackupSource;
}

const ALPHANUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A new id in the plugin's format: `backup_YYYY-MM-DD_HH-MM-SS_<8 letters/digits>` (UTC). */
export function newBackupId(at = new Date()): string {
  const stamp = at.toISOString().slice(0, 19).replace('T', '_').replaceAll(':', '-');
  const rnd = [...randomBytes(8)].map((b) => ALPHANUM[b % ALPHANUM.length]).join('');
  return `backup_${stamp}_${rnd}`;
}

export function isBackupId(id: unknown): id is string {
  return typeof id === 'string' && BACKUP_ID.test(id);
}

/**
 * One directory per backup under a private root (0700, files 0600). `progress.json` marks a
 * running backup, `manifest.json` (written last, by rename) a completed one, `failure.json` a
 * failed one whose data files were removed. Every reader sees only this site's backups (the
 * root is the site's own by default; an operator's shared SLBP_BACKUP_DIR is filtered by source).
 */
export class BackupStore {
  constructor(
    readonly root: string,
    readonly site: SiteIdentity,
  ) {}

  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await chmod(this.root, 0o700);
    await labelSiteDirectory(this.root, this.site).catch(() => undefined);
  }

  /** The directory of a backup; throws for anything that is not a well-formed id. */
  dirOf(id: string): string {
    if (!isBackupId(id)) throw new Error(`invalid backup id "${String(id).slice(0, 80)}"`);
    const dir = path.join(this.root, id);
    if (path.dirname(dir) !== path.resolve(this.root)) throw new Error('backup id escapes the backup directory');
    return dir;
  }

  async begin(info: BackupInfo): Promise<string> {
    await this.init();
    const dir = this.dirOf(info.id);
    await mkdir(dir, { mode: 0o700 });
    await this.writeJson(dir, 'progress.json', info);
    return dir;
  }

  /** Durable, atomic: write a temporary file, fsync it, rename it over the final name. */
  private async writeJson(dir: string, name: string, value: unknown): Promise<void> {
    const tmp = path.join(dir, `.${name}.tmp`);
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(JSON.stringify(value, null, 2));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path.join(dir, name));
  }

  async commit(manifest: Manifest): Promise<void> {
    const dir = this.dirOf(manifest.id);
    await this.writeJson(dir, 'manifest.json', manifest);
    await rm(path.join(dir, 'progress.json'), { force: true });
  }

  /** Removes whatever data was written and leaves only a failure record. */
  async fail(info: BackupInfo, error: string): Promise<BackupInfo> {
    const dir = this.dirOf(info.id);
    const { node: _node, ...rest } = info;
    const failed: BackupInfo = { ...rest, status: 'failed', files: {}, size: 0, error, failed_at: isoSeconds() };
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      if (name !== 'progress.json') await rm(path.join(dir, name), { force: true, recursive: true });
    }
    await this.writeJson(dir, 'failure.json', failed);
    await rm(path.join(dir, 'progress.json'), { force: true });
    return failed;
  }

  async manifest(id: string): Promise<Manifest | null> {
    return readJson<Manifest>(path.join(this.dirOf(id), 'manifest.json'));
  }

  /** A backup whatever site it came from (restore needs that to refuse it by name). */
  async read(id: string): Promise<(BackupInfo & { manifest?: Manifest }) | null> {
    const dir = this.dirOf(id);
    const manifest = await readJson<Manifest>(path.join(dir, 'manifest.json'));
    if (manifest) return { ...toInfo(manifest), manifest };
    return (await readJson<BackupInfo>(path.join(dir, 'failure.json'))) ?? (await readJson<BackupInfo>(path.join(dir, 'progress.json')));
  }

  /** One of this site's backups, or null (unknown id, or another site's). */
  async info(id: string): Promise<(BackupInfo & { manifest?: Manifest }) | null> {
    const info = await this.read(id);
    return info && belongsTo(this.site, info) ? info : null;
  }

  /** This site's backups, newest first. */
  async list(): Promise<BackupInfo[]> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    const out: BackupInfo[] = [];
    for (const name of names.filter(isBackupId)) {
      const info = await this.info(name);
      if (info) {
        const { manifest: _m, ...rest } = info as BackupInfo & { manifest?: Manifest };
        out.push(rest);
      }
    }
    return out.sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : a.id < b.id ? 1 : -1));
  }

  async remove(id: string): Promise<void> {
    await rm(this.dirOf(id), { recursive: true, force: true });
  }

  /** Marks this site's backups interrupted by a crash as failed and deletes their partial files. */
  async recover(isActive: (id: string, progress: BackupInfo) => boolean): Promise<string[]> {
    const cleaned: string[] = [];
    for (const name of (await readdir(this.root).catch(() => [] as string[])).filter(isBackupId)) {
      const dir = this.dirOf(name);
      const progress = await readJson<BackupInfo>(path.join(dir, 'progress.json'));
      const done = await readJson<Manifest>(path.join(dir, 'manifest.json'));
      // Another site's backup in a shared directory is that site's to judge.
      if (!belongsTo(this.site, done ? { source: done.source, manifest: done } : { source: progress?.source })) continue;
      if (done) {
        // Crashed between the manifest rename and the marker removal: it is complete.
        await rm(path.join(dir, 'progress.json'), { force: true });
        continue;
      }
      if (!progress || isActive(name, progress)) continue;
      await this.fail(progress, 'interrupted: the node stopped during the backup; partial files removed');
      cleaned.push(name);
    }
    return cleaned;
  }
}

/** ISO 8601 UTC with milliseconds, so backups started in the same second still sort. */
export const isoSeconds = (d = new Date()) => d.toISOString();

export function toInfo(m: Manifest): BackupInfo {
  const files: Partial<Record<Component, string>> = {};
  for (const [c, f] of Object.entries(m.files)) files[c as Component] = f!.name;
  return {
    id: m.id,
    type: m.type,
    components: m.components,
    created_at: m.created_at,
    status: 'completed',
    size: m.size,
    files,
    completed_at: m.completed_at,
    fencing_token: m.fencing_token,
    ...(m.source ? { source: m.source } : {}),
  };
}

async function readJson<T>(file: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
