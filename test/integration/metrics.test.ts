import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { Writable } from 'node:stream';
import winston from 'winston';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, expectRestError } from '../helpers/http.ts';
import { CountingCache, exposedNames, promtool, sample } from '../helpers/monitoring.ts';
import { startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';
import type { CacheService } from '../../src/cache/cache-service.ts';
import { HEAP_SAMPLE_EVERY } from '../../src/http/middleware/request-context.ts';

const TOKEN = 'metrics-token-for-tests';
const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };
const MONITORING = new URL('../../config/monitoring/', import.meta.url);

/** Names the plugin's monitoring files expect (DATA.md). */
const PLUGIN_NAMES = [
  'slbp_system_memory_usage',
  'slbp_system_memory_peak',
  'slbp_system_memory_limit',
  'slbp_system_cpu_load',
  'slbp_system_disk_usage',
  'slbp_database_database_size',
  'slbp_database_connections',
  'slbp_database_slow_queries',
  'slbp_database_query_count',
  'slbp_performance_response_time',
  'slbp_performance_cache_hit_ratio',
  'slbp_performance_opcache_hit_ratio',
  'slbp_business_transactions_24h',
  'slbp_business_active_subscriptions',
  'slbp_business_failed_transactions_1h',
  'slbp_security_failed_api_requests_1h',
  'slbp_security_security_events_24h',
  'slbp_background_queue_pending',
  'slbp_background_queue_failed',
];

/** A winston transport keeping the JSON log lines it receives. */
function capture(): { transport: winston.transport; lines: Record<string, any>[] } {
  const lines: Record<string, any>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { transport: new winston.transports.Stream({ stream, level: 'warn' }), lines };
}

/**
 * Gives the sidecar's cache other behaviour for a while (the monitoring reads the cache it was
 * built with); the returned function puts the cache's own methods back.
 */
function standIn(cache: CacheService, methods: Partial<Pick<CacheService, 'wrap' | 'peek' | 'stats'>>): () => void {
  const target = cache as unknown as Record<string, unknown>;
  const own = Object.fromEntries(Object.keys(methods).map((k) => [k, Object.getOwnPropertyDescriptor(target, k)]));
  Object.assign(target, methods);
  return () => {
    for (const [k, d] of Object.entries(own)) {
      if (d) Object.defineProperty(target, k, d);
      else delete target[k];
    }
  };
}

describe('/metrics: Prometheus exposition (real MariaDB and Redis)', () => {
  let db: TestDb;
  let sc: InProcessSidecar;
  const scrape = async () => {
    const res = await call(`${sc.base}/metrics`, auth);
    expect(res.status, res.text.slice(0, 200)).to.equal(200);
    return res.text;
  };

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    sc = await startSidecar(db, { env: { SLBP_METRICS_TOKEN: TOKEN, SLBP_SLOW_QUERY_MS: '400', SLBP_SLOW_REQUEST_MS: '1000' } });
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  it('answers Prometheus text that promtool accepts, with every plugin metric name', async () => {
    await call(`${sc.base}/live`);
    const res = await call(`${sc.base}/metrics`, auth);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
    const check = await promtool(['check', 'metrics'], res.text);
    expect(check.code, check.output).to.equal(0);
    const names = exposedNames(res.text);
    expect(PLUGIN_NAMES.filter((n) => !names.has(n))).to.deep.equal([]);
    expect(sample(res.text, 'slbp_http_request_duration_seconds_count', 'route="/live",status="200"')).to.be.at.least(1);
    expect(sample(res.text, 'process_cpu_seconds_total')).to.be.a('number');
    expect(sample(res.text, 'slbp_performance_opcache_hit_ratio')).to.equal(0);
  });

  it('every request is timed; one request in HEAP_SAMPLE_EVERY has its heap delta measured', async () => {
    const before = await scrape();
    const count = (text: string, name: string) => sample(text, name, 'method="GET",route="/ready"') ?? 0;
    const n = HEAP_SAMPLE_EVERY * 4;
    // With a query string /ready goes through the framework (the light lane answers it bare, unmeasured).
    for (let i = 0; i < n; i++) expect((await call(`${sc.base}/ready?via=framework`)).status).to.equal(200);
    const after = await scrape();
    const timed = count(after, 'slbp_http_request_duration_seconds_count') - count(before, 'slbp_http_request_duration_seconds_count');
    const measured = count(after, 'slbp_http_request_heap_delta_bytes_count') - count(before, 'slbp_http_request_heap_delta_bytes_count');
    expect(timed).to.equal(n);
    // The scrapes are requests too, so the sample can fall one either way of n / HEAP_SAMPLE_EVERY.
    expect(measured).to.be.within(n / HEAP_SAMPLE_EVERY - 1, n / HEAP_SAMPLE_EVERY + 1);
  });

  it('refuses callers without the metrics token or a monitoring address', async () => {
    expectRestError(await call(`${sc.base}/metrics`), 'rest_forbidden', 401);
    // A wrong bearer is taken for an unknown API key: still 401, and no metrics.
    const wrong = await call(`${sc.base}/metrics`, { headers: { Authorization: 'Bearer nope' } });
    expect(wrong.status).to.equal(401);
    expect(wrong.text).not.to.include('slbp_system_memory_usage');
  });

  it('measures the business counts and the database from SQL', async () => {
    const text = await scrape();
    const [[active]] = await db.pool.query<any>(`SELECT COUNT(*) AS n FROM ${db.prefix}slbp_subscriptions WHERE status = 'active'`);
    const [[tx]] = await db.pool.query<any>(
      `SELECT COUNT(*) AS n FROM ${db.prefix}slbp_transactions WHERE created_at >= UTC_TIMESTAMP() - INTERVAL 24 HOUR`,
    );
    expect(sample(text, 'slbp_business_active_subscriptions')).to.equal(Number(active.n)).and.above(0);
    expect(sample(text, 'slbp_business_transactions_24h')).to.equal(Number(tx.n));
    // The plugin's connection count was always 0; the sidecar's own pool alone is one connection.
    expect(sample(text, 'slbp_database_connections')).to.be.at.least(1);
    expect(sample(text, 'slbp_database_database_size')).to.be.above(0);
    expect(sample(text, 'slbp_db_pool_limit', 'pool="writer"')).to.equal(10);
  });

  it('counts a slow query measured by the sidecar', async () => {
    const before = await scrape();
    const slow0 = sample(before, 'slbp_database_slow_queries')!;
    const total0 = sample(before, 'slbp_db_slow_queries_total', 'pool="writer"') ?? 0;
    const queries0 = sample(before, 'slbp_database_query_count')!;
    await sc.container.db.read.query('SELECT SLEEP(0.6)');
    const after = await scrape();
    expect(sample(after, 'slbp_database_slow_queries')).to.be.at.least(slow0 + 1);
    expect(sample(after, 'slbp_db_slow_queries_total', 'pool="writer"')).to.be.at.least(total0 + 1);
    expect(sample(after, 'slbp_database_query_count')).to.be.above(queries0);
  });

  it('reports the cache hit ratio from the cache counters as lookups hit', async () => {
    const counting = new CountingCache();
    const restore = standIn(sc.container.cache, {
      wrap: (k, load) => counting.wrap(k, load),
      peek: (k) => counting.peek(k),
      stats: () => counting.stats(),
    });
    try {
      // Each scrape looks the business counts up in the cache: the first misses, the next ones hit.
      expect(sample(await scrape(), 'slbp_performance_cache_hit_ratio')).to.equal(0);
      const second = await scrape();
      expect(sample(second, 'slbp_performance_cache_hit_ratio')).to.equal(50);
      expect(sample(second, 'slbp_cache_hits_total', 'layer="l1"')).to.equal(1);
      expect(sample(second, 'slbp_cache_misses_total', 'layer="l1"')).to.equal(1);
      expect(sample(await scrape(), 'slbp_performance_cache_hit_ratio')).to.equal(66.67);
    } finally {
      restore();
    }
  });

  it('exports rate-limit rejections and backup results reported by other modules', async () => {
    const m = sc.container.monitoring.metrics;
    m.rateLimited('auth');
    m.rateLimited('auth');
    m.backupFinished({ ok: true, at: new Date('2026-11-26T03:00:00Z'), bytes: 12345, durationMs: 1500 });
    m.backupFinished({ ok: false, at: new Date('2026-11-26T04:00:00Z'), durationMs: 200 });
    const text = await scrape();
    expect(sample(text, 'slbp_rate_limit_rejections_total', 'zone="auth"')).to.equal(2);
    expect(sample(text, 'slbp_backup_runs_total', 'result="success"')).to.equal(1);
    expect(sample(text, 'slbp_backup_runs_total', 'result="failure"')).to.equal(1);
    expect(sample(text, 'slbp_backup_last_success_timestamp_seconds')).to.equal(Date.parse('2026-11-26T03:00:00Z') / 1000);
    expect(sample(text, 'slbp_backup_last_size_bytes')).to.equal(12345);
  });

  it('logs a slow request at WARN with its request id and transaction name', async () => {
    const { transport, lines } = capture();
    sc.container.logger.add(transport);
    // The logger's level is `error` in tests; let warnings through for this check.
    const level = sc.container.logger.level;
    sc.container.logger.level = 'warn';
    try {
      expect((await call(`${sc.base}/live`)).status).to.equal(200);
      const fast = lines.filter((l) => l.message === 'slow request');
      expect(fast).to.deep.equal([]);
      // A cache whose load is slowed makes the metrics route slow for real.
      const restore = standIn(sc.container.cache, {
        wrap: async (_k, load) => {
          await new Promise((r) => setTimeout(r, 1100));
          return load();
        },
      });
      let slowRes;
      try {
        slowRes = await call(`${sc.base}/metrics`, auth);
      } finally {
        restore();
      }
      const slow = lines.filter((l) => l.message === 'slow request');
      expect(slow).to.have.length(1);
      expect(slow[0]!.request_id).to.equal(slowRes.headers.get('x-request-id'));
      expect(slow[0]!.transaction).to.equal('GET /metrics');
      expect(slow[0]!.duration_ms).to.be.at.least(1000);
    } finally {
      sc.container.logger.level = level;
      sc.container.logger.remove(transport);
    }
  });

  it('exports every metric name used by the alert rules and the Grafana dashboard', async () => {
    const rules = readFileSync(new URL('slbp-alerts.rules.yml', MONITORING), 'utf8');
    const dashboard = readFileSync(new URL('grafana-dashboard.json', MONITORING), 'utf8');
    expect((await promtool(['check', 'rules', new URL('slbp-alerts.rules.yml', MONITORING).pathname])).code).to.equal(0);
    const exprs = [
      ...[...rules.matchAll(/expr: (\|\n(?:\s{10,}.*\n)+|.*)/g)].map((m) => m[1]!),
      ...(JSON.parse(dashboard).panels as { targets: { expr: string }[] }[]).flatMap((p) => p.targets.map((t) => t.expr)),
    ];
    const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\b((?:slbp|nodejs|process)_[a-z0-9_]+)/g)].map((m) => m[1]!)));
    expect(used.size).to.be.above(25);
    // Histogram series are exposed as <name>_bucket/_count/_sum; the family name is what /metrics lists.
    const names = exposedNames(await scrape());
    const missing = [...used].filter((n) => !names.has(n));
    expect(missing).to.deep.equal([]);
  });
});

describe('/metrics with the layered cache (real MariaDB and Redis)', () => {
  let db: TestDb;
  let sc: InProcessSidecar;
  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    sc = await startSidecar(db, { env: { SLBP_METRICS_TOKEN: TOKEN } });
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  it('the hit ratio and per-layer hits rise as repeated scrapes are answered from the cache', async () => {
    const first = (await call(`${sc.base}/metrics`, auth)).text;
    const hits0 = sample(first, 'slbp_cache_hits_total', 'layer="l1"')!;
    const ratio0 = sample(first, 'slbp_performance_cache_hit_ratio')!;
    await call(`${sc.base}/metrics`, auth);
    const third = (await call(`${sc.base}/metrics`, auth)).text;
    expect(sample(third, 'slbp_cache_hits_total', 'layer="l1"')).to.be.at.least(hits0 + 2);
    expect(sample(third, 'slbp_performance_cache_hit_ratio')).to.be.above(Number.isNaN(ratio0) ? -1 : ratio0);
  });
});
