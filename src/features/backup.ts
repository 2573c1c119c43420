import path from 'node:path';
import type { Config } from '../config/schema.ts';
import type { RedisHandle } from '../cache/redis.ts';
import { BackupRepository } from '../data/backup-repository.ts';
import type { Database } from '../data/database.ts';
import type { OptionsRepository } from '../data/options-repository.ts';
import type { Tables } from '../data/tables.ts';
import type { SiteIdentity } from '../domain/site-identity.ts';
import type { SiteSettings } from '../domain/site-settings.ts';
import { CronSchedule } from '../jobs/cron-schedule.ts';
import type { Logger } from '../observability/logger.ts';
import { BackupLock } from '../backup/backup-lock.ts';
import { BackupMaintenance } from '../backup/backup-maintenance.ts';
import { BackupSettings } from '../backup/backup-settings.ts';
import { ScheduledBackups } from '../backup/scheduled-backups.ts';
import { BackupService, type BackupObserver } from '../backup/backup-service.ts';
import { BackupStore } from '../backup/backup-store.ts';
import { RestoreService } from '../backup/restore-service.ts';
import { BackupVerifications } from '../backup/backup-verification.ts';

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
  /** slbp_backup_config: read with defaults, changed by administrators. */
  settings: BackupSettings;
  /** The scheduled backups: one per slot across the pool. */
  slots: ScheduledBackups;
  /** Fires the scheduled backups (nodes running jobs only). */
  scheduler: CronSchedule;
}

/** Builds the backup store, lock, services and scheduler from the container's parts. */
export function buildBackupModule(d: BackupModuleDeps): BackupModule {
  // Default: one directory per site under <data>/backups; SLBP_BACKUP_DIR is the operator's, filtered by source.
  const legacyRoot = path.join(d.dataDir, 'backups');
  const root = d.config.backup.dir ? path.resolve(d.config.backup.dir) : path.join(legacyRoot, d.site.key);
  const store = new BackupStore(root, d.site);
  const lock = new BackupLock(d.redis, d.config.backup.lockLeaseMs, d.logger);
  const repo = new BackupRepository();
  // The schedule follows a saved config at once on this node (the others at their next sweep).
  const settings = new BackupSettings({ db: d.db, options: d.options, settings: d.settings, onSaved: () => scheduler.reschedule() });
  const getConfig = () => settings.get();
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
  const slots = new ScheduledBackups({ backups, lock, backupConfig: getConfig });
  const scheduler = new CronSchedule('backup-scheduler', 'backup', slots, d.config.backup.timezone, d.logger);
  return {
    store,
    lock,
    backups,
    restore,
    maintenance,
    settings,
    slots,
    scheduler,
    verifications: new BackupVerifications(store, backups, restore),
  };
}
