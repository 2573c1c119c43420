import type { Queryable } from './database.ts';
import { maybeUnserialize } from './php-serialize.ts';
import type { Tables } from './tables.ts';

/**
 * The plugin's WP-cron hooks whose work the sidecar's jobs do: expiry notices (`slbp_daily_cron`),
 * backups and their retention, alerts, metric snapshots, and two hooks the plugin schedules but
 * nothing handles. While the shim plugin is active it unschedules them and puts them back on
 * deactivation (wp-plugin-shim: class-slbp-sidecar-cron-takeover.php keeps the same list).
 * Not here: `slbp_license_check` and `slbp_external_analytics_sync`, which the sidecar does not do.
 */
export const DUPLICATED_CRON_HOOKS = [
  'slbp_daily_cron',
  'slbp_subscription_check',
  'slbp_daily_backup',
  'slbp_cleanup_old_backups',
  'slbp_check_alerts',
  'slbp_collect_metrics',
  'slbp_cleanup_logs',
] as const;

export interface ScheduledHook {
  hook: string;
  next_run: string;
  schedule: string | null;
}

type CronArray = Record<string, unknown>;

/**
 * Which of the duplicated hooks WordPress still has scheduled, soonest first, read from its
 * `cron` option (timestamp → hook → args key → {schedule, args, interval}).
 */
export async function scheduledPluginCronHooks(q: Queryable, tables: Tables): Promise<ScheduledHook[]> {
  const rows = await q.query<{ option_value: string }[]>(`SELECT option_value FROM \`${tables.core.options}\` WHERE option_name = 'cron'`);
  const cron = rows[0] ? maybeUnserialize(rows[0].option_value, 'option cron') : null;
  if (!cron || typeof cron !== 'object') return [];
  const wanted = new Set<string>(DUPLICATED_CRON_HOOKS);
  const out: ScheduledHook[] = [];
  for (const [at, hooks] of Object.entries(cron as CronArray)) {
    if (!/^\d+$/.test(at) || !hooks || typeof hooks !== 'object') continue;
    for (const [hook, events] of Object.entries(hooks as CronArray)) {
      if (!wanted.has(hook) || !events || typeof events !== 'object') continue;
      for (const e of Object.values(events as CronArray)) {
        const schedule = (e as { schedule?: unknown })?.schedule;
        out.push({ hook, next_run: new Date(Number(at) * 1000).toISOString(), schedule: typeof schedule === 'string' ? schedule : null });
      }
    }
  }
  return out.sort((a, b) => (a.next_run < b.next_run ? -1 : a.next_run > b.next_run ? 1 : a.hook.localeCompare(b.hook)));
}

/** The `plugin_cron` check of /ready and /health/detailed: healthy when WordPress runs none of them. */
export function pluginCronCheck(scheduled: ScheduledHook[]): { healthy: boolean; message: string; still_scheduled: ScheduledHook[] } {
  const hooks = [...new Set(scheduled.map((s) => s.hook))];
  return hooks.length
    ? {
        healthy: false,
        message: `The plugin's WP-cron hooks ${hooks.join(', ')} are still scheduled: WordPress runs them beside the sidecar's jobs. Activate the shim plugin, which takes them over.`,
        still_scheduled: scheduled,
      }
    : {
        healthy: true,
        message: "None of the plugin's duplicated WP-cron hooks is scheduled: the sidecar's jobs are the only ones",
        still_scheduled: [],
      };
}
