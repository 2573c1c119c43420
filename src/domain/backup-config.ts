import { z } from 'zod';
import { validate as validCron } from 'node-cron';

export const COMPONENTS = ['database', 'files', 'config'] as const;
export type Component = (typeof COMPONENTS)[number];

const components = z
  .array(z.enum(COMPONENTS))
  .min(1)
  .transform((a) => [...new Set(a)]);

/** A schedule: one of the plugin's names, or a five/six-field cron expression. */
const schedule = z
  .string()
  .refine((s) => ['daily', 'weekly', 'monthly'].includes(s) || validCron(s), 'daily, weekly, monthly or a cron expression');

/**
 * `slbp_backup_config` in the plugin's shape. The plugin knew daily and weekly components;
 * `monthly_components` and `retention_count` are additions (optional, with defaults).
 * `remote_storage.credentials` may carry `bucket`, `endpoint`, `region`, `prefix`,
 * `access_key_id`, `secret_access_key` over the SLBP_BACKUP_S3_* settings.
 */
export const backupConfigSchema = z.object({
  enabled: z.boolean(),
  schedule,
  retention_days: z.number().int().min(1).max(3650),
  retention_count: z.number().int().min(1).max(10_000).optional(),
  compression: z.boolean(),
  daily_components: components,
  weekly_components: components,
  monthly_components: components.optional(),
  notifications: z.object({
    email_on_completion: z.boolean(),
    email_on_failure: z.boolean(),
    webhook_url: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]),
  }),
  remote_storage: z.object({
    enabled: z.boolean(),
    type: z.literal('s3'),
    // PHP serializes an empty array as [], so the plugin's default is an empty list.
    credentials: z.union([z.array(z.never()).length(0), z.record(z.string(), z.string())]),
  }),
});

export type BackupConfig = z.infer<typeof backupConfigSchema>;

/** The plugin's defaults (plugin-responses/admin-backup-config.200.json). */
export const DEFAULT_BACKUP_CONFIG: BackupConfig = {
  enabled: true,
  schedule: 'daily',
  retention_days: 30,
  compression: true,
  daily_components: ['database', 'config'],
  weekly_components: ['database', 'files', 'config'],
  notifications: { email_on_completion: false, email_on_failure: true, webhook_url: '' },
  remote_storage: { enabled: false, type: 's3', credentials: [] },
};

const SECRET_KEY = /secret|password|api_key|token|private/i;
export const REDACTED = '[redacted]';

/** A deep copy with every secret-looking key replaced by REDACTED. */
export function redactSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map(redactSecrets) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        SECRET_KEY.test(k) && v !== '' && (typeof v === 'string' || typeof v === 'number') ? REDACTED : redactSecrets(v),
      ]),
    ) as T;
  }
  return value;
}

/** Puts back `current` values wherever `restored` holds REDACTED (a config restore never blanks secrets). */
export function unredact(restored: unknown, current: unknown): unknown {
  if (restored === REDACTED) return current;
  if (restored && typeof restored === 'object' && !Array.isArray(restored)) {
    const cur = current && typeof current === 'object' ? (current as Record<string, unknown>) : {};
    return Object.fromEntries(Object.entries(restored).map(([k, v]) => [k, unredact(v, cur[k])]));
  }
  return restored;
}

/** Reads the stored option leniently: missing or broken keys take the plugin's defaults. */
export function effectiveBackupConfig(raw: Record<string, unknown>): BackupConfig {
  const merged: Record<string, unknown> = { ...DEFAULT_BACKUP_CONFIG };
  for (const [key, def] of Object.entries(backupConfigSchema.shape)) {
    if (raw[key] === undefined) continue;
    const r = (def as z.ZodType).safeParse(raw[key]);
    if (r.success) merged[key] = r.data;
  }
  return merged as BackupConfig;
}

/** Components for a schedule kind: the config's list for it (cron expressions use daily's). */
export function componentsFor(cfg: BackupConfig, kind: 'daily' | 'weekly' | 'monthly'): Component[] {
  if (kind === 'weekly') return cfg.weekly_components;
  if (kind === 'monthly') return cfg.monthly_components ?? cfg.weekly_components;
  return cfg.daily_components;
}

/** Cron expression for a schedule (UTC or the configured zone is applied by the scheduler). */
export function cronFor(schedule: string): { expression: string; kind: 'daily' | 'weekly' | 'monthly' } {
  if (schedule === 'daily') return { expression: '0 3 * * *', kind: 'daily' };
  if (schedule === 'weekly') return { expression: '0 3 * * 0', kind: 'weekly' };
  if (schedule === 'monthly') return { expression: '0 3 1 * *', kind: 'monthly' };
  return { expression: schedule, kind: 'daily' };
}
