import type { BackupInfo } from '../../backup/backup-store.ts';
import { siteMysqlTime } from '../../domain/plugin-dates.ts';

const DATES = ['created_at', 'completed_at', 'failed_at'] as const;

/**
 * A backup as the plugin's routes showed it: its dates `Y-m-d H:i:s` in the site's time zone,
 * with the UTC instants beside them as `*_gmt` (ISO 8601); the rest as stored.
 */
export function backupOut<T extends Partial<BackupInfo>>(info: T, zone: string): T & Record<string, unknown> {
  const out: Record<string, unknown> = { ...info };
  for (const k of DATES) {
    const v = info[k];
    if (typeof v !== 'string') continue;
    out[k] = siteMysqlTime(v, zone);
    out[`${k}_gmt`] = v.replace(/\.\d{3}Z$/, 'Z');
  }
  return out as T & Record<string, unknown>;
}
