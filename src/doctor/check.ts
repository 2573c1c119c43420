import type { RemoteStore } from '../backup/remote-store.ts';
import type { RedisHandle } from '../cache/redis.ts';
import type { Config } from '../config/schema.ts';
import type { SiteIdentity } from '../config/site-identity.ts';
import type { Database } from '../data/database.ts';
import type { LoginResult } from '../data/login-check.ts';
import type { ReplicaMonitor } from '../data/replica-monitor.ts';
import type { Tables } from '../data/tables.ts';
import type { BackupConfig } from '../domain/backup-config.ts';

export type CheckStatus = 'pass' | 'fail' | 'skip';

/** What one check found: a one-line message, the fix when it fails, and optional detail lines. */
export interface CheckOutcome {
  status: CheckStatus;
  message: string;
  fix?: string;
  lines?: string[];
  details?: Record<string, unknown>;
}

/** One check of `slbp doctor`: a small unit in the list, run against a site's context. */
export interface DoctorCheck {
  id: string;
  title: string;
  /** Skipped (not failed again) when the database login fails. */
  needsDatabase?: boolean;
  run(ctx: DoctorContext): Promise<CheckOutcome>;
}

/** Everything a check may look at, built from the sidecar's own container. */
export interface DoctorContext {
  config: Config;
  db: Database;
  tables: Tables;
  /** This site (database name + table prefix), whose Redis namespace the prefix must be. */
  site: SiteIdentity;
  /** The site's `siteurl` option when read, for naming it beside another site. */
  siteUrl(): string | null;
  redis: RedisHandle | null;
  replicas: ReplicaMonitor;
  dataDir: string;
  backupDir: string;
  /** The effective slbp_backup_config (remote storage, schedule). */
  backupConfig(): BackupConfig;
  /** The remote store when remote storage is enabled, else null. */
  remote(): RemoteStore | null;
  /** Sizes of completed backups, newest first. */
  backupSizes(): Promise<number[]>;
  /** The login result of this run (one login per run). */
  login(): Promise<LoginResult>;
  now(): number;
}
