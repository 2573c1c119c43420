import os from 'node:os';
import type { Service } from './lifecycle.ts';
import path from 'node:path';
import { createHmac, randomBytes } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Config } from './config/schema.ts';
import { projectRoot } from './config/load.ts';
import { RedisHandle } from './cache/redis.ts';
import { NamespaceGuard } from './cache/site-namespace.ts';
import { buildCache } from './cache/build-cache.ts';
import type { CacheService } from './cache/cache-service.ts';
import { OPTIONS_TAG } from './cache/keys.ts';
import { Database } from './data/database.ts';
import { OptionsRepository } from './data/options-repository.ts';
import { DatabaseRouter } from './data/database-router.ts';
import { ReplicaMonitor } from './data/replica-monitor.ts';
import {
  countStuckTasks,
  findMissingTables,
  guessTablePrefixes,
  probeFilesystem,
  serverIdentity,
  serverVersion,
  shardsDetail,
} from './data/probes.ts';
import { createTables, type Tables } from './data/tables.ts';
import { HealthService, type CheckResult } from './domain/health-service.ts';
import { doctorContext, doctorDetail } from './doctor/doctor.ts';
import { pluginCronCheck, scheduledPluginCronHooks } from './data/plugin-cron.ts';
import { buildPayments, type Payments } from './domain/payments/payments-module.ts';
import { UserDirectory } from './domain/user-directory.ts';
import { UsersRepository } from './data/users-repository.ts';
import { ApiKeysRepository } from './data/api-keys-repository.ts';
import { NonceStore } from './cache/nonce-store.ts';
import { shimIdentity } from './http/identity/shim-signature.ts';
import { apiKeyIdentity } from './http/identity/api-key.ts';
import { accessTokenIdentity } from './http/identity/access-token.ts';
import { AccessTokens, deriveTokenKey } from './domain/auth/access-tokens.ts';
import { AuthService } from './domain/auth/auth-service.ts';
import { LoginLockout } from './domain/auth/login-lockout.ts';
import { PasswordWork } from './domain/auth/password-work.ts';
import { Revocations } from './domain/auth/revocations.ts';
import { DatabaseSessions, RedisSessions, SessionStore } from './domain/auth/session-store.ts';
import { SessionsRepository } from './data/sessions-repository.ts';
import { rateLimit, type RateLimiter, type RateLimitObserver } from './http/middleware/rate-limit.ts';
import { SiteSettings } from './domain/site-settings.ts';
import { siteIdentity, type SiteIdentity } from './domain/site-identity.ts';
import { AddressList } from './http/client-ip.ts';
import type { IdentityResolver } from './http/middleware/identity.ts';
import type { RequestObserver } from './http/middleware/request-context.ts';
import type { AppState, RouteSpec } from './http/route.ts';
import { allRoutes } from './http/routes/index.ts';
import { createBillingModule, type BillingModule } from './domain/billing/module.ts';
import { buildBackupModule, type BackupModule } from './features/backup.ts';
import type { BackupObserver } from './backup/backup-service.ts';
import { LatencyWindow } from './observability/latency.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { CronJob } from './jobs/cron-job.ts';
import { buildMonitoring, type Monitoring } from './features/monitoring.ts';
import { ApiKeyAdmin } from './domain/api-key-admin.ts';
import { PrivacyService } from './domain/privacy-service.ts';
import { PersonalDataRepository } from './data/personal-data-repository.ts';

export interface Container {
  config: Config;
  logger: Logger;
  instanceId: string;
  /** This site (database name + table prefix): in every Redis key and backup path (docs/decisions/0024-site-identity.md). */
  site: SiteIdentity;
  dataDir: string;
  tables: Tables;
  db: Database;
  /** Replication state of the readers; `replicaLag()` feeds /metrics. */
  replicas: ReplicaMonitor;
  /** Chooses the database of every read and write: replicas, read-your-writes (`forRead(caller)` after `noteWrite(caller)` sees the primary), SLBP_SHARDS. */
  databases: DatabaseRouter;
  redis: RedisHandle | null;
  /** Keeps Redis use to this site's namespace (null without Redis). */
  namespaceGuard: NamespaceGuard | null;
  cache: CacheService;
  options: OptionsRepository;
  users: UsersRepository;
  apiKeys: ApiKeysRepository;
  userDirectory: UserDirectory;
  auth: AuthService;
  sessions: SessionStore;
  settings: SiteSettings;
  health: HealthService;
  billing: BillingModule;
  /** Lemon Squeezy webhooks, enrolment, outgoing webhooks, the task queue and its jobs. */
  payments: Payments;
  /** API keys for administrators (Billing → API keys, the api-keys CLI). */
  apiKeyAdmin: ApiKeyAdmin;
  /** WordPress's personal data exporter and eraser for the plugin's tables. */
  privacy: PrivacyService;
  latency: LatencyWindow;
  trustedProxies: AddressList;
  identityResolvers: IdentityResolver[];
  requestObservers: RequestObserver[];
  /** Told the zone of every request the rate limiter rejects (metrics count them). */
  rateLimitObservers: RateLimitObserver[];
  /** The rate limits (null when SLBP_RATE_LIMIT_ENABLED is off); identity reports refused credentials to it. */
  rateLimiter: RateLimiter | null;
  middleware: Middleware<AppState>[];
  services: Service[];
  routes: RouteSpec[];
  /** Prometheus metrics, request timing, dashboard snapshots and alerts. */
  monitoring: Monitoring;
  /** Told about every backup attempt (metrics hook in here). */
  backupObservers: BackupObserver[];
  backup: BackupModule;
  diagnostics(): Promise<{ system_info: Record<string, unknown>; performance_metrics: Record<string, unknown> }>;
  /** Loads wp_options and starts background services (jobs only when config.jobs.enabled). */
  start(): Promise<void>;
  /** Stops services, then closes Redis and the pools. */
  close(): Promise<void>;
}

/** The composition root: builds pools, Redis, repositories, services and routes once. */
export function buildContainer(config: Config, logger?: Logger): Container {
  // Opaque: /health, /ready and /live show it to anyone, so it names no host and no pid (the
  // administrators' /health/detailed gives both, and the logs carry this id).
  const instanceId = `slbp-${randomBytes(6).toString('hex')}`;
  const log = logger ?? createLogger(config.log, { instance_id: instanceId });
  const dataDir = path.resolve(projectRoot, config.server.dataDir);
  const tables = createTables(config.db.tablePrefix);
  const db = new Database(config.db);
  const site = siteIdentity(config.db.name, config.db.tablePrefix);
  const redis = config.redis.enabled ? new RedisHandle(config.redis, site.key, log) : null;
  const namespaceGuard = redis
    ? new NamespaceGuard(
        redis,
        site,
        () => serverIdentity(db.write),
        instanceId,
        () => settings.siteUrl || null,
        log,
      )
    : null;
  const options = new OptionsRepository(tables);
  const { cache, bus, detail: cacheDetail } = buildCache(config.cache, redis, () => settings.performance.cache_expiration, instanceId, log);
  const settings = new SiteSettings((names) => options.getMany(db.read, names), tables.userRolesOption, log);
  cache.onDrop.push((req) => {
    if (req.all || req.tags?.includes(OPTIONS_TAG)) {
      settings
        .reload()
        .catch((err) =>
          log.warn('re-reading wp_options after an invalidation failed; using the last values', { error: (err as Error).message }),
        );
    }
  });
  const latency = new LatencyWindow();
  let mariadbVersion: string | null = null;
  // The schedule is a wp_options row: re-read it as often as the options (SLBP_OPTIONS_REFRESH_MS), not
  // on every /ready a balancer sends; WordPress's cron array can be large.
  let cronMemo: { at: number; value: Promise<CheckResult> } | null = null;
  const pluginCron = (): Promise<CheckResult> => {
    if (!cronMemo || Date.now() - cronMemo.at > config.options.refreshIntervalMs) {
      const value = scheduledPluginCronHooks(db.write, tables).then(pluginCronCheck);
      cronMemo = { at: Date.now(), value };
      value.catch(() => {
        if (cronMemo?.value === value) cronMemo = null;
      });
    }
    return cronMemo.value;
  };

  const health = new HealthService(
    {
      database: () => db.ping(config.db.healthTimeoutMs),
      redis: redis ? { ping: () => redis.ping(), describe: () => redis.describe(), cluster: redis.isCluster } : null,
      filesystem: () => probeFilesystem(path.join(dataDir, 'tmp')),
      missingTables: () => findMissingTables(db.write, tables),
      prefixGuess: () => guessTablePrefixes(db.write, tables),
      pluginCron: () => pluginCron(),
    },
    instanceId,
    config.version,
    () => settings.siteId,
  );
  health.registerDetail('database_pool', () => {
    const pools = db.stats();
    return { healthy: pools.every((p) => p.queued < config.db.queueLimit), message: 'Connection pools', pools };
  });
  health.registerDetail('cache_layers', cacheDetail);
  health.registerDetail('nodes', async () => {
    const self = { instance_id: instanceId, hostname: os.hostname(), pid: process.pid, uptime: Math.floor(process.uptime()) };
    if (!bus) return { healthy: true, message: 'Redis disabled: this node cannot see the others', listening: null, this_node: self };
    const listening = await bus.listeners().catch(() => null);
    return {
      healthy: listening !== null,
      message:
        listening === null
          ? 'Redis unreachable: the other nodes cannot be counted'
          : `${listening} node(s) listening on the cache invalidation bus`,
      listening,
      this_node: self,
    };
  });
  health.registerDetail('plugin_cron', pluginCron);
  health.registerDetail(
    'site_identity',
    () =>
      namespaceGuard?.detail() ?? {
        healthy: true,
        message: 'Redis disabled: nothing shared in Redis',
        site_key: site.key,
        database: site.database,
        table_prefix: site.tablePrefix,
        redis_namespace: null,
        namespace_state: 'disabled',
      },
  );
  const replicas = new ReplicaMonitor(
    db,
    { maxLagSec: config.db.replicaMaxLagSec, intervalMs: 1000, timeoutMs: config.db.healthTimeoutMs },
    log,
  );
  health.registerDetail('replicas', () => replicas.detail());
  const databases = new DatabaseRouter(db, redis, config.db.readYourWritesMs, log);
  health.registerDetail('background_processing', async () => {
    const stuck = await countStuckTasks(db.read, tables, 900);
    return {
      healthy: stuck === 0,
      message: stuck ? `${stuck} task(s) stuck in processing` : 'Background processing working normally',
      stuck_tasks: stuck,
    };
  });

  const users = new UsersRepository(tables);
  const apiKeys = new ApiKeysRepository(tables);
  const tokenKey = deriveTokenKey(config.security.sidecarSecret, config.wpSalts);
  if (!tokenKey.shared)
    log.warn('neither SLBP_SIDECAR_SECRET nor wp-config salts are set: access tokens only work on the node that issued them');
  // Bound to the site: stores (or a staging copy) sharing a secret or salts never accept each other's tokens.
  const tokens = new AccessTokens(
    createHmac('sha256', tokenKey.key).update(`site:${site.key}`).digest(),
    config.security.accessTokenTtlSec,
  );
  const userDirectory = new UserDirectory(users, db.read, settings, cache, tables.capabilitiesMeta, (hash) => tokens.stamp(hash));
  const nonces = new NonceStore(redis, 2 * 60 + 60);
  const billing = createBillingModule({ config, tables, db, databases, cache, settings, users });
  if (databases.sharded) {
    // Billing reads and writes use the shards; backups do not (docs/decisions/0019-shard-writes.md).
    log.warn('SLBP_SHARDS is set: backups cover the main database only, not the billing shards; back the shards up separately', {
      shards: config.db.shards.length,
    });
    health.registerDetail('shards', shardsDetail(databases.all(), tables));
  }
  const backupObservers: BackupObserver[] = [];
  const backup = buildBackupModule({
    config,
    dataDir,
    db,
    tables,
    options,
    settings,
    redis,
    logger: log,
    instanceId,
    site,
    observers: backupObservers,
  });
  health.registerDetail('backups', async () => {
    const { age_seconds, last_backup_id } = await backup.backups.lastSuccessAge();
    const cfg = backup.settings.get();
    // Overdue = no completed backup within twice the schedule's period (daily for cron schedules).
    const periodS = (cfg.schedule === 'weekly' ? 7 : cfg.schedule === 'monthly' ? 31 : 1) * 86_400;
    const healthy = !cfg.enabled || (age_seconds !== null && age_seconds <= 2 * periodS);
    return {
      healthy,
      message: age_seconds === null ? 'No completed backup yet' : `Last successful backup ${age_seconds} s ago`,
      last_backup_age_seconds: age_seconds,
      last_backup_id,
      schedule: cfg.enabled ? cfg.schedule : 'disabled',
    };
  });
  const payments = buildPayments({ db, tables, cache, settings, logger: log, dataDir, siteKey: site.key, billingDbs: databases });
  const configuredTokens = new Set([config.security.metricsToken, config.security.healthToken].filter(Boolean));
  const sessionsRepo = new SessionsRepository(tables);
  const sessions = new SessionStore(
    { redis: new RedisSessions(redis), database: new DatabaseSessions(sessionsRepo, db.write) },
    config.security.sessionHandler,
    () => settings.sessionHandler,
  );
  const revocations = new Revocations(() => sessions.current, config.security.refreshTokenTtlSec, log);
  const auth = new AuthService({
    users,
    read: db.read,
    write: db.write,
    directory: userDirectory,
    tokens,
    sessions,
    revocations,
    lockout: new LoginLockout(redis),
    passwords: new PasswordWork(() => users.passwordHashPrefixes(db.read), log),
    refreshTtlSec: config.security.refreshTokenTtlSec,
    logger: log,
  });
  const rateLimitObservers: RateLimitObserver[] = [];
  const rateLimiter = config.security.rateLimitEnabled
    ? rateLimit({
        redis,
        routes: () => c.routes,
        generalPerMinute: () => settings.performance.rate_limit_general,
        observers: rateLimitObservers,
        logger: log,
      })
    : null;

  const c: Container = {
    config,
    logger: log,
    instanceId,
    site,
    dataDir,
    tables,
    db,
    replicas,
    databases,
    redis,
    namespaceGuard,
    options,
    cache,
    users,
    apiKeys,
    userDirectory,
    auth,
    sessions,
    settings,
    health,
    billing,
    latency,
    trustedProxies: new AddressList(config.server.trustedProxies),
    identityResolvers: [
      shimIdentity(config.security.sidecarSecret, nonces, userDirectory),
      accessTokenIdentity(tokens, userDirectory, revocations),
      apiKeyIdentity(apiKeys, db.read, db.write, userDirectory, (v) => configuredTokens.has(v), log),
    ],
    requestObservers: [(r) => latency.record(r.ms)],
    payments,
    apiKeyAdmin: new ApiKeyAdmin(apiKeys, users, db),
    privacy: new PrivacyService(new PersonalDataRepository(tables), users, databases, db, cache, path.join(dataDir, 'exports'), log),
    rateLimitObservers,
    rateLimiter,
    middleware: rateLimiter ? [rateLimiter.middleware] : [],
    services: [
      ...(bus ? [bus] : []),
      revocations,
      replicas,
      // Recovery runs on every node at start (jobs or not): a crash leaves no partial backup behind.
      {
        name: 'backups',
        start: async () => {
          await backup.backups.recover();
        },
        stop: () => backup.maintenance.close(),
      },
      ...(config.jobs.enabled ? [backup.scheduler] : []),
    ],
    routes: [],
    monitoring: undefined as unknown as Monitoring,
    backupObservers,
    backup,
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
      // Before anything uses Redis: until the namespace is claimed, Redis counts as unavailable.
      await namespaceGuard?.start(Math.min(config.redis.connectTimeoutMs, 2000));
      for (const s of c.services) await s.start?.();
    },
    async close() {
      settings.stop();
      namespaceGuard?.stop();
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
  if (config.jobs.enabled) {
    // Expired rows in wp_slbp_sessions are never read back; prune them hourly (Redis expires its own).
    c.services.push(new CronJob('session-purge', '17 * * * *', () => sessionsRepo.purgeExpired(db.write), log));
  }
  c.monitoring = buildMonitoring(c);
  // `slbp doctor`'s checks, on this node's own pools and settings (run at most once a minute).
  health.registerDetail(
    'doctor',
    doctorDetail(() => doctorContext(c)),
  );
  c.routes = allRoutes(c);
  // Outgoing webhooks are sent from every node; the queue worker and the expiry schedule run only where jobs are on.
  c.services.push(
    { name: 'outgoing-webhooks', stop: () => payments.dispatcher.stop() },
    ...(config.jobs.enabled ? [payments.queue, payments.expiryScheduler] : []),
  );
  return c;
}
