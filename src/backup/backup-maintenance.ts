import axios from 'axios';
import type { Config } from '../config/schema.ts';
import type { BackupConfig } from '../domain/backup-config.ts';
import type { SiteIdentity } from '../config/site-identity.ts';
import type { Logger } from '../observability/logger.ts';
import type { BackupInfo, BackupStore, Manifest } from './backup-store.ts';
import { createdAtOf, RemoteStore, remoteSettings } from './remote-store.ts';

export interface MaintenanceDeps {
  config: Config;
  store: BackupStore;
  logger: Logger;
  siteId(): string | null;
  site: SiteIdentity;
  instanceId: string;
  backupConfig(): BackupConfig;
}

const DAY_MS = 86_400_000;

/** Which of `items` (newest first) retention removes: too old, or beyond the count; never the newest. */
export function expired<T extends { id: string; at: number }>(items: T[], retentionDays: number, keepCount: number, now = Date.now()): T[] {
  return items.filter((b, i) => i > 0 && (i >= keepCount || now - b.at > retentionDays * DAY_MS));
}

/** After each backup: remote copy, retention (local and remote), notifications. */
export class BackupMaintenance {
  private remoteCache: { sig: string; store: RemoteStore } | null = null;

  constructor(private readonly d: MaintenanceDeps) {}

  /** The configured remote store, or null when remote storage is off. */
  remote(): RemoteStore | null {
    const cfg = this.d.backupConfig();
    if (!cfg.remote_storage.enabled) return null;
    const settings = remoteSettings(this.d.config.backup.s3, cfg.remote_storage.credentials, this.d.site.key);
    const sig = JSON.stringify(settings);
    if (this.remoteCache?.sig !== sig) {
      this.remoteCache?.store.close();
      this.remoteCache = { sig, store: new RemoteStore(settings) };
    }
    return this.remoteCache.store;
  }

  async afterBackup(info: BackupInfo, manifest: Manifest | null): Promise<void> {
    const cfg = this.d.backupConfig();
    if (info.status === 'completed' && manifest && info.type !== 'dr_test') {
      const remote = this.remote();
      if (remote) {
        try {
          await remote.upload(this.d.store.dirOf(info.id), manifest);
        } catch (err) {
          this.d.logger.error('remote copy of a backup failed', { backup_id: info.id, error: (err as Error).message });
          await this.notify('backup.remote_copy_failed', { ...info, error: (err as Error).message });
        }
      }
      await this.applyRetention().catch((err) => this.d.logger.warn('backup retention failed', { error: (err as Error).message }));
    }
    if (info.status === 'failed' && cfg.notifications.email_on_failure) await this.notify('backup.failed', info);
    if (info.status === 'completed' && cfg.notifications.email_on_completion) await this.notify('backup.completed', info);
  }

  /** Applies retention_days and the count limit to local backups and to remote copies. */
  async applyRetention(now = Date.now()): Promise<{ local_removed: string[]; remote_removed: string[] }> {
    const cfg = this.d.backupConfig();
    const keep = cfg.retention_count ?? this.d.config.backup.keepCount;
    const all = await this.d.store.list();
    const completed = all.filter((b) => b.status === 'completed').map((b) => ({ id: b.id, at: Date.parse(b.created_at) }));
    const localRemoved = expired(completed, cfg.retention_days, keep, now).map((b) => b.id);
    // Failure records carry no data; they go once they are older than retention_days.
    localRemoved.push(
      ...all.filter((b) => b.status === 'failed' && now - Date.parse(b.created_at) > cfg.retention_days * DAY_MS).map((b) => b.id),
    );
    for (const id of localRemoved) await this.d.store.remove(id);
    const remoteRemoved: string[] = [];
    const remote = this.remote();
    if (remote) {
      // Remote copies follow the local decision; copies without a local twin (another node's,
      // or a lost disk) are judged by the time in their id.
      const local = new Set(all.map((b) => b.id));
      const ids = await remote.listIds();
      const orphans = ids
        .filter((id) => !local.has(id))
        .map((id) => ({ id, at: createdAtOf(id) }))
        .sort((a, b) => b.at - a.at);
      const doomed = [
        ...ids.filter((id) => localRemoved.includes(id)).map((id) => ({ id })),
        ...expired(orphans, cfg.retention_days, keep, now),
      ];
      for (const b of doomed) {
        await remote.remove(b.id);
        remoteRemoved.push(b.id);
      }
    }
    if (localRemoved.length || remoteRemoved.length)
      this.d.logger.info('backup retention applied', { local_removed: localRemoved, remote_removed: remoteRemoved });
    return { local_removed: localRemoved, remote_removed: remoteRemoved };
  }

  /** Deletes a backup here and its remote copy. */
  async removeEverywhere(id: string): Promise<{ remote: boolean }> {
    await this.d.store.remove(id);
    const remote = this.remote();
    if (!remote) return { remote: false };
    await remote.remove(id);
    return { remote: true };
  }

  /** POSTs an event to `notifications.webhook_url` (short timeout; failures are only logged). */
  async notify(event: string, info: BackupInfo): Promise<void> {
    const url = this.d.backupConfig().notifications.webhook_url;
    if (!url) return;
    try {
      await axios.post(
        url,
        { event, site_id: this.d.siteId(), node: this.d.instanceId, backup: info, timestamp: new Date().toISOString() },
        { timeout: 5000 },
      );
    } catch (err) {
      this.d.logger.warn('backup notification webhook failed', { event, error: (err as Error).message });
    }
  }

  close(): void {
    this.remoteCache?.store.close();
  }
}
