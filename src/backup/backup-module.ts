import path from 'node:path';
import type { Config } from '../config/schema.ts';
import type { RedisHandle } from '../cache/redis.ts';
import { BackupRepository } from '../data/backup-repository.ts';
import type { Database } from '../data/database.ts';
import type { OptionsRepository } from '../data/options-repository.ts';
import type { Tables } from '../data/tables.ts';
import { backupConfigSchema, effectiveBackupConfig, redactSecrets, unredact, type BackupConfig } from '../domain/backup-config.ts';
import type { SiteIdentity } from '../domain/site-identity.ts';
import type { SiteSettings } from '../domain/site-settings.ts';
import { BackupScheduler } from '../jobs/backup-scheduler.ts';
import type { Logger } from '../observability/logger.ts';
import { SidecarError } from '../errors.ts';
import { BackupLock } from './backup-lock.ts';
import { BackupMaintenance } from './backup-maintenance.ts';
import { BackupService, type BackupObserver } from './backup-service.ts';
import { BackupStore } from './backup-store.ts';
import { RestoreService } from './restore-service.ts';
import { BackupVerifications } from './backup-verification.ts';

export interface BackupModuleDeps {
  config: Config;
  dataDir: string;
  db: Database;
  tables: Tables;
  options: OptionsRepository;
  settings: SiteSettings;
  redis: RedisHandle | null;
  logger: Logger;
  instanceId: string;
  site: SiteIdentity;
  observers: BackupObserver[];
}

/** Everything backups need, built once by the container. */
export interface BackupModule {
  store: BackupStore;
  lock: BackupLock;
  backups: BackupService;
  restore: RestoreService;
  /** Verification on demand (recorded per backup) and downloads. */
  verifications: BackupVerifications;
  maintenance: BackupMaintenance;
  scheduler: BackupScheduler;
  /** The effective config (plugin defaults for missing keys), as GET /backup/config shows it. */
  getConfig(): BackupConfig;
  /** Validates a (partial) config over the current one, stores it in wp_options, applies it. */
  saveConfig(patch: Record<string, unknown>): Promise<BackupConfig>;
}

/** Builds the backup store, lock, services and scheduler from the container's parts. */
export function buildBackupModule(d: BackupModuleDeps): BackupModule {
  // Default: one directory per site under <data>/backups; SLBP_BACKUP_DIR is the operator's, filtered by source.
  const legacyRoot = path.join(d.dataDir, 'backups');
  const root = d.config.backup.dir ? path.resolve(d.config.backup.dir) : path.join(legacyRoot, d.site.key);
  const store = new BackupStore(root, d.site);
  const lock = new BackupLock(d.redis, d.config.backup.lockLeaseMs, d.logger);
  const repo = new BackupRepository();
  const getConfig = () => effectiveBackupConfig(d.settings.backupConfig);
  const maintenance = new BackupMaintenance({
    config: d.config,
    store,
    logger: d.logger,
    siteId: () => d.settings.siteId,
    site: d.site,
    instanceId: d.instanceId,
    backupConfig: getConfig,
  });
  const backups = new BackupService({
    config: d.config,
    db: d.db,
    tables: d.tables,
    options: d.options,
    repo,
    lock,
    store,
    logger: d.logger,
    instanceId: d.instanceId,
    site: d.site,
    legacyRoot: d.config.backup.dir ? null : legacyRoot,
    observers: d.observers,
    backupConfig: getConfig,
    afterBackup: (info, manifest) => maintenance.afterBackup(info, manifest),
  });
  const restore = new RestoreService({
    config: d.config,
    db: d.db,
    repo,
    options: d.options,
    backups,
    logger: d.logger,
    refreshSettings: () => d.settings.refresh(),
  });
  const scheduler = new BackupScheduler({ backups, lock, backupConfig: getConfig, timezone: d.config.backup.timezone, logger: d.logger });
  return {
    store,
    lock,
    backups,
    restore,
    maintenance,
    scheduler,
    getConfig,
    verifications: new BackupVerifications(store, backups, restore),
    async saveConfig(patch) {
      const current = getConfig();
      const merged = { ...current, ...patch } as Record<string, unknown>;
      // Secrets come back redacted from GET; posting them unchanged keeps the stored values.
      merged.remote_storage = unredact(merged.remote_storage, current.remote_storage);
      const parsed = backupConfigSchema.safeParse(merged);
      if (!parsed.success) {
        const params: Record<string, string> = {};
        for (const issue of parsed.error.issues) params[issue.path.map(String).join('.') || 'config'] ??= issue.message;
        throw new SidecarError('rest_invalid_param', `Invalid parameter(s): ${Object.keys(params).join(', ')}`, 400, { params });
      }
      await d.options.set(d.db.write, 'slbp_backup_config', parsed.data);
      await d.settings.refresh();
      scheduler.reschedule();
      return parsed.data;
    },
  };
}

/** The config as shown to administrators: remote credentials' secrets redacted. */
export function publicBackupConfig(cfg: BackupConfig): BackupConfig {
  return { ...cfg, remote_storage: redactSecrets(cfg.remote_storage) };
}
