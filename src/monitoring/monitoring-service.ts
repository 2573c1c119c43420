import type { Database } from '../data/database.ts';
import type { AlertRow, AlertsRepository, AlertStatusFilter } from '../data/alerts-repository.ts';
import type { MetricsRepository } from '../data/metrics-repository.ts';
import type { OptionsRepository } from '../data/options-repository.ts';
import type { SiteSettings } from '../domain/site-settings.ts';
import { parseAlertConfig, type AlertConfig, type ConfigProblem } from './alert-config.ts';
import type { AlertService } from './alert-service.ts';
import { isoNow } from '../domain/health-service.ts';

export const TIMEFRAMES = { '1h': 3600, '6h': 6 * 3600, '24h': 86_400, '7d': 7 * 86_400 } as const;
export type Timeframe = keyof typeof TIMEFRAMES;

/** Most dashboard rows returned; the summary always covers every row of the timeframe. */
export const DASHBOARD_ROW_LIMIT = 5000;

const iso = (s: string | null) => (s ? isoNow(new Date(`${s.replace(' ', 'T')}Z`)) : null);

export function alertOut(r: AlertRow) {
  return { ...r, triggered_at: iso(r.triggered_at), resolved_at: iso(r.resolved_at) };
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

  async dashboard(timeframe: Timeframe, now = new Date()) {
    const from = new Date(now.getTime() - TIMEFRAMES[timeframe] * 1000);
    const [rows, summary, active] = await Promise.all([
      this.d.metricsRepo.since(this.d.db.read, from, DASHBOARD_ROW_LIMIT),
      this.d.metricsRepo.summary(this.d.db.read, from),
      this.d.alertsRepo.list(this.d.db.read, 'active', 100, 0),
    ]);
    return {
      timeframe,
      metrics: rows.map((r) => ({ ...r, collected_at: iso(r.collected_at) })),
      summary,
      alerts: active.rows.map(alertOut),
    };
  }

  async alerts(status: AlertStatusFilter, perPage: number, page: number) {
    const { rows, total } = await this.d.alertsRepo.list(this.d.db.read, status, perPage, (page - 1) * perPage);
    return { alerts: rows.map(alertOut), total, status };
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
