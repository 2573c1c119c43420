import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.ts';
import type { BackupRepository } from '../data/backup-repository.ts';
import type { Database } from '../data/database.ts';
import type { OptionsRepository } from '../data/options-repository.ts';
import { maybeUnserialize } from '../data/php-serialize.ts';
import { unredact, type Component } from '../domain/backup-config.ts';
import type { Logger } from '../observability/logger.ts';
import { hashFile } from './archive-io.ts';
import { SidecarError } from '../errors.ts';
import type { BackupService } from './backup-service.ts';
import { belongsTo, otherSiteError } from './site-backups.ts';
import { newBackupId, type Manifest } from './backup-store.ts';
import { readConfig, restoreDatabase, restoreFiles } from './components.ts';
import { dbTargetFrom } from './db-tools.ts';

export interface RestoreDeps {
  config: Config;
  db: Database;
  repo: BackupRepository;
  options: OptionsRepository;
  backups: BackupService;
  logger: Logger;
  /** Re-reads wp_options after a config restore. */
  refreshSettings(): Promise<void>;
}

/** Where a restore stands: checking checksums, taking the safety backup, or loading a component (bytes of its archive). */
export interface RestoreProgress {
  phase: 'verify' | 'safety_backup' | 'restore';
  component?: Component;
  done: number;
  total: number | null;
  unit: 'bytes' | 'tables';
}
/** One table of a restored copy against the backup's snapshot checksum. */
export interface TableVerification {
  table: string;
  rows: number | null;
  restored_rows: number | null;
  checksum: string | null;
  restored_checksum: string | null;
  match: boolean;
}
export interface RestoreVerification {
  ok: boolean;
  reason?: string;
  tables: TableVerification[];
}

export interface FileCheck {
  component: Component;
  file: string;
  ok: boolean;
  expected_sha256: string;
  actual_sha256: string | null;
  expected_bytes: number;
  actual_bytes: number | null;
}

/** Verifies, restores and drills backups. Nothing is overwritten before every checksum matches. */
export class RestoreService {
  constructor(private readonly d: RestoreDeps) {}

  /**
   * The manifest of a completed backup of this site, or 404 / 409. A backup from another site
   * (another database or prefix; found in a shared SLBP_BACKUP_DIR or copied in) is refused by
   * name unless `allowOtherSite` (the command line's explicit flag).
   */
  async completed(id: string, opts: { allowOtherSite?: boolean } = {}): Promise<Manifest> {
    const store = this.d.backups.store;
    const info = await store.read(id);
    if (!info) throw new SidecarError('slbp_backup_not_found', 'Backup not found', 404);
    if (!belongsTo(store.site, info)) {
      if (!opts.allowOtherSite) throw otherSiteError(id, store.site, info);
      this.d.logger.warn('using a backup made from another site, as asked', {
        backup_id: id,
        source: info.source ?? { database: info.manifest?.database?.name },
      });
    }
    const manifest = (info as { manifest?: Manifest }).manifest;
    if (info.status !== 'completed' || !manifest)
      throw new SidecarError('slbp_backup_not_completed', `Backup is ${info.status}, not completed; it cannot be restored.`, 409, {
        backup_status: info.status,
      });
    return manifest;
  }

  /** Re-hashes every file (or the given components') against the manifest; `onBytes` hears bytes hashed of the total. */
  async verify(
    id: string,
    components?: Component[],
    opts: { allowOtherSite?: boolean; onBytes?: (done: number, total: number) => void } = {},
  ): Promise<{ ok: boolean; files: FileCheck[] }> {
    const m = await this.completed(id, opts);
    const onBytes = opts.onBytes;
    const files: FileCheck[] = [];
    const wanted = (Object.entries(m.files) as [Component, Manifest['files'][Component]][]).filter(
      ([c, f]) => f && (!components || components.includes(c)),
    );
    const total = wanted.reduce((n, [, f]) => n + f!.bytes, 0);
    let before = 0;
    for (const [component, f] of wanted) {
      if (!f) continue;
      const actual = await hashFile(this.d.backups.fileOf(id, f), onBytes && ((n) => onBytes(before + n, total))).catch(() => null);
      before += f.bytes;
      files.push({
        component,
        file: f.name,
        ok: actual?.sha256 === f.sha256 && actual.bytes === f.bytes,
        expected_sha256: f.sha256,
        actual_sha256: actual?.sha256 ?? null,
        expected_bytes: f.bytes,
        actual_bytes: actual?.bytes ?? null,
      });
    }
    return { ok: files.every((f) => f.ok), files };
  }

  private async verifyOrRefuse(
    id: string,
    components: Component[],
    opts: { allowOtherSite?: boolean; onProgress?: (p: RestoreProgress) => void } = {},
  ): Promise<void> {
    const onProgress = opts.onProgress;
    const v = await this.verify(id, components, {
      allowOtherSite: opts.allowOtherSite,
      onBytes: onProgress && ((done, total) => onProgress({ phase: 'verify', done, total, unit: 'bytes' })),
    });
    if (!v.ok)
      throw new SidecarError(
        'slbp_backup_checksum_mismatch',
        'The backup does not match its manifest checksums; nothing was restored.',
        422,
        { files: v.files.filter((f) => !f.ok) },
      );
  }

  /** Restores the asked components over the live site, after a safety backup of them. */
  async restore(
    id: string,
    asked?: Component[],
    opts: { allowOtherSite?: boolean; onProgress?: (p: RestoreProgress) => void } = {},
  ): Promise<Record<string, unknown>> {
    const onProgress = opts.onProgress;
    const m = await this.completed(id, opts);
    const components = asked ?? (Object.keys(m.files) as Component[]);
    const missing = components.filter((c) => !m.files[c]);
    if (missing.length)
      throw new SidecarError('rest_invalid_param', `Backup ${id} has no ${missing.join(', ')} component.`, 400, {
        params: { components: `not in this backup: ${missing.join(', ')}` },
      });
    const uploads = components.includes('files') ? await this.d.backups.uploadsDir() : null;
    if (uploads && 'tried' in uploads)
      throw new SidecarError(
        'slbp_backup_no_uploads_dir',
        `No uploads directory found (${uploads.tried.join(', ') || 'set SLBP_UPLOADS_DIR or --wp-config'}); files cannot be restored.`,
        409,
      );
    await this.verifyOrRefuse(id, components, opts);
    const lease = await this.d.backups.lease(`restore:${id}`);
    const started = Date.now();
    try {
      // Checked again under the lock: the files could have changed while we waited.
      await this.verifyOrRefuse(id, components, opts);
      this.d.logger.debug('taking safety backup', { backup_id: id });
      const safety = await this.d.backups.runLocked(lease, newBackupId(), {
        type: 'pre_restore',
        components,
        onProgress:
          onProgress &&
          ((p) =>
            onProgress({
              phase: 'safety_backup',
              component: p.component,
              done: p.done ?? p.bytes,
              total: p.total ?? null,
              unit: p.unit === 'tables' ? 'tables' : 'bytes',
            })),
      });
      if (safety.status !== 'completed')
        throw new SidecarError('slbp_backup_safety_failed', `The safety backup failed (${safety.error}); nothing was restored.`, 500);
      const results: Record<string, unknown> = { safety_backup_id: safety.id };
      for (const c of components) {
        const t = Date.now();
        this.d.logger.debug('restoring component', { backup_id: id, component: c });
        const total = m.files[c]!.bytes;
        await this.restoreComponent(
          id,
          m,
          c,
          this.d.config.db.name,
          onProgress && ((n) => onProgress({ phase: 'restore', component: c, done: n, total, unit: 'bytes' })),
        );
        results[c] = { restored: true, duration_ms: Date.now() - t };
      }
      if (components.includes('config')) await this.d.refreshSettings().catch(() => undefined);
      this.d.logger.warn('backup restored over the live site', { backup_id: id, components, safety_backup_id: safety.id });
      return { ...results, duration_ms: Date.now() - started };
    } finally {
      await lease.release();
    }
  }

  private async restoreComponent(id: string, m: Manifest, c: Component, database: string, onBytes?: (n: number) => void): Promise<void> {
    const f = m.files[c]!;
    const file = this.d.backups.fileOf(id, f);
    const key = this.d.backups.key;
    if (c === 'database') await restoreDatabase(file, f, key, dbTargetFrom(this.d.config.db), database, onBytes);
    else if (c === 'files') {
      const uploads = await this.d.backups.uploadsDir();
      if ('tried' in uploads) throw new Error('no uploads directory found; files cannot be restored');
      await restoreFiles(file, f, key, uploads.dir, onBytes);
    } else {
      const snap = (await readConfig(file, f, key)) as { options?: Record<string, unknown> };
      for (const [name, value] of Object.entries(snap.options ?? {})) {
        if (!/^slbp_/.test(name)) continue;
        const current = await this.d.options.get(this.d.db.write, name);
        const merged = unredact(value, current === null ? undefined : maybeUnserialize(current, `option ${name}`));
        await this.d.options.set(this.d.db.write, name, merged);
      }
    }
  }

  /** A new database named after the configured one, created empty (and so ours to drop). */
  async scratchDatabase(tag: string): Promise<string> {
    const name = `${this.d.config.db.name.slice(0, 48)}_${tag}_${randomBytes(3).toString('hex')}`;
    await this.d.repo.createDatabase(this.d.db.write, name);
    return name;
  }

  /**
   * Verifies a backup, loads its database into `database` and compares every table with the
   * checksums the backup read in its dump's own snapshot (used by the drill and tests).
   */
  async restoreDatabaseInto(id: string, database: string): Promise<RestoreVerification> {
    const m = await this.completed(id);
    if (!m.files.database) throw new SidecarError('rest_invalid_param', 'This backup has no database component.', 400);
    await this.verifyOrRefuse(id, ['database']);
    await this.restoreComponent(id, m, 'database', database);
    return this.verifyRestored(m, database);
  }

  /** Each table of `database` against the backup's snapshot checksums (a restored copy nobody writes to). */
  async verifyRestored(m: Manifest, database: string): Promise<RestoreVerification> {
    const sums = m.database?.checksums;
    if (!sums)
      return {
        ok: false,
        reason: m.database?.checksums_unavailable ?? 'the backup has no snapshot checksums (made before they were recorded)',
        tables: [],
      };
    // Digested the way the backup digested them: FLOAT exactly where it wrote the rows itself.
    const exact = new Set(sums.exact_rows ?? []);
    const conn = await this.d.db.dedicated(600_000);
    try {
      const tables: TableVerification[] = [];
      for (const table of m.database!.tables) {
        const expected = sums.tables[table];
        const actual = await this.d.repo.digest(conn, database, table, { exactFloat: exact.has(table) }).catch(() => null);
        tables.push({
          table,
          rows: expected?.rows ?? null,
          restored_rows: actual?.rows ?? null,
          checksum: expected?.digest ?? null,
          restored_checksum: actual?.digest ?? null,
          match: Boolean(expected && actual && expected.digest === actual.digest),
        });
      }
      return { ok: tables.length > 0 && tables.every((t) => t.match), tables };
    } finally {
      conn.release();
    }
  }

  /**
   * The drill: back up, verify, restore into a scratch database, compare every table with the
   * checksums read in the dump's own snapshot, drop the scratch and the drill's backup. The live
   * tables are never compared: a store taking orders meanwhile still passes, a damaged archive
   * or a restore that loses data does not.
   */
  async drTest(): Promise<Record<string, unknown>> {
    const started = Date.now();
    const r: Record<string, unknown> = {
      backup_creation: false,
      backup_verification: false,
      backup_compression: false,
      backup_extraction: false,
      database_verification: false,
      files_verification: false,
      cleanup: false,
    };
    const lease = await this.d.backups.lease('dr-test');
    let scratch: string | null = null;
    let backupId: string | null = null;
    try {
      const info = await this.d.backups.runLocked(lease, newBackupId(), { type: 'dr_test', components: ['database', 'config'] });
      backupId = info.id;
      r.backup_id = info.id;
      r.backup_creation = info.status === 'completed';
      if (!r.backup_creation) throw new Error(info.error ?? 'backup failed');
      const m = await this.completed(info.id);
      const v = await this.verify(info.id);
      r.backup_verification = v.ok;
      r.files_verification = v.files.length > 0 && v.ok;
      await readConfig(this.d.backups.fileOf(info.id, m.files.config!), m.files.config!, this.d.backups.key);
      r.backup_compression = true;
      scratch = await this.scratchDatabase('dr');
      r.scratch_database = scratch;
      const t = Date.now();
      const verified = await this.restoreDatabaseInto(info.id, scratch);
      r.restore_ms = Date.now() - t;
      r.backup_extraction = true;
      r.checksums_taken_at = m.database?.checksums?.taken_at ?? null;
      r.tables = verified.tables;
      r.database_verification = verified.ok;
      if (verified.reason) r.database_verification_error = verified.reason;
    } catch (err) {
      r.error = (err as Error).message;
      this.d.logger.error('disaster recovery drill failed', { error: r.error });
    } finally {
      let cleaned = true;
      if (scratch)
        await this.d.repo.dropDatabase(this.d.db.write, scratch).catch(() => {
          cleaned = false;
        });
      if (backupId)
        await this.d.backups.store.remove(backupId).catch(() => {
          cleaned = false;
        });
      r.cleanup = cleaned;
      await lease.release();
    }
    const ok = [
      'backup_creation',
      'backup_verification',
      'backup_compression',
      'backup_extraction',
      'database_verification',
      'files_verification',
      'cleanup',
    ].every((k) => r[k] === true);
    r.overall_success = ok;
    return {
      test_results: r,
      overall_success: ok,
      duration_ms: Date.now() - started,
      timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
  }
}
