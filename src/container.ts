import type { BackupObserver } from './backup/backup-service.ts';
import type { Config } from './config/schema.ts';
import { doctorContext, doctorDetail } from './doctor/doctor.ts';
import { HealthService } from './domain/health-service.ts';
import { createAuth, type Auth } from './features/auth.ts';
import { createBackup, type Backup } from './features/backup.ts';
import { createBilling, type Billing } from './features/billing.ts';
import { createCache, type Cache } from './features/cache.ts';
import type { FeatureParts } from './features/feature.ts';
import { createMonitoring, type Monitoring } from './features/monitoring.ts';
import { createPayments, type Payments } from './features/payments.ts';
import { createPrivacy, type Privacy } from './features/privacy.ts';
import { createSite, type Site } from './features/site.ts';
import { OPTIONS_TAG } from './cache/keys.ts';
import { AddressList } from './http/client-ip.ts';
import { rateLimit, type RateLimiter, type RateLimitObserver } from './http/middleware/rate-limit.ts';
import type { RequestObserver } from './http/middleware/request-context.ts';
import type { RouteSpec } from './http/route.ts';
import { RouteTable } from './http/router.ts';
import { docsRoutes } from './http/routes/docs.ts';
import { healthRoutes } from './http/routes/health.ts';
import type { Service } from './lifecycle.ts';
import type { Logger } from './observability/logger.ts';

/** Who else is told what monitoring is told (tests and embedders listen here). */
export interface ExtraObservers {
  request?: RequestObserver[];
  rateLimit?: RateLimitObserver[];
  backup?: BackupObserver[];
}

/**
 * The whole sidecar, assembled once: the site's parts, each feature's services, every route, the
 * services to start and the HTTP parts of the frame. Nothing is added to it after it is built.
 */
export interface Container extends Omit<Site, 'services' | 'jobs' | 'health' | 'probes' | 'open' | 'release' | 'close'> {
  cache: Cache['cache'];
  health: HealthService;
  auth: Auth;
  billing: Billing;
  /** Lemon Squeezy webhooks, enrolment, outgoing webhooks, the task queue and its jobs. */
  payments: Payments;
  backup: Backup;
  /** Prometheus metrics, request timing, dashboard snapshots and alerts. */
  monitoring: Monitoring;
  /** WordPress's personal data exporter and eraser for the plugin's tables. */
  privacy: Privacy;
  /** Every route, in one list: the route table, the namespace index and the API docs read it. */
  routes: readonly RouteSpec[];
  /** The routes as every request is matched against them, once (the light lane and the frame share the match). */
  routeTable: RouteTable;
  /** Started in this order after listening (jobs only when SLBP_JOBS_ENABLED), stopped in reverse. */
  services: readonly Service[];
  trustedProxies: AddressList;
  /** The kinds of credential a request may carry, asked in this order. */
  identityResolvers: Auth['identityResolvers'];
  /** Told of every finished request (request metrics, the latency window). */
  requestObservers: readonly RequestObserver[];
  /** The rate limits (null when SLBP_RATE_LIMIT_ENABLED is off); identity reports refused credentials to it. */
  rateLimiter: RateLimiter | null;
  /** Loads wp_options, claims the Redis namespace and starts the services. */
  start(): Promise<void>;
  /** Stops services, then closes Redis and the pools. */
  close(): Promise<void>;
}

/**
 * The composition root: builds the site and each feature once, in dependency order, and
 * assembles what they hand over (docs/architecture.md). No part is built anywhere else.
 */
export function buildContainer(config: Config, opts: { logger?: Logger; observers?: ExtraObservers } = {}): Container {
  const site = createSite(config, opts.logger);
  const { settings, logger } = site;
  const cache = createCache({
    config: config.cache,
    redis: site.redis,
    l2TtlSec: () => settings.performance.cache_expiration,
    instanceId: site.instanceId,
    logger,
    onDrop: [
      (req) => {
        if (!req.all && !req.tags?.includes(OPTIONS_TAG)) return;
        settings
          .reload()
          .catch((err) =>
            logger.warn('re-reading wp_options after an invalidation failed; using the last values', { error: (err as Error).message }),
          );
      },
    ],
  });
  const monitoring = createMonitoring({
    ...site,
    cache: cache.cache,
    // Read at scrape time, by which the backup feature below exists.
    lastBackupAge: () => backup.backups.lastSuccessAge(),
  });
  const backup = createBackup({ ...site, observers: [monitoring.observers.backup, ...(opts.observers?.backup ?? [])] });
  const auth = createAuth({ ...site, cache: cache.cache });
  const billing = createBilling({ ...site, cache: cache.cache, monitoring: monitoring.service });
  const payments = createPayments({ ...site, cache: cache.cache, siteKey: site.site.key });
  const privacy = createPrivacy({ ...site, cache: cache.cache });

  // Started in this order, each feature's services before its jobs.
  const features: Omit<FeatureParts, 'routes'>[] = [cache, auth, site, backup, monitoring, payments];
  const services = features.flatMap((f) => (config.jobs.enabled ? [...f.services, ...f.jobs] : f.services));

  const health = new HealthService(site.probes, site.instanceId, config.version, () => settings.siteId, {
    ...site.health,
    ...cache.health,
    ...payments.health,
    ...backup.health,
    ...monitoring.health,
    // `slbp doctor`'s checks, on this node's own pools and settings (run at most once a minute).
    doctor: doctorDetail(() => doctorContext(c)),
  });
  const routes: RouteSpec[] = [
    ...healthRoutes({ health, diagnostics: () => monitoring.diagnostics() }),
    ...monitoring.routes,
    ...cache.routes,
    ...billing.routes,
    ...backup.routes,
    ...auth.routes,
    ...payments.routes,
    ...privacy.routes,
  ];
  routes.push(...docsRoutes(() => routes, config.version));
  const rateLimiter = config.security.rateLimitEnabled
    ? rateLimit({
        redis: site.redis,
        generalPerMinute: () => settings.performance.rate_limit_general,
        observers: [monitoring.observers.rateLimit, ...(opts.observers?.rateLimit ?? [])],
        logger,
      })
    : null;

  const c: Container = {
    config,
    logger,
    instanceId: site.instanceId,
    dataDir: site.dataDir,
    site: site.site,
    tables: site.tables,
    db: site.db,
    databases: site.databases,
    replicas: site.replicas,
    redis: site.redis,
    namespaceGuard: site.namespaceGuard,
    options: site.options,
    users: site.users,
    settings,
    cache: cache.cache,
    health,
    auth,
    billing,
    payments,
    backup,
    monitoring,
    privacy,
    routes,
    routeTable: new RouteTable(routes, () => settings.siteUrl),
    services,
    trustedProxies: new AddressList(config.server.trustedProxies),
    identityResolvers: auth.identityResolvers,
    requestObservers: [monitoring.observers.request, ...(opts.observers?.request ?? [])],
    rateLimiter,
    async start() {
      await site.open();
      for (const s of services) await s.start?.();
    },
    async close() {
      site.release();
      for (const s of [...services].reverse()) {
        try {
          await s.stop();
        } catch (err) {
          logger.warn('service did not stop cleanly', { service: s.name, error: (err as Error).message });
        }
      }
      await site.close();
    },
  };
  return c;
}
