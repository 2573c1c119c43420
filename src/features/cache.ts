import os from 'node:os';
import type { InvalidateRequest } from '../cache/cache-service.ts';
import { InvalidationBus } from '../cache/invalidation-bus.ts';
import { LayeredCache } from '../cache/layered-cache.ts';
import type { RedisHandle } from '../cache/redis.ts';
import { RedisStore } from '../cache/redis-store.ts';
import { stalePurge } from '../cache/stale-purge.ts';
import type { Config } from '../config/schema.ts';
import { cacheRoutes } from '../http/routes/cache.ts';
import type { Logger } from '../observability/logger.ts';
import type { FeatureParts } from './feature.ts';

export interface CacheDeps {
  config: Config['cache'];
  /** null: the in-process layer alone, and invalidations reach this node only. */
  redis: RedisHandle | null;
  /** How long Redis keeps entries (slbp_performance_config.cache_expiration), read at each write. */
  l2TtlSec(): number;
  instanceId: string;
  logger: Logger;
  /** Told of every invalidation applied on this node (the settings re-read wp_options on theirs). */
  onDrop: ((req: InvalidateRequest) => void)[];
}

export interface Cache extends FeatureParts {
  cache: LayeredCache;
  /** null without Redis: invalidations then reach this node only. */
  bus: InvalidationBus | null;
}

/** The layered cache (in-process, then Redis), its invalidation bus between the nodes and the invalidation route. */
export function createCache(d: CacheDeps): Cache {
  const { redis } = d;
  const cache = new LayeredCache(
    redis ? new RedisStore(redis) : null,
    {
      maxEntries: d.config.l1MaxEntries,
      maxBytes: d.config.l1MaxBytes,
      l1TtlSec: d.config.l1TtlSec,
      staleIfErrorSec: d.config.staleIfErrorSec,
      l2TtlSec: () => Math.max(1, Math.floor(d.l2TtlSec())),
      jitter: d.config.jitter,
    },
    d.logger,
  );
  cache.onDrop.push(...d.onDrop);
  const bus = redis ? new InvalidationBus(redis, cache, d.instanceId, d.logger) : null;
  // The two know each other: the cache publishes through the bus, the bus applies what others publish.
  cache.broadcaster = bus;
  return {
    cache,
    bus,
    routes: cacheRoutes({ cache }),
    services: [stalePurge('cache-expiry', [cache]), ...(bus ? [bus] : [])],
    jobs: [],
    health: {
      cache_layers: () => {
        const stats = cache.stats();
        const type = !redis ? 'in_process' : redis.isCluster ? 'redis_cluster' : 'redis';
        const healthy = !redis || (stats.l2.available === true && bus !== null && bus.subscribed);
        const message = !redis
          ? 'Redis disabled: in-process cache only'
          : healthy
            ? 'In-process and Redis layers working; invalidation bus subscribed'
            : 'Redis or the invalidation bus is unavailable: serving from the in-process cache and the database';
        return { healthy, message, type, ...stats, bus: bus ? { subscribed: bus.subscribed, ...bus.counters } : null };
      },
      nodes: async () => {
        const self = { instance_id: d.instanceId, hostname: os.hostname(), pid: process.pid, uptime: Math.floor(process.uptime()) };
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
      },
    },
  };
}
