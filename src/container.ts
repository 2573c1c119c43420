import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Config } from './config/schema.ts';
import { projectRoot } from './config/load.ts';
import { RedisHandle } from './cache/redis.ts';
import { PassthroughCache, type CacheService } from './cache/cache-service.ts';
import { Database } from './data/database.ts';
import { OptionsRepository } from './data/options-repository.ts';
import { countStuckTasks, findMissingTables, probeFilesystem, serverVersion } from './data/probes.ts';
import { createTables, type Tables } from './data/tables.ts';
import { HealthService } from './domain/health-service.ts';
import { buildPayments, type Payments } from './domain/payments/payments-module.ts';
import { UserDirectory } from './domain/user-directory.ts';
import { UsersRepository } from './data/users-repository.ts';
import { ApiKeysRepository } from './data/api-keys-repository.ts';
import { NonceStore } from './cache/nonce-store.ts';
import { shimIdentity } from './http/identity/shim-signature.ts';
import { apiKeyIdentity } from './http/identity/api-key.ts';
import { SiteSettings } from './domain/site-settings.ts';
import { AddressList } from './http/client-ip.ts';
import type { IdentityResolver } from './http/middleware/identity.ts';
import type { RequestObserver } from './http/middleware/request-context.ts';
import type { AppState, RouteSpec } from './http/route.ts';
import { allRoutes } from './http/routes/index.ts';
import { LatencyWindow } from './observability/latency.ts';
import { createLogger, type Logger } from './observability/logger.ts';

/** Something with a lifecycle the container starts after listening and stops on shutdown. */
export interface Service { name: string; start?(): Promise<void> | void; stop(): Promise<void> | void }

export interface Container {
  config: Config;
  logger: Logger;
  instanceId: string;
  dataDir: string;
  tables: Tables;
  db: Database;
  redis: RedisHandle | null;
  cache: CacheService;
  options: OptionsRepository;
  users: UsersRepository;
  apiKeys: ApiKeysRepository;
  userDirectory: UserDirectory;
  settings: SiteSettings;
  health: HealthService;
  /** Lemon Squeezy webhooks, enrolment, outgoing webhooks, the task queue and its jobs. */
  payments: Payments;
  latency: LatencyWindow;
  trustedProxies: AddressList;
  identityResolvers: IdentityResolver[];
  requestObservers: RequestObserver[];
  middleware: Middleware<AppState>[];
  services: Service[];
  routes: RouteSpec[];
  diagnostics(): Promise<{ system_info: Record<string, unknown>; performance_metrics: Record<string, unknown> }>;
  /** Loads wp_options and starts background services (jobs only when config.jobs.enabled). */
  start(): Promise<void>;
  /** Stops services, then closes Redis and the pools. */
  close(): Promise<void>;
}

/** The composition root: builds pools, Redis, repositories, services and routes once. */
export function buildContainer(config: Config, logger?: Logger): Container {
  const instanceId = `slbp-${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const log = logger ?? createLogger(config.log, { instance_id: instanceId });
  const dataDir = path.resolve(projectRoot, config.server.dataDir);
  const tables = createTables(config.db.tablePrefix);
  const db = new Database(config.db);
  const redis = config.redis.enabled ? new RedisHandle(config.redis, log) : null;
  const options = new OptionsRepository(tables);
  const settings = new SiteSettings((names) => options.getMany(db.read, names), tables.userRolesOption, log);
  const latency = new LatencyWindow();
  let mariadbVersion: string | null = null;

  const health = new HealthService(
    {
      database: () => db.ping(config.db.healthTimeoutMs),
      redis: redis ? { ping: () => redis.ping(), describe: () => redis.describe(), cluster: redis.isCluster } : null,
      filesystem: () => probeFilesystem(path.join(dataDir, 'tmp')),
      missingTables: () => findMissingTables(db.write, tables),
    },
    instanceId,
    config.version,
    () => settings.siteId,
  );
  health.registerDetail('database_pool', () => {
    const pools = db.stats();
    return { healthy: pools.every((p) => p.queued < config.db.queueLimit), message: 'Connection pools', pools };
  });
  health.registerDetail('background_processing', async () => {
    const stuck = await countStuckTasks(db.read, tables, 900);
    return { healthy: stuck === 0, message: stuck ? `${stuck} task(s) stuck in processing` : 'Background processing working normally', stuck_tasks: stuck };
  });

  const cache: CacheService = new PassthroughCache();
  const users = new UsersRepository(tables);
  const apiKeys = new ApiKeysRepository(tables);
  const userDirectory = new UserDirectory(users, db.read, settings, cache, tables.capabilitiesMeta);
  const nonces = new NonceStore(redis, 2 * 60 + 60);
  const payments = buildPayments({ db, tables, cache, settings, logger: log, dataDir });
  const configuredTokens = new Set([config.security.metricsToken, config.security.healthToken].filter(Boolean));

  const c: Container = {
    config, logger: log, instanceId, dataDir, tables, db, redis, options, cache, users, apiKeys, userDirectory, settings, health, latency,
    trustedProxies: new AddressList(config.server.trustedProxies),
    identityResolvers: [
      shimIdentity(config.security.sidecarSecret, nonces, userDirectory),
      apiKeyIdentity(apiKeys, db.read, db.write, userDirectory, (v) => configuredTokens.has(v), log),
    ],
    requestObservers: [(r) => latency.record(r.ms)],
    payments,
    middleware: [],
    services: [],
    routes: [],
    async diagnostics() {
      if (!mariadbVersion) mariadbVersion = await serverVersion(db.read).catch(() => null);
      const mem = process.memoryUsage();
      const res = process.resourceUsage();
      return {
        system_info: {
          node_version: process.version,
          mariadb_version: mariadbVersion,
          sidecar_version: config.version,
          platform: `${os.type()} ${os.release()} ${os.arch()}`,
          hostname: os.hostname(),
          pid: process.pid,
          memory_usage: mem.rss,
          heap_used: mem.heapUsed,
          peak_memory: res.maxRSS * 1024,
          uptime: Math.floor(process.uptime()),
        },
        performance_metrics: {
          response_time: latency.percentiles(),
          event_loop_lag_ms: latency.eventLoopLag(),
          load_average: health.systemLoad(),
          cpu_count: os.cpus().length,
        },
      };
    },
    async start() {
      try {
        await settings.refresh();
      } catch (err) {
        log.warn('could not read wp_options at start; will retry', { error: (err as Error).message });
      }
      settings.start(config.options.refreshIntervalMs);
      for (const s of c.services) await s.start?.();
    },
    async close() {
      settings.stop();
      for (const s of [...c.services].reverse()) {
        try {
          await s.stop();
        } catch (err) {
          log.warn('service did not stop cleanly', { service: s.name, error: (err as Error).message });
        }
      }
      latency.stop();
      await redis?.close();
      await db.close();
    },
  };
  c.routes = allRoutes(c);
  // Outgoing webhooks are sent from every node; the queue worker and the expiry schedule run only where jobs are on.
  c.services.push({ name: 'outgoing-webhooks', stop: () => payments.dispatcher.stop() }, ...(config.jobs.enabled ? [payments.queue, payments.expiryScheduler] : []));
  return c;
}
