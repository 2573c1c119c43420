import type { Database } from '../data/database.ts';
import type { AlertRow, AlertsRepository, AlertStatusFilter } from '../data/alerts-repository.ts';
import type { MetricsRepository } from '../data/metrics-repository.ts';
import type { OptionsRepository } from '../data/options-repository.ts';
import type { SiteSettings } from '../domain/site-settings.ts';
import { parseAlertConfig, type AlertConfig, type ConfigProblem } from './alert-config.ts';
import type { AlertService } from './alert-service.ts';
import { isoNow } from '../domain/health-service.ts';
import { siteMysqlTime } from '../domain/plugin-dates.ts';

export const TIMEFRAMES = { '1h': 3600, '6h': 6 * 3600, '24h': 86_400, '7d': 7 * 86_400 } as const;
export type Timeframe = keyof typeof TIMEFRAMES;

/** Most dashboard rows returned; the summary always covers every row of the timeframe. */
export const DASHBOARD_ROW_LIMIT = 5000;

const iso = (s: string | null) => (s ? isoNow(new Date(`${s.replace(' ', 'T')}Z`)) : null);

/** The plugin's timeframes ended at 1 hour for any other value; so does the sidecar (docs/compatibility.md). */
export function timeframeOf(asked: string): Timeframe {
  return Object.hasOwn(TIMEFRAMES, asked) ? (asked as Timeframe) : '1h';
}

/**
 * An alert row as the plugin answered it (`$wpdb` rows: every value a string, dates
 * `Y-m-d H:i:s` in the site's time), with the UTC instants beside them as `*_gmt` (ISO 8601).
 */
export function alertOut(r: AlertRow, zone: string) {
  return {
    id: String(r.id),
    alert_name: r.alert_name,
    metric_name: r.metric_name,
    threshold_value: String(r.threshold_value),
    current_value: String(r.current_value),
    severity: r.severity,
    status: r.status,
    message: r.message,
    triggered_at: siteMysqlTime(r.triggered_at, zone),
    resolved_at: siteMysqlTime(r.resolved_at, zone),
    triggered_at_gmt: iso(r.triggered_at),
    resolved_at_gmt: iso(r.resolved_at),
  };
}

export interface MonitoringServiceDeps {
  db: Database;
  metricsRepo: MetricsRepository;
  alertsRepo: AlertsRepository;
  options: OptionsRepository;
  settings: SiteSettings;
  alerts: AlertService;
  knownMetrics: ReadonlySet<string>;
}

/** What the monitoring routes answer: dashboard rows, alert lists and the alert configuration. */
export class MonitoringService {
  constructor(private readonly d: MonitoringServiceDeps) {}

  /** The dashboard for `asked` (an unknown timeframe is answered for 1 hour, and named as asked, like the plugin). */
  async dashboard(asked: string, now = new Date()) {
    const timeframe = timeframeOf(asked);
    const zone = this.d.settings.timeZone;
    const from = new Date(now.getTime() - TIMEFRAMES[timeframe] * 1000);
    const [rows, summary, active] = await Promise.all([
      this.d.metricsRepo.since(this.d.db.read, from, DASHBOARD_ROW_LIMIT),
      this.d.metricsRepo.summary(this.d.db.read, from),
      this.d.alertsRepo.list(this.d.db.read, 'active', 100, 0),
    ]);
    return {
      timeframe: asked,
      timeframe_applied: timeframe,
      // The plugin's row values are strings (FLOAT columns as MariaDB prints them).
      metrics: rows.map((r) => ({
        category: r.category,
        metric_name: r.metric_name,
        metric_value: String(r.metric_value),
        metric_unit: r.metric_unit,
        collected_at: siteMysqlTime(r.collected_at, zone),
        collected_at_gmt: iso(r.collected_at),
      })),
      summary,
      alerts: active.rows.map((r) => alertOut(r, zone)),
    };
  }

  async alerts(status: AlertStatusFilter, perPage: number, page: number) {
    const { rows, total } = await this.d.alertsRepo.list(this.d.db.read, status, perPage, (page - 1) * perPage);
    const zone = this.d.settings.timeZone;
    return { alerts: rows.map((r) => alertOut(r, zone)), total, status };
  }

  config(): AlertConfig {
    return this.d.alerts.config();
  }

  /** Replaces the whole configuration, or returns the problems without changing anything. */
  async replaceConfig(input: unknown): Promise<{ config: AlertConfig } | { problems: ConfigProblem[] }> {
    const parsed = parseAlertConfig(input, this.d.knownMetrics);
    if ('problems' in parsed) return parsed;
    await this.d.options.set(this.d.db.write, 'slbp_alert_config', parsed.config);
    await this.d.settings.refresh();
    return parsed;
  }
}
