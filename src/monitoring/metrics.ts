import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import type { CacheStats } from '../cache/cache-service.ts';
import type { Database, QueryEvent } from '../data/database.ts';
import type { ReplicaState } from '../data/replica-monitor.ts';
import type { Logger } from '../observability/logger.ts';
import { promName, SITE_METRICS, type SiteMetric, type SiteMetricsCollector } from './site-metrics.ts';
import { SlidingWindow } from '../observability/window.ts';

/** A finished request. `heapDelta`: its heap growth, on the requests sampled for it (one in HEAP_SAMPLE_EVERY). */
export interface RequestInfo {
  method: string;
  route: string;
  status: number;
  ms: number;
  requestId: string;
  heapDelta?: number;
}
export interface BackupResult {
  ok: boolean;
  at: Date;
  bytes?: number;
  durationMs?: number;
}

export interface MetricsDeps {
  db: Database;
  cacheStats: () => CacheStats;
  logger: Logger;
  slowQueryMs: number;
  slowRequestMs: number;
  /** Completion time of the newest completed backup in the store, read at scrape time. */
  lastGoodBackup?: () => Promise<Date | null>;
  /** Replica states from the replica monitor (lag, in use). */
  replicas?: () => ReplicaState[];
}

/**
 * The Prometheus registry of one sidecar process and the small recording API other modules
 * call: request timing (via the request observer), `rateLimited(zone)`, `backupFinished(...)`.
 * Values read from elsewhere (cache counters, pools, SQL counts) are collected at scrape time.
 */
export class Metrics {
  readonly registry = new Registry();
  /** Trailing 5-minute windows behind the plugin's per-period gauges. */
  readonly requests = new SlidingWindow();
  readonly queries = new SlidingWindow();
  readonly slowQueries = new SlidingWindow();
  private site: SiteMetricsCollector | null = null;
  private siteScrape: Promise<SiteMetric[]> | null = null;
  private lastBackupAt = 0;

  private readonly requestDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly requestMemory: Histogram<'method' | 'route'>;
  private readonly queryDuration: Histogram<'pool' | 'ok'>;
  private readonly queryTotals: Summary;
  private readonly slowQueryTotal: Counter<'pool'>;
  private readonly rateLimitTotal: Counter<'zone'>;
  private readonly backupRuns: Counter<'result'>;
  private readonly backupLastSuccess: Gauge;
  private readonly backupLastBytes: Gauge;
  private readonly backupLastDuration: Gauge;

  constructor(private readonly d: MetricsDeps) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    // Gauges named *_total break the exposition lint (promtool check metrics); the same numbers
    // are in nodejs_active_handles/requests/resources, by type.
    for (const n of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
      this.registry.removeSingleMetric(n);
    this.requestDuration = new Histogram({
      name: 'slbp_http_request_duration_seconds',
      help: 'Request duration by route template and status',
      registers,
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    this.requestMemory = new Histogram({
      name: 'slbp_http_request_heap_delta_bytes',
      help: 'Heap growth over one request (named transaction); negative when a GC ran',
      registers,
      labelNames: ['method', 'route'],
      buckets: [-1048576, 0, 65536, 262144, 1048576, 4194304, 16777216],
    });
    this.queryDuration = new Histogram({
      name: 'slbp_db_query_duration_seconds',
      help: 'Query duration measured by the sidecar, per pool',
      registers,
      labelNames: ['pool', 'ok'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
    // The plugin's `slbp_database_query_count` as the _count of a summary: the one form of a
    // *_count name that the exposition lint accepts. Cumulative: use rate() on it.
    this.queryTotals = new Summary({
      name: 'slbp_database_query',
      help: 'Queries run by this node since start (_count) and their total seconds (_sum)',
      registers,
      percentiles: [],
    });
    this.slowQueryTotal = new Counter({
      name: 'slbp_db_slow_queries_total',
      help: 'Queries slower than SLBP_SLOW_QUERY_MS',
      registers,
      labelNames: ['pool'],
    });
    this.rateLimitTotal = new Counter({
      name: 'slbp_rate_limit_rejections_total',
      help: 'Requests answered 429, per rate-limit zone',
      registers,
      labelNames: ['zone'],
    });
    this.backupRuns = new Counter({
      name: 'slbp_backup_runs_total',
      help: 'Finished backups by result',
      registers,
      labelNames: ['result'],
    });
    const lastGood = d.lastGoodBackup;
    const self = this;
    this.backupLastSuccess = new Gauge({
      name: 'slbp_backup_last_success_timestamp_seconds',
      help: 'Unix time of the newest completed backup in the backup store (0: none yet)',
      registers,
      // Read from the store at scrape time, so the value survives restarts and covers backups other nodes made.
      async collect() {
        if (!lastGood) return;
        const at = await lastGood().catch(() => null);
        if (at && at.getTime() / 1000 > self.lastBackupAt) {
          self.lastBackupAt = at.getTime() / 1000;
          this.set(self.lastBackupAt);
        }
      },
    });
    this.backupLastBytes = new Gauge({ name: 'slbp_backup_last_size_bytes', help: 'Size of the last successful backup', registers });
    this.backupLastDuration = new Gauge({
      name: 'slbp_backup_last_duration_seconds',
      help: 'Duration of the last finished backup',
      registers,
    });
    for (const r of ['success', 'failure']) this.backupRuns.inc({ result: r }, 0);
    this.rateLimitTotal.inc({ zone: 'general' }, 0);

    this.cacheCollectors();
    this.poolCollectors();
    d.db.on('query', (e: QueryEvent) => this.recordQuery(e));
  }

  private cacheCollectors(): void {
    const stats = this.d.cacheStats;
    const registers = [this.registry];
    new Counter({
      name: 'slbp_cache_hits_total',
      help: 'Cache hits per layer (l1 in-process, l2 Redis)',
      labelNames: ['layer'],
      registers,
      collect() {
        const s = stats();
        this.reset();
        this.inc({ layer: 'l1' }, s.l1.hits);
        this.inc({ layer: 'l2' }, s.l2.hits);
      },
    });
    new Counter({
      name: 'slbp_cache_misses_total',
      help: 'Cache misses per layer',
      labelNames: ['layer'],
      registers,
      collect() {
        const s = stats();
        this.reset();
        this.inc({ layer: 'l1' }, s.l1.misses);
        this.inc({ layer: 'l2' }, s.l2.misses);
      },
    });
    new Counter({
      name: 'slbp_cache_loads_total',
      help: 'Loads from the database after both layers missed',
      registers,
      collect() {
        this.reset();
        this.inc(stats().loads);
      },
    });
    new Counter({
      name: 'slbp_cache_invalidations_total',
      help: 'Cache invalidations applied on this node',
      registers,
      collect() {
        this.reset();
        this.inc(stats().invalidations);
      },
    });
    new Gauge({
      name: 'slbp_cache_l1_entries',
      help: 'Entries in the in-process cache',
      registers,
      collect() {
        this.set(stats().l1.entries);
      },
    });
  }

  private poolCollectors(): void {
    const db = this.d.db;
    const replicas = this.d.replicas;
    const registers = [this.registry];
    new Gauge({
      name: 'slbp_db_pool_connections',
      help: 'Connections of each pool by state (in use, free) and waiting requests',
      labelNames: ['pool', 'state'],
      registers,
      collect() {
        for (const p of db.stats()) {
          this.set({ pool: p.name, state: 'in_use' }, p.total - p.free);
          this.set({ pool: p.name, state: 'free' }, p.free);
          this.set({ pool: p.name, state: 'queued' }, p.queued);
        }
      },
    });
    new Gauge({
      name: 'slbp_db_pool_limit',
      help: 'Connection limit of each pool',
      labelNames: ['pool'],
      registers,
      collect() {
        for (const p of db.stats()) this.set({ pool: p.name }, p.limit);
      },
    });
    new Gauge({
      name: 'slbp_db_replica_lag_seconds',
      help: 'Seconds_Behind_Master of each read replica, from the replica monitor (absent without replicas)',
      labelNames: ['pool'],
      registers,
      collect() {
        this.reset();
        // Stopped or unreachable replication has no lag to report; "very far behind" is what it means for reads.
        for (const r of replicas?.() ?? []) if (r.checkedAt) this.set({ pool: r.name }, r.lagSeconds ?? 1e9);
      },
    });
    new Gauge({
      name: 'slbp_db_replica_in_use',
      help: 'Whether reads are sent to each replica (1) or it is skipped for lag or failure (0)',
      labelNames: ['pool'],
      registers,
      collect() {
        this.reset();
        for (const r of replicas?.() ?? []) this.set({ pool: r.name }, r.usable ? 1 : 0);
      },
    });
  }

  /** Wires the plugin's slbp_* gauges to a collector measured at scrape time. */
  attachSiteMetrics(site: SiteMetricsCollector): void {
    this.site = site;
    const self = this;
    for (const def of SITE_METRICS.filter((m) => !m.snapshotOnly)) {
      const key = promName(def);
      new Gauge({
        name: key,
        help: `${def.help} (${def.unit})`,
        registers: [this.registry],
        async collect() {
          const m = (await self.siteForScrape()).find((x) => x.category === def.category && x.name === def.name);
          this.reset();
          if (m) this.set(m.value);
        },
      });
    }
  }

  /** prom-client runs every collect() of a scrape concurrently: they share one measurement. */
  private siteForScrape(): Promise<SiteMetric[]> {
    this.siteScrape ??= this.collectSite().catch(() => []);
    return this.siteScrape;
  }

  /** The plugin's metrics right now (for snapshots and alerts). */
  collectSite(): Promise<SiteMetric[]> {
    return this.site ? this.site.collect() : Promise.resolve([]);
  }

  private recordQuery(e: QueryEvent): void {
    this.queryDuration.observe({ pool: e.pool, ok: e.ok ? 'true' : 'false' }, e.ms / 1000);
    this.queries.add(e.ms);
    this.queryTotals.observe(e.ms / 1000);
    if (e.ms >= this.d.slowQueryMs) {
      this.slowQueryTotal.inc({ pool: e.pool });
      this.slowQueries.add(e.ms);
    }
  }

  /** Request observer: records the duration per route template and logs slow requests at WARN. */
  observeRequest(r: RequestInfo): void {
    this.requestDuration.observe({ method: r.method, route: r.route, status: String(r.status) }, r.ms / 1000);
    this.requests.add(r.ms);
    if (r.heapDelta !== undefined) this.requestMemory.observe({ method: r.method, route: r.route }, r.heapDelta);
    if (r.ms >= this.d.slowRequestMs) {
      this.d.logger.warn('slow request', {
        request_id: r.requestId,
        transaction: `${r.method} ${r.route}`,
        status: r.status,
        duration_ms: Math.round(r.ms),
      });
    }
  }

  /** Call when a request is rejected with 429; `zone` is the rate-limit zone (general, auth, api_key, ...). */
  rateLimited(zone: string): void {
    this.rateLimitTotal.inc({ zone });
  }

  /** Call when a backup finishes (successful runs also move the last-success gauge at once). */
  backupFinished(r: BackupResult): void {
    this.backupRuns.inc({ result: r.ok ? 'success' : 'failure' });
    if (r.durationMs !== undefined) this.backupLastDuration.set(r.durationMs / 1000);
    if (!r.ok) return;
    const at = r.at.getTime() / 1000;
    if (at >= this.lastBackupAt) {
      this.lastBackupAt = at;
      this.backupLastSuccess.set(at);
      if (r.bytes !== undefined) this.backupLastBytes.set(r.bytes);
    }
  }

  /** The exposition text and its content type (Prometheus text format 0.0.4). */
  async expose(): Promise<{ body: string; contentType: string }> {
    // Measure first, so the cache and query counters below include this scrape's own lookups.
    this.siteScrape = this.collectSite().catch(() => []);
    await this.siteScrape;
    try {
      return { body: await this.registry.metrics(), contentType: this.registry.contentType };
    } finally {
      this.siteScrape = null;
    }
  }
}
