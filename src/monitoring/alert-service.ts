import type { Queryable } from '../data/database.ts';
import type { AlertsRepository } from '../data/alerts-repository.ts';
import type { AlertNotice, AlertNotifier } from './alert-notifier.ts';
import type { Logger } from '../observability/logger.ts';
import { conditionHolds, DEFAULT_ALERT_CONFIG, formatAlertMessage, storedAlertConfig, type AlertConfig } from './alert-config.ts';
import { isoNow } from '../domain/health-service.ts';

export interface EvaluationResult {
  evaluated: number;
  fired: string[];
  resolved: string[];
  suppressed: string[];
}

export interface AlertServiceDeps {
  q: Queryable;
  alerts: AlertsRepository;
  notifier: AlertNotifier;
  logger: Logger;
  /** The stored slbp_alert_config, decoded; undefined when it was never saved (the built-in rules apply). */
  rawConfig: () => unknown;
  knownMetrics: ReadonlySet<string>;
  site: () => { id: string | null; url: string };
}

const dbTime = (s: string) => `${s.replace(' ', 'T')}Z`;

/**
 * Evaluates slbp_alert_config against current values: a rule whose condition holds opens one
 * `active` row (unless it fired within its cooldown) and notifies; while it keeps holding the
 * row's current_value is updated; when it clears the row becomes `resolved` with resolved_at.
 */
export class AlertService {
  private warnedSkipped = new Set<string>();
  /** Firings notified while the database could not record them (cooldown kept in memory). */
  private firedOffline = new Map<string, number>();

  constructor(private readonly d: AlertServiceDeps) {}

  config(): AlertConfig {
    const raw = this.d.rawConfig();
    if (raw === undefined) return structuredClone(DEFAULT_ALERT_CONFIG) as AlertConfig;
    const stored = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
    const { config, skipped } = storedAlertConfig(stored, this.d.knownMetrics);
    for (const p of skipped) {
      const key = `${p.entry}:${p.field}:${p.message}`;
      if (!this.warnedSkipped.has(key))
        this.d.logger.warn('alert rule in slbp_alert_config is invalid and is skipped', {
          rule: p.entry,
          field: p.field,
          problem: p.message,
        });
      this.warnedSkipped.add(key);
    }
    return config;
  }

  async evaluate(values: Map<string, number>, now = new Date()): Promise<EvaluationResult> {
    const result: EvaluationResult = { evaluated: 0, fired: [], resolved: [], suppressed: [] };
    for (const [name, rule] of Object.entries(this.config())) {
      if (!rule.enabled) continue;
      const value = values.get(rule.metric);
      if (value === undefined) continue;
      result.evaluated++;
      const holds = conditionHolds(rule.condition, value, rule.threshold);
      const notice = (status: AlertNotice['status'], triggeredAt: string, resolvedAt: string | null): AlertNotice => ({
        alert_name: name,
        status,
        severity: rule.severity,
        metric: rule.metric,
        current_value: value,
        threshold: rule.threshold,
        message: formatAlertMessage(rule.message, value, rule.threshold),
        triggered_at: triggeredAt,
        resolved_at: resolvedAt,
        site_id: this.d.site().id,
        site_url: this.d.site().url,
      });
      let open;
      try {
        open = await this.d.alerts.active(this.d.q, name);
      } catch (err) {
        // The database is down (the very thing "database.connections equals 0" watches): still
        // notify, at most once per cooldown, and record nothing.
        const last = this.firedOffline.get(name) ?? 0;
        if (holds && now.getTime() - last >= rule.cooldown * 1000) {
          this.firedOffline.set(name, now.getTime());
          result.fired.push(name);
          this.d.logger.warn('alert fired; the database cannot record it', {
            alert: name,
            metric: rule.metric,
            value,
            error: (err as Error).message,
          });
          await this.d.notifier.notify(notice('active', isoNow(now), null), rule);
        }
        continue;
      }
      if (holds && open) {
        await this.d.alerts.updateCurrent(this.d.q, open.id, value);
      } else if (holds) {
        const last = await this.d.alerts.lastTriggeredAt(this.d.q, name);
        if (last && now.getTime() - last.getTime() < rule.cooldown * 1000) {
          result.suppressed.push(name);
          continue;
        }
        const n = notice('active', isoNow(now), null);
        await this.d.alerts.insertActive(
          this.d.q,
          {
            alert_name: name,
            metric_name: rule.metric,
            threshold_value: rule.threshold,
            current_value: value,
            severity: rule.severity,
            message: n.message,
          },
          now,
        );
        result.fired.push(name);
        this.d.logger.warn('alert fired', { alert: name, metric: rule.metric, value, threshold: rule.threshold, severity: rule.severity });
        await this.d.notifier.notify(n, rule);
      } else if (open) {
        if (await this.d.alerts.resolve(this.d.q, open.id, value, now)) {
          result.resolved.push(name);
          this.d.logger.info('alert resolved', { alert: name, metric: rule.metric, value });
          await this.d.notifier.notify(notice('resolved', isoNow(new Date(dbTime(open.triggered_at))), isoNow(now)), rule);
        }
      }
    }
    return result;
  }
}
