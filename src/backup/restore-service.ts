import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.ts';
import type { BackupRepository, TableCheck } from '../data/backup-repository.ts';
import type { Database } from '../data/database.ts';
import type { OptionsRepository } from '../data/options-repository.ts';
import { maybeUnserialize } from '../data/php-serialize.ts';
import { unredact, type Component } from '../domain/backup-config.ts';
import type { Logger } from '../observability/logger.ts';
import { hashFile } from './archive-io.ts';
import { BackupError } from './backup-error.ts';
import type { BackupService } from './backup-service.ts';
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
export interface RestoreProgress { phase: 'verify' | 'safety_backup' | 'restore'; component?: Component; done: number; total: number | null; unit: 'bytes' | 'tables' }

export interface FileCheck { component: Component; file: string; ok: boolean; expected_sha256: string; actual_sha256: string | null; expected_bytes: number; actual_bytes: number | null }

/** Verifies, restores and drills backups. Nothing is overwritten before every checksum matches. */
export class RestoreService {
  constructor(private readonly d: RestoreDeps) {}

  /** The manifest of a completed backup, or 404 / 409. */
  async completed(id: string): Promise<Manifest> {
    const info = await this.d.backups.store.info(id);
    if (!info) throw new BackupError('slbp_backup_not_found', 'Backup not found', 404);
    const manifest = (info as { manifest?: Manifest }).manifest;
    if (info.status !== 'completed' || !manifest) throw new BackupError('slbp_backup_not_completed', `Backup is ${info.status}, not completed; it cannot be restored.`, 409, { backup_status: info.status });
    return manifest;
  }

  /** Re-hashes every file (or the given components') against the manifest; `onBytes` hears bytes hashed of the total. */
  async verify(id: string, components?: Component[], onBytes?: (done: number, total: number) => void): Promise<{ ok: boolean; files: FileCheck[] }> {
    const m = await this.completed(id);
    const files: FileCheck[] = [];
    const wanted = (Object.entries(m.files) as [Component, Manifest['files'][Component]][]).filter(([c, f]) => f && (!components || components.includes(c)));
    const total = wanted.reduce((n, [, f]) => n + f!.bytes, 0);
    let before = 0;
    for (const [component, f] of wanted) {
      if (!f) continue;
      const actual = await hashFile(this.d.backups.fileOf(id, f), onBytes && ((n) => onBytes(before + n, total))).catch(() => null);
      before += f.bytes;
      files.push({ component, file: f.name, ok: actual?.sha256 === f.sha256 && actual.bytes === f.bytes, expected_sha256: f.sha256, actual_sha256: actual?.sha256 ?? null, expected_bytes: f.bytes, actual_bytes: actual?.bytes ?? null });
    }
    return { ok: files.every((f) => f.ok), files };
  }

  private async verifyOrRefuse(id: string, components: Component[], onProgress?: (p: RestoreProgress) => void): Promise<void> {
    const v = await this.verify(id, components, onProgress && ((done, total) => onProgress({ phase: 'verify', done, total, unit: 'bytes' })));
    if (!v.ok) throw new BackupError('slbp_backup_checksum_mismatch', 'The backup does not match its manifest checksums; nothing was restored.', 422, { files: v.files.filter((f) => !f.ok) });
  }

  /** Restores the asked components over the live site, after a safety backup of them. */
  async restore(id: string, asked?: Component[], opts: { onProgress?: (p: RestoreProgress) => void } = {}): Promise<Record<string, unknown>> {
    const onProgress = opts.onProgress;
    const m = await this.completed(id);
    const components = asked ?? (Object.keys(m.files) as Component[]);
    const missing = components.filter((c) => !m.files[c]);
    if (missing.length) throw new BackupError('rest_invalid_param', `Backup ${id} has no ${missing.join(', ')} component.`, 400, { params: { components: `not in this backup: ${missing.join(', ')}` } });
    if (components.includes('files') && !this.d.config.backup.uploadsDir) throw new BackupError('slbp_backup_no_uploads_dir', 'SLBP_UPLOADS_DIR is not configured; files cannot be restored.', 409);
    await this.verifyOrRefuse(id, components, onProgress);
    const lease = await this.d.backups.lease(`restore:${id}`);
    const started = Date.now();
    try {
      // Checked again under the lock: the files could have changed while we waited.
      await this.verifyOrRefuse(id, components);
      this.d.logger.debug('taking safety backup', { backup_id: id });
      const safety = await this.d.backups.runLocked(lease, newBackupId(), {
        type: 'pre_restore', components,
        onProgress: onProgress && ((p) => onProgress({ phase: 'safety_backup', component: p.component, done: p.done ?? p.bytes, total: p.total ?? null, unit: p.unit === 'tables' ? 'tables' : 'bytes' })),
      });
      if (safety.status !== 'completed') throw new BackupError('slbp_backup_safety_failed', `The safety backup failed (${safety.error}); nothing was restored.`, 500);
      const results: Record<string, unknown> = { safety_backup_id: safety.id };
      for (const c of components) {
        const t = Date.now();
        this.d.logger.debug('restoring component', { backup_id: id, component: c });
        const total = m.files[c]!.bytes;
        await this.restoreComponent(id, m, c, this.d.config.db.name, onProgress && ((n) => onProgress({ phase: 'restore', component: c, done: n, total, unit: 'bytes' })));
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
    else if (c === 'files') await restoreFiles(file, f, key, this.d.config.backup.uploadsDir, onBytes);
    else {
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

  /** Verifies a backup and loads its database into `database` (used by the drill and tests). */
  async restoreDatabaseInto(id: string, database: string): Promise<void> {
    const m = await this.completed(id);
    if (!m.files.database) throw new BackupError('rest_invalid_param', 'This backup has no database component.', 400);
    await this.verifyOrRefuse(id, ['database']);
    await this.restoreComponent(id, m, 'database', database);
  }

  /** Row count and CHECKSUM TABLE of each table in two databases, side by side. */
  async compare(tables: string[], source: string, copy: string): Promise<{ table: string; source: TableCheck; restored: TableCheck; match: boolean }[]> {
    const out = [];
    for (const t of tables) {
      const [a, b] = [await this.d.repo.check(this.d.db.write, source, t), await this.d.repo.check(this.d.db.write, copy, t)];
      out.push({ table: t, source: a, restored: b, match: a.rows === b.rows && a.checksum !== null && a.checksum === b.checksum });
    }
    return out;
  }

  /**
   * The drill: back up, verify, restore into a scratch database, compare every table's row
   * count and CHECKSUM TABLE with the live one, drop the scratch and the drill's backup.
   * Writes to the live database during the drill show up as mismatches, as they should.
   */
  async drTest(): Promise<Record<string, unknown>> {
    const started = Date.now();
    const r: Record<string, unknown> = { backup_creation: false, backup_verification: false, backup_compression: false, backup_extraction: false, database_verification: false, files_verification: false, cleanup: false };
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
      await this.restoreDatabaseInto(info.id, scratch);
      r.restore_ms = Date.now() - t;
      r.backup_extraction = true;
      const tables = await this.compare(m.database!.tables, this.d.config.db.name, scratch);
      r.tables = tables.map((x) => ({ table: x.table, rows: x.source.rows, restored_rows: x.restored.rows, checksum: x.source.checksum, restored_checksum: x.restored.checksum, match: x.match }));
      r.database_verification = tables.length > 0 && tables.every((x) => x.match);
    } catch (err) {
      r.error = (err as Error).message;
      this.d.logger.error('disaster recovery drill failed', { error: r.error });
    } finally {
      let cleaned = true;
      if (scratch) await this.d.repo.dropDatabase(this.d.db.write, scratch).catch(() => { cleaned = false; });
      if (backupId) await this.d.backups.store.remove(backupId).catch(() => { cleaned = false; });
      r.cleanup = cleaned;
      await lease.release();
    }
    const ok = ['backup_creation', 'backup_verification', 'backup_compression', 'backup_extraction', 'database_verification', 'files_verification', 'cleanup'].every((k) => r[k] === true);
    r.overall_success = ok;
    return { test_results: r, overall_success: ok, duration_ms: Date.now() - started, timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') };
  }
}
