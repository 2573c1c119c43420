import os from 'node:os';
import type { BackupObserver } from '../backup/backup-service.ts';
import type { CacheService } from '../cache/cache-service.ts';
import type { RedisHandle } from '../cache/redis.ts';
import type { Config } from '../config/schema.ts';
import { AlertsRepository } from '../data/alerts-repository.ts';
import type { Database } from '../data/database.ts';
import { MetricsRepository } from '../data/metrics-repository.ts';
import type { OptionsRepository } from '../data/options-repository.ts';
import { serverVersion } from '../data/probes.ts';
import type { ReplicaMonitor } from '../data/replica-monitor.ts';
import type { Tables } from '../data/tables.ts';
import type { SiteSettings } from '../domain/site-settings.ts';
import type { RateLimitObserver } from '../http/middleware/rate-limit.ts';
import type { RequestObserver } from '../http/middleware/request-context.ts';
import { monitoringRoutes } from '../http/routes/monitoring.ts';
import { CronJob } from '../jobs/cron-job.ts';
import { slotJob } from '../jobs/slot-job.ts';
import { SlotLock } from '../jobs/slot-lock.ts';
import { AlertNotifier } from '../monitoring/alert-notifier.ts';
import { AlertService } from '../monitoring/alert-service.ts';
import { Metrics } from '../monitoring/metrics.ts';
import { MonitoringService } from '../monitoring/monitoring-service.ts';
import { dottedName, SITE_METRICS, SiteMetricsCollector } from '../monitoring/site-metrics.ts';
import { memoryLimit, phpVersion, reachability, wordpressVersion } from '../monitoring/system-info.ts';
import { ALERTS_EVERY_MS, MonitoringWork, SNAPSHOT_EVERY_MS } from '../monitoring/snapshots.ts';
import { LatencyWindow } from '../observability/latency.ts';
import type { Logger } from '../observability/logger.ts';
import type { FeatureParts } from './feature.ts';

export interface MonitoringDeps {
  config: Config;
  logger: Logger;
  instanceId: string;
  dataDir: string;
  db: Database;
  tables: Tables;
  redis: RedisHandle | null;
  options: OptionsRepository;
  settings: SiteSettings;
  replicas: ReplicaMonitor;
  cache: CacheService;
  /** Age of the newest completed backup in the store (the backup feature's), read at scrape time. */
  lastBackupAge(): Promise<{ age_seconds: number | null }>;
}

/** system_info and performance_metrics of /health/detailed. */
export interface Diagnostics {
  system_info: Record<string, unknown>;
  performance_metrics: Record<string, unknown>;
}

export interface Monitoring extends FeatureParts {
  metrics: Metrics;
  service: MonitoringService;
  alerts: AlertService;
  /** What the snapshot and alert jobs do. */
  work: MonitoringWork;
  /** Scheduled every 5 minutes / every minute when jobs are enabled; tests call runNow(). */
  snapshotJob: CronJob;
  alertJob: CronJob;
  /** Recent request durations and event loop lag, for /health/detailed. */
  latency: LatencyWindow;
  diagnostics(): Promise<Diagnostics>;
  /** What monitoring is told: every finished request, every rate-limit rejection, every backup. */
  observers: { request: RequestObserver; rateLimit: RateLimitObserver; backup: BackupObserver };
}

/** Prometheus metrics, request timing, dashboard snapshots, alerts and the monitoring routes. */
export function createMonitoring(d: MonitoringDeps): Monitoring {
  const metrics = new Metrics({
    db: d.db,
    cacheStats: () => d.cache.stats(),
    logger: d.logger,
    slowQueryMs: d.config.db.slowQueryMs,
    slowRequestMs: d.config.monitoring.slowRequestMs,
    replicas: () => d.replicas.replicaLag(),
    lastGoodBackup: async () => {
      const { age_seconds } = await d.lastBackupAge();
      return age_seconds === null ? null : new Date(Date.now() - age_seconds * 1000);
    },
  });
  metrics.attachSiteMetrics(
    new SiteMetricsCollector({
      db: d.db,
      tables: d.tables,
      cache: () => d.cache,
      dataDir: d.dataDir,
      businessCacheSec: d.config.monitoring.businessCacheSec,
      requests: metrics.requests,
      queries: metrics.queries,
      slowQueries: metrics.slowQueries,
    }),
  );
  const knownMetrics = new Set(SITE_METRICS.map(dottedName));
  const alertsRepo = new AlertsRepository(d.tables);
  const metricsRepo = new MetricsRepository(d.tables);
  const alerts = new AlertService({
    q: d.db.write,
    alerts: alertsRepo,
    notifier: new AlertNotifier(d.logger, d.config.monitoring.notifyTimeoutMs),
    logger: d.logger,
    rawConfig: () => d.settings.get('slbp_alert_config'),
    knownMetrics,
    site: () => ({ id: d.settings.siteId, url: d.settings.siteUrl }),
  });
  const service = new MonitoringService({
    db: d.db,
    metricsRepo,
    alertsRepo,
    options: d.options,
    settings: d.settings,
    alerts,
    knownMetrics,
  });
  const lock = new SlotLock(d.redis, d.db, `${d.config.db.name}:${d.tables.prefix}`, d.instanceId, d.logger);
  const work = new MonitoringWork({
    metrics,
    repo: metricsRepo,
    alerts,
    logger: d.logger,
    retentionDays: d.config.monitoring.metricsRetentionDays,
  });
  const snapshotJob = new CronJob('metrics-snapshot', '*/5 * * * *', snapshotSlots(lock, work), d.logger);
  const alertJob = new CronJob(
    'alert-evaluation',
    '* * * * *',
    slotJob(lock, 'alerts', ALERTS_EVERY_MS, (_q, now) => work.evaluateAlerts(now)),
    d.logger,
  );
  const latency = new LatencyWindow();
  const lemonSqueezy = reachability(() => d.config.billing.lemonSqueezyApiUrl, Math.min(2000, d.config.billing.gatewayTimeoutMs));
  let mariadbVersion: string | null = null;

  return {
    metrics,
    service,
    alerts,
    work,
    snapshotJob,
    alertJob,
    latency,
    async diagnostics() {
      if (!mariadbVersion) mariadbVersion = await serverVersion(d.db.read).catch(() => null);
      const [wp, php] = await Promise.all([wordpressVersion(d.config.wordpress, d.settings.get('db_version')), phpVersion()]);
      const mem = process.memoryUsage();
      const res = process.resourceUsage();
      const load = os.loadavg().map((n) => Math.round(n * 1000) / 1000);
      const percentiles = latency.percentiles();
      const queries = metrics.queries.totals();
      // The plugin's keys first, with the values they name for this site and this node (where each
      // comes from: docs/compatibility.md), then the sidecar's own.
      return {
        system_info: {
          php_version: php.value,
          wordpress_version: wp.value,
          plugin_version: d.config.version,
          memory_limit: memoryLimit(),
          memory_usage: mem.rss,
          peak_memory: res.maxRSS * 1024,
          server_software: `Node.js/${process.versions.node} (skylearn-billing-sidecar/${d.config.version})`,
          php_sapi: 'none (served by the sidecar)',
          sources: { php_version: php.source, wordpress_version: wp.source },
          node_version: process.version,
          mariadb_version: mariadbVersion,
          sidecar_version: d.config.version,
          platform: `${os.type()} ${os.release()} ${os.arch()}`,
          hostname: os.hostname(),
          pid: process.pid,
          heap_used: mem.heapUsed,
          uptime: Math.floor(process.uptime()),
        },
        performance_metrics: {
          response_time: percentiles.p50,
          database_queries: queries.count,
          cache_hit_ratio: d.cache.stats().hit_ratio ?? 0,
          cpu_usage: load[0] ?? 0,
          load_average: load,
          response_time_percentiles: percentiles,
          database_query_ms: queries.count ? Math.round((queries.sum / queries.count) * 100) / 100 : 0,
          event_loop_lag_ms: latency.eventLoopLag(),
          cpu_count: os.cpus().length,
        },
      };
    },
    observers: {
      request: (r) => {
        latency.record(r.ms);
        metrics.observeRequest(r);
      },
      rateLimit: (zone) => metrics.rateLimited(zone),
      backup: (r) => metrics.backupFinished(r),
    },
    routes: monitoringRoutes({ metrics, monitoring: service, home: () => d.settings.homeUrl }),
    // The event loop histogram runs until the process stops serving.
    services: [{ name: 'request-latency', stop: () => latency.stop() }],
    jobs: [snapshotJob, alertJob],
    health: {
      external_apis: async () => {
        const lemon = await lemonSqueezy();
        return {
          healthy: lemon.healthy,
          message: lemon.healthy ? 'All external APIs accessible' : `Lemon Squeezy API unreachable: ${lemon.error}`,
          apis: { lemon_squeezy: lemon },
        };
      },
    },
  };
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
