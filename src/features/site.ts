import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { RedisHandle } from '../cache/redis.ts';
import { NamespaceGuard } from '../cache/site-namespace.ts';
import { stalePurge } from '../cache/stale-purge.ts';
import { projectRoot } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { siteIdentity, type SiteIdentity } from '../config/site-identity.ts';
import { Database } from '../data/database.ts';
import { DatabaseRouter } from '../data/database-router.ts';
import { OptionsRepository } from '../data/options-repository.ts';
import { pluginCronCheck, scheduledPluginCronHooks } from '../data/plugin-cron.ts';
import { findMissingTables, guessTablePrefixes, probeFilesystem, serverIdentity, shardsDetail } from '../data/probes.ts';
import { ReplicaMonitor } from '../data/replica-monitor.ts';
import { createTables, type Tables } from '../data/tables.ts';
import { UsersRepository } from '../data/users-repository.ts';
import type { HealthProbes } from '../domain/health-service.ts';
import { SiteSettings } from '../domain/site-settings.ts';
import type { CheckResult } from '../observability/checks.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import type { FeatureParts } from './feature.ts';

/** The site every feature works on: its database, Redis, settings and identity. */
export interface Site extends Omit<FeatureParts, 'routes'> {
  config: Config;
  logger: Logger;
  /** Opaque: /health, /ready and /live show it to anyone, so it names no host and no pid. */
  instanceId: string;
  dataDir: string;
  /** This site (database name + table prefix): in every Redis key and backup path (docs/decisions/0024-site-identity.md). */
  site: SiteIdentity;
  tables: Tables;
  db: Database;
  /** Chooses the database of every read and write: replicas, read-your-writes, SLBP_SHARDS. */
  databases: DatabaseRouter;
  /** Replication state of the readers; `replicaLag()` feeds /metrics. */
  replicas: ReplicaMonitor;
  redis: RedisHandle | null;
  /** Keeps Redis use to this site's namespace (null without Redis). */
  namespaceGuard: NamespaceGuard | null;
  options: OptionsRepository;
  users: UsersRepository;
  /** The plugin's wp_options, read at start and every SLBP_OPTIONS_REFRESH_MS. */
  settings: SiteSettings;
  /** What /health, /ready and /live check. */
  probes: HealthProbes;
  /** Reads wp_options and claims the Redis namespace; before any service starts. */
  open(): Promise<void>;
  /** Stops the option refresh and the namespace guard; before the services stop. */
  release(): void;
  /** Closes Redis and the pools; after every service stopped. */
  close(): Promise<void>;
}

/** The pools, Redis, settings and identity of the configured site, and the health checks that are theirs. */
export function createSite(config: Config, logger?: Logger): Site {
  const instanceId = `slbp-${randomBytes(6).toString('hex')}`;
  const log = logger ?? createLogger(config.log, { instance_id: instanceId });
  const dataDir = path.resolve(projectRoot, config.server.dataDir);
  const tables = createTables(config.db.tablePrefix);
  const db = new Database(config.db);
  const site = siteIdentity(config.db.name, config.db.tablePrefix);
  const redis = config.redis.enabled ? new RedisHandle(config.redis, site.key, log) : null;
  const options = new OptionsRepository(tables);
  const settings = new SiteSettings((names) => options.getMany(db.read, names), tables.userRolesOption, log);
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
  const replicas = new ReplicaMonitor(
    db,
    { maxLagSec: config.db.replicaMaxLagSec, intervalMs: 1000, timeoutMs: config.db.healthTimeoutMs },
    log,
  );
  const databases = new DatabaseRouter(db, redis, config.db.readYourWritesMs, log);

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

  const health: FeatureParts['health'] = {
    database_pool: () => {
      const pools = db.stats();
      return { healthy: pools.every((p) => p.queued < config.db.queueLimit), message: 'Connection pools', pools };
    },
    plugin_cron: pluginCron,
    site_identity: () =>
      namespaceGuard?.detail() ?? {
        healthy: true,
        message: 'Redis disabled: nothing shared in Redis',
        site_key: site.key,
        database: site.database,
        table_prefix: site.tablePrefix,
        redis_namespace: null,
        namespace_state: 'disabled',
      },
    replicas: () => replicas.detail(),
  };
  if (databases.sharded) {
    // Billing reads and writes use the shards; backups do not (docs/decisions/0019-shard-writes.md).
    log.warn('SLBP_SHARDS is set: backups cover the main database only, not the billing shards; back the shards up separately', {
      shards: config.db.shards.length,
    });
    health.shards = shardsDetail(databases.all(), tables);
  }

  return {
    config,
    logger: log,
    instanceId,
    dataDir,
    site,
    tables,
    db,
    databases,
    replicas,
    redis,
    namespaceGuard,
    options,
    users: new UsersRepository(tables),
    settings,
    probes: {
      database: () => db.ping(config.db.healthTimeoutMs),
      redis: redis ? { ping: () => redis.ping(), describe: () => redis.describe(), cluster: redis.isCluster } : null,
      filesystem: () => probeFilesystem(path.join(dataDir, 'tmp')),
      missingTables: () => findMissingTables(db.lane('probes'), tables),
      prefixGuess: () => guessTablePrefixes(db.lane('probes'), tables),
      pluginCron: () => pluginCron(),
    },
    services: [replicas, stalePurge('read-your-writes-expiry', [databases])],
    jobs: [],
    health,
    async open() {
      try {
        await settings.refresh();
      } catch (err) {
        log.warn('could not read wp_options at start; will retry', { error: (err as Error).message });
      }
      settings.start(config.options.refreshIntervalMs);
      // Before anything uses Redis: until the namespace is claimed, Redis counts as unavailable.
      await namespaceGuard?.start(Math.min(config.redis.connectTimeoutMs, 2000));
    },
    release() {
      settings.stop();
      namespaceGuard?.stop();
    },
    async close() {
      await redis?.close();
      await db.close();
    },
  };
}
