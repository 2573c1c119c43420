import type { Container } from '../container.ts';
import { AlertsRepository } from '../data/alerts-repository.ts';
import { MetricsRepository } from '../data/metrics-repository.ts';
import { AlertService } from '../monitoring/alert-service.ts';
import { MonitoringService } from '../monitoring/monitoring-service.ts';
import { CronJob } from '../jobs/cron-job.ts';
import { slotJob } from '../jobs/slot-job.ts';
import { SlotLock } from '../jobs/slot-lock.ts';
import { AlertNotifier } from '../monitoring/alert-notifier.ts';
import { Metrics } from '../monitoring/metrics.ts';
import { ALERTS_EVERY_MS, MonitoringWork, SNAPSHOT_EVERY_MS } from '../monitoring/snapshots.ts';
import { dottedName, SITE_METRICS, SiteMetricsCollector } from '../monitoring/site-metrics.ts';

export interface Monitoring {
  metrics: Metrics;
  service: MonitoringService;
  alerts: AlertService;
  /** What the snapshot and alert jobs do. */
  work: MonitoringWork;
  /** Scheduled every 5 minutes / every minute when jobs are enabled; tests call runNow(). */
  snapshotJob: CronJob;
  alertJob: CronJob;
}

/** Builds metrics, request timing, the snapshot and alert jobs, and wires them into the container. */
export function buildMonitoring(c: Container): Monitoring {
  const metrics = new Metrics({
    db: c.db,
    cacheStats: () => c.cache.stats(),
    logger: c.logger,
    slowQueryMs: c.config.db.slowQueryMs,
    slowRequestMs: c.config.monitoring.slowRequestMs,
    replicas: () => c.replicas.replicaLag(),
    lastGoodBackup: async () => {
      const { age_seconds } = await c.backup.backups.lastSuccessAge();
      return age_seconds === null ? null : new Date(Date.now() - age_seconds * 1000);
    },
  });
  c.backupObservers.push((r) => metrics.backupFinished(r));
  c.rateLimitObservers.push((zone) => metrics.rateLimited(zone));
  metrics.attachSiteMetrics(
    new SiteMetricsCollector({
      db: c.db,
      tables: c.tables,
      cache: () => c.cache,
      dataDir: c.dataDir,
      businessCacheSec: c.config.monitoring.businessCacheSec,
      requests: metrics.requests,
      queries: metrics.queries,
      slowQueries: metrics.slowQueries,
    }),
  );
  const knownMetrics = new Set(SITE_METRICS.map(dottedName));
  const alertsRepo = new AlertsRepository(c.tables);
  const metricsRepo = new MetricsRepository(c.tables);
  const alerts = new AlertService({
    q: c.db.write,
    alerts: alertsRepo,
    notifier: new AlertNotifier(c.logger, c.config.monitoring.notifyTimeoutMs),
    logger: c.logger,
    rawConfig: () => c.settings.alertConfig,
    knownMetrics,
    site: () => ({ id: c.settings.siteId, url: c.settings.siteUrl }),
  });
  const service = new MonitoringService({
    db: c.db,
    metricsRepo,
    alertsRepo,
    options: c.options,
    settings: c.settings,
    alerts,
    knownMetrics,
  });
  const lock = new SlotLock(c.redis, c.db, `${c.config.db.name}:${c.tables.prefix}`, c.instanceId, c.logger);
  const work = new MonitoringWork({
    metrics,
    repo: metricsRepo,
    alerts,
    logger: c.logger,
    retentionDays: c.config.monitoring.metricsRetentionDays,
  });
  const snapshotJob = new CronJob('metrics-snapshot', '*/5 * * * *', snapshotSlots(lock, work), c.logger);
  const alertJob = new CronJob(
    'alert-evaluation',
    '* * * * *',
    slotJob(lock, 'alerts', ALERTS_EVERY_MS, (_q, now) => work.evaluateAlerts(now)),
    c.logger,
  );

  c.requestObservers.push((r) => metrics.observeRequest(r));
  if (c.config.jobs.enabled) c.services.push(snapshotJob, alertJob);
  return { metrics, service, alerts, work, snapshotJob, alertJob };
}

/** The snapshot job's run: one node per 5-minute slot writes it (a late node finds the rows and skips). */
export function snapshotSlots(lock: SlotLock, work: MonitoringWork) {
  return slotJob(
    lock,
    'metrics-snapshot',
    SNAPSHOT_EVERY_MS,
    (q, now) => work.snapshot(q, now),
    (q, start) => work.snapshotTaken(q, start),
  );
}
