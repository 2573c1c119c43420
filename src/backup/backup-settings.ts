import type { Database } from '../data/database.ts';
import type { OptionsRepository } from '../data/options-repository.ts';
import { backupConfigSchema, effectiveBackupConfig, redactSecrets, unredact, type BackupConfig } from '../domain/backup-config.ts';
import type { SiteSettings } from '../domain/site-settings.ts';
import { SidecarError } from '../errors.ts';

/** `slbp_backup_config`: read with the plugin's defaults, changed by administrators. */
export class BackupSettings {
  constructor(
    private readonly d: {
      db: Database;
      options: OptionsRepository;
      settings: SiteSettings;
      /** Told after a change is stored and the settings re-read (the schedule follows it). */
      onSaved(): void;
    },
  ) {}

  /** The effective config (plugin defaults for missing keys), as GET /backup/config shows it. */
  get(): BackupConfig {
    return effectiveBackupConfig(this.d.settings.backupConfig);
  }

  /** Validates a (partial) config over the current one, stores it in wp_options, applies it. */
  async save(patch: Record<string, unknown>): Promise<BackupConfig> {
    const current = this.get();
    const merged = { ...current, ...patch } as Record<string, unknown>;
    // Secrets come back redacted from GET; posting them unchanged keeps the stored values.
    merged.remote_storage = unredact(merged.remote_storage, current.remote_storage);
    const parsed = backupConfigSchema.safeParse(merged);
    if (!parsed.success) {
      const params: Record<string, string> = {};
      for (const issue of parsed.error.issues) params[issue.path.map(String).join('.') || 'config'] ??= issue.message;
      throw new SidecarError('rest_invalid_param', `Invalid parameter(s): ${Object.keys(params).join(', ')}`, 400, { params });
    }
    await this.d.options.set(this.d.db.write, 'slbp_backup_config', parsed.data);
    await this.d.settings.refresh();
    this.d.onSaved();
    return parsed.data;
  }
}

/** The config as shown to administrators: remote credentials' secrets redacted. */
export function publicBackupConfig(cfg: BackupConfig): BackupConfig {
  return { ...cfg, remote_storage: redactSecrets(cfg.remote_storage) };
}
