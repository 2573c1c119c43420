import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import type { Database, DedicatedConnection } from '../data/database.ts';
import type { OptionsRepository } from '../data/options-repository.ts';
import type { BackupRepository } from '../data/backup-repository.ts';
import { maybeUnserialize } from '../data/php-serialize.ts';
import { serverIdentity } from '../data/probes.ts';
import type { Tables } from '../data/tables.ts';
import { redactSecrets, type BackupConfig, type Component } from '../domain/backup-config.ts';
import type { SiteIdentity } from '../config/site-identity.ts';
import type { Logger } from '../observability/logger.ts';
import { parseKey } from './archive-io.ts';
import type { BackupLock, Lease } from './backup-lock.ts';
import {
  isBackupId,
  isoSeconds,
  newBackupId,
  type BackupInfo,
  type BackupStore,
  type Manifest,
  type ManifestFile,
} from './backup-store.ts';
import { writeConfig, writeDatabase, writeFiles, type ComponentProgress } from './components.ts';
import { dbTargetFrom, removeLeftoverCredentialFiles, toolVersion } from './db-tools.ts';
import { SidecarError } from '../errors.ts';
import { adoptLegacyBackups, exists, otherSiteDirectories, sourceOf, type BackupSource } from './site-backups.ts';
import { exactRowTables, exactRows } from './exact-rows.ts';
import { DumpSnapshot, openSnapshot } from './snapshot-checksums.ts';

/** What observers (metrics) hear after every backup attempt. */
export interface BackupResult {
  ok: boolean;
  at: Date;
  bytes: number;
  durationMs: number;
  id: string;
  type: string;
  error?: string;
}
export type BackupObserver = (r: BackupResult) => void;

export interface BackupDeps {
  config: Config;
  db: Database;
  tables: Tables;
  options: OptionsRepository;
  repo: BackupRepository;
  lock: BackupLock;
  store: BackupStore;
  logger: Logger;
  instanceId: string;
  site: SiteIdentity;
  /** The shared directory backups went to before they were kept per site (null with SLBP_BACKUP_DIR). */
  legacyRoot: string | null;
  observers: BackupObserver[];
  /** The effective `slbp_backup_config`. */
  backupConfig(): BackupConfig;
  /** The site's uploads directory, or every place looked for it (src/config/wordpress-paths.ts). */
  uploadsDir(): Promise<{ dir: string } | { tried: string[] }>;
  /** Called after a backup finished or failed (webhook, remote copy, retention). */
  afterBackup?(info: BackupInfo, manifest: Manifest | null): Promise<void>;
}

export interface CreateOptions {
  type?: string;
  components?: Component[];
  slot?: string | null;
  onProgress?: (p: ComponentProgress) => void;
}

/** Creates backups: streams each component to disk, then commits the manifest. */
export class BackupService {
  readonly key: Buffer | null;
  private readonly running = new Set<string>();
  private versions: Record<string, string> | null = null;

  constructor(private readonly d: BackupDeps) {
    this.key = parseKey(d.config.backup.encryptionKey);
  }

  get store(): BackupStore {
    return this.d.store;
  }
  get instanceId(): string {
    return this.d.instanceId;
  }

  /** The site's uploads directory (the `files` component), or every place looked for it. */
  uploadsDir(): Promise<{ dir: string } | { tried: string[] }> {
    return this.d.uploadsDir();
  }

  /** Ids of backups this process is writing right now. */
  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  /** Whether a backup, restore or drill on this node still holds the lock (post-steps included). */
  busy(): boolean {
    return this.d.lock.heldHere;
  }

  /**
   * Marks crashed backups failed and deletes their partial files. A backup written on this
   * host by a process that no longer exists is a crash for sure (its stale lock is freed at
   * once); one from another host (shared directory) counts as crashed once nobody holds the
   * lock for it.
   */
  async recover(): Promise<string[]> {
    const firstStart = !(await exists(this.d.store.root));
    await this.d.store.init();
    if (this.d.legacyRoot) {
      if (firstStart) await this.noteOtherSites(this.d.legacyRoot);
      await this.adoptLegacy(this.d.legacyRoot);
    }
    const holder = await this.d.lock.holder().catch(() => null);
    const stale: string[] = [];
    const cleaned = await this.d.store.recover((id, progress) => {
      if (this.running.has(id)) return true;
      if (progress.node?.host === os.hostname() && !pidAlive(progress.node.pid)) {
        if (holder?.includes(id)) stale.push(holder);
        return false;
      }
      return Boolean(holder?.includes(id));
    });
    for (const token of stale) await this.d.lock.breakStale(token).catch(() => false);
    if (cleaned.length) this.d.logger.warn('removed partial backups left by a crash', { backups: cleaned });
    const credentials = await removeLeftoverCredentialFiles();
    if (credentials.length)
      this.d.logger.warn('removed database credential files an earlier version left in the temp directory', { removed: credentials });
    return cleaned;
  }

  /** Moves this site's backups out of the shared pre-#19 directory; says what it leaves there. */
  private async adoptLegacy(legacyRoot: string): Promise<void> {
    const { moved, left } = await adoptLegacyBackups(legacyRoot, this.d.store.root, this.d.site, isBackupId);
    if (moved.length)
      this.d.logger.warn("moved this site's backups from the shared backup directory into its own", {
        from: legacyRoot,
        to: this.d.store.root,
        backups: moved,
      });
    if (left.length)
      this.d.logger.warn(
        'backups in the shared backup directory that name no site or another database are left where they are and not listed',
        { directory: legacyRoot, backups: left.length, see: 'slbp backup list --all-sites' },
      );
  }

  /** First start under this site key: says where other sites' backups are (one may be this site before a rename). */
  private async noteOtherSites(legacyRoot: string): Promise<void> {
    const others = await otherSiteDirectories(legacyRoot, this.d.site);
    if (others.length)
      this.d.logger.info("first start for this site: it has no backups yet; other sites' backups are next to its directory", {
        directory: this.d.store.root,
        other_sites: others,
        see: 'slbp backup list --all-sites',
      });
  }

  /** Where this backup comes from; the server part is best effort (null when the database does not say). */
  private async source(): Promise<BackupSource> {
    const server = await serverIdentity(this.d.db.write).then(
      (s) => s.server,
      () => null,
    );
    return sourceOf(this.d.site, server);
  }

  /** Takes the pool-wide lock or answers 409. */
  async lease(what: string): Promise<Lease> {
    const lease = await this.d.lock.acquire(`${this.d.instanceId}|${what}`);
    if (!lease)
      throw new SidecarError('slbp_backup_in_progress', 'Another backup or restore is running; try again when it has finished.', 409);
    return lease;
  }

  /**
   * Starts a backup under the lock. `started` resolves once the backup is recorded as
   * in_progress (for `?async=1`), `finished` when it completed or failed.
   */
  async start(opts: CreateOptions): Promise<{ id: string; finished: Promise<BackupInfo> }> {
    const id = newBackupId();
    const lease = await this.lease(id);
    try {
      await this.d.store.begin({ ...this.progressInfo(id, opts), components: opts.components ?? this.d.backupConfig().weekly_components });
    } catch (err) {
      await lease.release();
      throw err;
    }
    const finished = this.runLocked(lease, id, opts).finally(() => lease.release());
    return { id, finished };
  }

  private progressInfo(id: string, opts: CreateOptions): BackupInfo {
    const cfg = this.d.backupConfig();
    return {
      id,
      type: opts.type ?? 'full',
      components: opts.components ?? cfg.weekly_components,
      created_at: isoSeconds(),
      status: 'in_progress',
      size: 0,
      files: {},
      node: { host: os.hostname(), pid: process.pid, instance: this.d.instanceId },
      source: sourceOf(this.d.site, null),
    };
  }

  /** Runs a backup while `lease` is held by the caller (used by restore for its safety backup). */
  async runLocked(lease: Lease, id: string, opts: CreateOptions): Promise<BackupInfo> {
    const cfg = this.d.backupConfig();
    const components = opts.components ?? cfg.weekly_components;
    const { node: _node, ...info } = { ...this.progressInfo(id, opts), components } as BackupInfo;
    await this.d.store.begin({ ...info, node: _node }).catch((err) => {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    });
    const started = Date.now();
    this.running.add(id);
    const timings: Record<string, number> = {};
    let manifest: Manifest | null = null;
    let result: BackupInfo;
    try {
      const dir = this.d.store.dirOf(id);
      const ctx = { dir, archive: { gzip: cfg.compression, key: this.key }, onProgress: opts.onProgress };
      const files: Partial<Record<Component, ManifestFile>> = {};
      const skipped: Partial<Record<Component, string>> = {};
      const { backup, db } = this.d.config;
      let database: Manifest['database'] = null;
      // A `files` component that cannot run fails the backup before anything is written, as the
      // plugin's did (it never reported success without the files it was asked for).
      let uploads: string | null = null;
      if (components.includes('files')) {
        const found = await this.d.uploadsDir();
        if ('tried' in found)
          throw new Error(
            `Failed to create files archive: no uploads directory found (${found.tried.length ? `tried ${found.tried.join(', ')}` : 'neither SLBP_UPLOADS_DIR nor a wp-config.php is configured'})`,
          );
        uploads = found.dir;
      }
      for (const component of components) {
        const t = Date.now();
        if (component === 'database') {
          const tables = await this.d.repo.baseTables(
            this.d.db.write,
            db.name,
            backup.scope === 'plugin' ? `${this.d.tables.prefix}slbp_` : undefined,
          );
          // Tables with FLOAT columns: mysqldump dumps them without rows, the sidecar writes those exactly.
          const exact = await exactRowTables(this.d.db.write, db.name, tables);
          const snapshot = new DumpSnapshot(
            { db: this.d.db, repo: this.d.repo },
            db.name,
            tables,
            exact.map((t) => t.name),
          );
          let rows: DedicatedConnection | null = null;
          try {
            await snapshot.prepare();
            // Without the lock, a snapshot of their own: exact, if a moment apart from the rest of the dump.
            rows = snapshot.takeRows() ?? (exact.length ? await openSnapshot(this.d.db, 600_000) : null);
            const dumping = writeDatabase(ctx, dbTargetFrom(db), db.name, backup.scope === 'plugin' ? tables : [], {
              tableCount: tables.length,
              tap: (out) => snapshot.watch(out),
              ...(rows ? { exact: exact.map((t) => t.name), append: () => exactRows(rows!, db.name, exact) } : {}),
            });
            dumping.catch(() => undefined); // awaited below; a dump failing early must not count as unhandled
            const checksums = await snapshot.checksums(dumping);
            files.database = await dumping;
            await rows?.query('COMMIT');
            rows?.release();
            rows = null;
            database = {
              name: db.name,
              scope: backup.scope,
              tables,
              checksums,
              exact_rows: exact.map((t) => t.name),
              ...(snapshot.problem ? { checksums_unavailable: snapshot.problem } : {}),
            };
            if (snapshot.problem)
              this.d.logger.warn('backup made without snapshot checksums: restoring it cannot be verified table by table', {
                backup_id: id,
                reason: snapshot.problem,
              });
          } finally {
            snapshot.close();
            rows?.destroy();
          }
        } else if (component === 'files') {
          files.files = await writeFiles(ctx, uploads!, this.d.store.root);
        } else {
          files.config = await writeConfig(ctx, await this.configSnapshot());
        }
        timings[component] = Date.now() - t;
        if (lease.lost) throw new Error('the backup lock was lost (lease not renewed); another node may have taken over');
      }
      manifest = {
        format: 1,
        id,
        type: info.type,
        components,
        created_at: info.created_at,
        completed_at: isoSeconds(),
        status: 'completed',
        size: Object.values(files).reduce((n, f) => n + f!.bytes, 0),
        files,
        skipped,
        database,
        source: await this.source(),
        tool_versions: await this.toolVersions(),
        fencing_token: lease.fencing,
        node: this.d.instanceId,
        slot: opts.slot ?? null,
        timings_ms: { ...timings, total: Date.now() - started },
      };
      // Fencing: a holder whose lease lapsed must not publish; the manifest is the commit point.
      if (lease.lost) throw new Error('the backup lock was lost before commit');
      await this.d.store.commit(manifest);
      result = {
        ...info,
        status: 'completed',
        size: manifest.size,
        files: Object.fromEntries(Object.entries(files).map(([k, f]) => [k, f!.name])),
        completed_at: manifest.completed_at,
        fencing_token: lease.fencing,
      };
      this.d.logger.info('backup completed', {
        backup_id: id,
        bytes: manifest.size,
        duration_ms: Date.now() - started,
        fencing_token: lease.fencing,
      });
    } catch (err) {
      const message = (err as Error).message;
      this.d.logger.error('backup failed', { backup_id: id, error: message });
      result = await this.d.store
        .fail(info, message)
        .catch(() => ({ ...info, status: 'failed' as const, error: message, failed_at: isoSeconds() }));
    } finally {
      this.running.delete(id);
    }
    const outcome: BackupResult = {
      ok: result.status === 'completed',
      at: new Date(),
      bytes: result.size,
      durationMs: Date.now() - started,
      id,
      type: result.type,
      error: result.error,
    };
    for (const o of this.d.observers) {
      try {
        o(outcome);
      } catch (err) {
        this.d.logger.warn('backup observer failed', { error: (err as Error).message });
      }
    }
    this.d.logger.debug('post-backup steps', { backup_id: id });
    await this.d
      .afterBackup?.(result, manifest)
      .catch((err) => this.d.logger.warn('post-backup step failed', { backup_id: id, error: (err as Error).message }));
    return result;
  }

  /** Every `slbp_*` option (decoded) and the sidecar's settings, with secrets redacted. */
  async configSnapshot(): Promise<unknown> {
    const rows = await this.d.options.listLike(this.d.db.write, 'slbp\\_%');
    const options: Record<string, unknown> = {};
    for (const r of rows) options[r.option_name] = maybeUnserialize(r.option_value, `option ${r.option_name}`);
    const { wpSalts: _salts, ...sidecar } = this.d.config;
    return { exported_at: isoSeconds(), options: redactSecrets(options), sidecar: redactSecrets(sidecar) };
  }

  private async toolVersions(): Promise<Record<string, string>> {
    this.versions ??= {
      node: process.version,
      mysqldump: await toolVersion('mysqldump'),
      tar: await toolVersion('tar'),
      sidecar: this.d.config.version,
    };
    return this.versions;
  }

  /** Backups, newest first, filtered like the plugin's list. */
  async list(f: { type?: string; status?: string; from?: Date; to?: Date } = {}): Promise<BackupInfo[]> {
    return (await this.d.store.list()).filter(
      (b) =>
        (!f.type || b.type === f.type) &&
        (!f.status || b.status === f.status) &&
        (!f.from || Date.parse(b.created_at) >= f.from.getTime()) &&
        (!f.to || Date.parse(b.created_at) <= f.to.getTime()),
    );
  }

  /** Seconds since the newest completed backup, or null when there is none. */
  async lastSuccessAge(): Promise<{ age_seconds: number | null; last_backup_id: string | null }> {
    const last = (await this.d.store.list()).find((b) => b.status === 'completed');
    if (!last) return { age_seconds: null, last_backup_id: null };
    return { age_seconds: Math.round((Date.now() - Date.parse(last.completed_at ?? last.created_at)) / 1000), last_backup_id: last.id };
  }

  dirOf(id: string): string {
    return this.d.store.dirOf(id);
  }
  fileOf(id: string, f: ManifestFile): string {
    return path.join(this.d.store.dirOf(id), f.name);
  }
}

/** Whether a process with this pid exists on this host. */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
