import os from 'node:os';
import { statfs } from 'node:fs/promises';
import v8 from 'node:v8';
import type { CacheService, CacheStats } from '../cache/cache-service.ts';
import { cacheKeys, cacheTags } from '../cache/keys.ts';
import type { Database } from '../data/database.ts';
import {
  billingCounts,
  businessCounts,
  databaseSizeBytes,
  liveConnections,
  siteCounts,
  type BillingCounts,
  type BusinessCounts,
} from '../data/read-models/monitoring-read-model.ts';
import type { Tables } from '../data/tables.ts';
import type { SlidingWindow } from '../observability/window.ts';

/** One of the plugin's metrics: `slbp_<category>_<name>` in Prometheus, `<category>.<name>` in alert rules. */
export interface SiteMetric {
  category: string;
  name: string;
  value: number;
  unit: string;
}

export interface SiteMetricDef {
  category: string;
  name: string;
  unit: string;
  help: string;
  snapshotOnly?: boolean;
}

/** The plugin's metric names (DATA.md), with the units its dashboard rows carry. */
export const SITE_METRICS: SiteMetricDef[] = [
  { category: 'system', name: 'memory_usage', unit: 'bytes', help: 'Resident set size of this sidecar process' },
  { category: 'system', name: 'memory_peak', unit: 'bytes', help: 'Peak resident set size of this process' },
  { category: 'system', name: 'memory_limit', unit: 'bytes', help: 'V8 heap size limit of this process' },
  { category: 'system', name: 'cpu_load', unit: 'percent', help: '1-minute load average as a percentage of the CPU count' },
  { category: 'system', name: 'disk_usage', unit: 'percent', help: 'Used space of the filesystem holding the data directory' },
  { category: 'database', name: 'database_size', unit: 'megabytes', help: 'Data and index size of the WordPress database' },
  {
    category: 'database',
    name: 'connections',
    unit: 'count',
    help: 'Live connections to the WordPress database (0 when it cannot be reached)',
  },
  {
    category: 'database',
    name: 'slow_queries',
    unit: 'count',
    help: 'Queries of this node slower than SLBP_SLOW_QUERY_MS in the last 5 minutes',
  },
  // Not a gauge in /metrics: there it is the _count of the slbp_database_query summary (see Metrics).
  { category: 'database', name: 'query_count', unit: 'count', help: 'Queries run by this node in the last 5 minutes', snapshotOnly: true },
  {
    category: 'performance',
    name: 'response_time',
    unit: 'milliseconds',
    help: 'Mean request duration on this node over the last 5 minutes',
  },
  {
    category: 'performance',
    name: 'cache_hit_ratio',
    unit: 'percent',
    help: 'Cache lookups answered by L1 or L2 since start (NaN before the first lookup)',
  },
  {
    category: 'performance',
    name: 'opcache_hit_ratio',
    unit: 'percent',
    help: 'Always 0: Node has no opcache; kept so plugin dashboards still resolve',
  },
  { category: 'business', name: 'transactions_24h', unit: 'count', help: 'Transactions created in the last 24 hours' },
  { category: 'business', name: 'active_subscriptions', unit: 'count', help: 'Subscriptions with status active' },
  { category: 'business', name: 'failed_transactions_1h', unit: 'count', help: 'Failed transactions created in the last hour' },
  { category: 'security', name: 'failed_api_requests_1h', unit: 'count', help: 'Logged API requests answered 401/403 in the last hour' },
  {
    category: 'security',
    name: 'security_events_24h',
    unit: 'count',
    help: 'Logged 401/403/429 API answers and rejected webhook signatures in the last 24 hours',
  },
  { category: 'background', name: 'queue_pending', unit: 'count', help: 'Background tasks waiting to run' },
  { category: 'background', name: 'queue_failed', unit: 'count', help: 'Background tasks that failed' },
];

export const promName = (d: { category: string; name: string }) => `slbp_${d.category}_${d.name}`;
export const dottedName = (d: { category: string; name: string }) => `${d.category}.${d.name}`;

/** Hits over lookups in percent; every lookup starts at L1, so L1 hits + misses is the total. */
export function cacheHitRatio(s: CacheStats): number {
  const lookups = s.l1.hits + s.l1.misses;
  if (lookups === 0) return Number.NaN;
  return Math.round(((s.l1.hits + s.l2.hits) / lookups) * 10000) / 100;
}

export interface SiteMetricsDeps {
  db: Database;
  tables: Tables;
  cache: () => CacheService;
  dataDir: string;
  businessCacheSec: number;
  requests: SlidingWindow;
  queries: SlidingWindow;
  slowQueries: SlidingWindow;
}

/** Measures the plugin's metrics: counts from SQL, the rest from this process and MariaDB. */
export class SiteMetricsCollector {
  constructor(private readonly d: SiteMetricsDeps) {}

  private business(): Promise<BusinessCounts> {
    const load = async (): Promise<BusinessCounts> => {
      const shards = this.d.db.shardQueryables();
      if (!shards.length) return businessCounts(this.d.db.read, this.d.tables);
      // With SLBP_SHARDS the billing counts are the shards' (summed); the main database's billing tables are not asked.
      const [site, parts] = await Promise.all([
        siteCounts(this.d.db.read, this.d.tables),
        Promise.all(shards.map((q) => billingCounts(q, this.d.tables))),
      ]);
      const sum = (k: keyof BillingCounts) => parts.reduce((n, p) => n + p[k], 0);
      return {
        ...site,
        transactions_24h: sum('transactions_24h'),
        active_subscriptions: sum('active_subscriptions'),
        failed_transactions_1h: sum('failed_transactions_1h'),
      };
    };
    if (this.d.businessCacheSec === 0) return load();
    return this.d.cache().wrap(cacheKeys.metricsBusiness(), load, {
      tags: [cacheTags.billing],
      ttlSec: this.d.businessCacheSec,
      l1TtlSec: this.d.businessCacheSec,
    });
  }

  private async disk(): Promise<number | null> {
    try {
      const s = await statfs(this.d.dataDir).catch(() => statfs('/'));
      const used = (s.blocks - s.bfree) * s.bsize;
      const usable = used + s.bavail * s.bsize;
      return usable ? Math.round((used / usable) * 10000) / 100 : null;
    } catch {
      return null;
    }
  }

  /** Every metric that could be measured now; a part that fails (database down) is left out. */
  async collect(): Promise<SiteMetric[]> {
    const [business, size, conns, disk] = await Promise.all([
      this.business().catch(() => null),
      databaseSizeBytes(this.d.db.read).catch(() => null),
      liveConnections(this.d.db.write).catch(() => 0),
      this.disk(),
    ]);
    const mem = process.memoryUsage();
    const req = this.d.requests.totals();
    const values: Record<string, number | null> = {
      'system.memory_usage': mem.rss,
      'system.memory_peak': Math.max(process.resourceUsage().maxRSS * 1024, mem.rss),
      'system.memory_limit': v8.getHeapStatistics().heap_size_limit,
      'system.cpu_load': Math.round((os.loadavg()[0]! / Math.max(1, os.cpus().length)) * 10000) / 100,
      'system.disk_usage': disk,
      'database.database_size': size === null ? null : Math.round((size / 1048576) * 100) / 100,
      'database.connections': conns,
      'database.slow_queries': this.d.slowQueries.totals().count,
      'database.query_count': this.d.queries.totals().count,
      'performance.response_time': req.count ? Math.round((req.sum / req.count) * 1000) / 1000 : 0,
      'performance.cache_hit_ratio': cacheHitRatio(this.d.cache().stats()),
      'performance.opcache_hit_ratio': 0,
      'business.transactions_24h': business?.transactions_24h ?? null,
      'business.active_subscriptions': business?.active_subscriptions ?? null,
      'business.failed_transactions_1h': business?.failed_transactions_1h ?? null,
      'security.failed_api_requests_1h': business?.failed_api_requests_1h ?? null,
      'security.security_events_24h': business?.security_events_24h ?? null,
      'background.queue_pending': business?.queue_pending ?? null,
      'background.queue_failed': business?.queue_failed ?? null,
    };
    const out: SiteMetric[] = [];
    for (const def of SITE_METRICS) {
      const v = values[dottedName(def)];
      if (v !== null && v !== undefined) out.push({ category: def.category, name: def.name, unit: def.unit, value: v });
    }
    return out;
  }
}
