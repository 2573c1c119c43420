import path from 'node:path';
import type { Config } from '../config/schema.ts';
import type { RedisHandle } from '../cache/redis.ts';
import { BackupRepository } from '../data/backup-repository.ts';
import type { Database } from '../data/database.ts';
import type { OptionsRepository } from '../data/options-repository.ts';
import type { Tables } from '../data/tables.ts';
import type { SiteIdentity } from '../config/site-identity.ts';
import type { SiteSettings } from '../domain/site-settings.ts';
import { CronSchedule } from '../jobs/cron-schedule.ts';
import type { Logger } from '../observability/logger.ts';
import { BackupLock } from '../backup/backup-lock.ts';
import { BackupMaintenance } from '../backup/backup-maintenance.ts';
import { BackupSettings } from '../backup/backup-settings.ts';
import { findUploadsDir } from '../config/wordpress-paths.ts';
import { ScheduledBackups } from '../backup/scheduled-backups.ts';
import { BackupService, type BackupObserver } from '../backup/backup-service.ts';
import { BackupStore } from '../backup/backup-store.ts';
import { RestoreService } from '../backup/restore-service.ts';
import { BackupVerifications } from '../backup/backup-verification.ts';
import { backupFileRoutes } from '../http/routes/backup-files.ts';
import { backupRoutes } from '../http/routes/backup.ts';
import type { FeatureParts } from './feature.ts';

export interface BackupDeps {
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
  /** Told about every backup attempt (metrics). */
  observers: BackupObserver[];
}

/** Backups: the store, the lock shared by the pool, backups and restores, the schedule and the backup routes. */
export interface Backup extends FeatureParts {
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

/** Builds the backup store, lock, services, schedule and routes. */
export function createBackup(d: BackupDeps): Backup {
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
    uploadsDir: () => findUploadsDir(d.config.backup.uploadsDir, d.config.wordpress, String(d.settings.get('upload_path') ?? '')),
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
  const verifications = new BackupVerifications(store, backups, restore);
  return {
    store,
    lock,
    backups,
    restore,
    maintenance,
    settings,
    slots,
    scheduler,
    verifications,
    routes: [
      ...backupRoutes({ backups, store, restore, verifications, maintenance, settings, timeZone: () => d.settings.timeZone }),
      ...backupFileRoutes(verifications),
    ],
    services: [
      // Recovery runs on every node at start (jobs or not): a crash leaves no partial backup behind.
      {
        name: 'backups',
        start: async () => {
          await backups.recover();
        },
        stop: () => maintenance.close(),
      },
    ],
    jobs: [scheduler],
    health: {
      backups: async () => {
        const { age_seconds, last_backup_id } = await backups.lastSuccessAge();
        const cfg = settings.get();
        // Overdue = no completed backup within twice the schedule's period (daily for cron schedules).
        const periodS = (cfg.schedule === 'weekly' ? 7 : cfg.schedule === 'monthly' ? 31 : 1) * 86_400;
        const healthy = !cfg.enabled || (age_seconds !== null && age_seconds <= 2 * periodS);
        return {
          healthy,
          message: age_seconds === null ? 'No completed backup yet' : `Last successful backup ${age_seconds} s ago`,
          last_backup_age_seconds: age_seconds,
          last_backup_id,
          schedule: cfg.enabled ? cfg.schedule : 'disabled',
        };
      },
    },
  };
}
