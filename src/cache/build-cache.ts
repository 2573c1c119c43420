import type { Config } from '../config/schema.ts';
import type { CheckResult } from '../domain/health-service.ts';
import type { Logger } from '../observability/logger.ts';
import { InvalidationBus } from './invalidation-bus.ts';
import { LayeredCache } from './layered-cache.ts';
import type { RedisHandle } from './redis.ts';
import { RedisStore } from './redis-store.ts';

export interface BuiltCache {
  cache: LayeredCache;
  /** null without Redis: invalidations then reach this node only. */
  bus: InvalidationBus | null;
  /** The `cache_layers` section of /health/detailed. */
  detail(): CheckResult;
}

/** The layered cache over the container's Redis (L1 alone when Redis is disabled), and its bus. */
export function buildCache(
  cfg: Config['cache'],
  redis: RedisHandle | null,
  l2TtlSec: () => number,
  instanceId: string,
  logger: Logger,
): BuiltCache {
  const cache = new LayeredCache(
    redis ? new RedisStore(redis) : null,
    {
      maxEntries: cfg.l1MaxEntries,
      maxBytes: cfg.l1MaxBytes,
      l1TtlSec: cfg.l1TtlSec,
      l2TtlSec: () => Math.max(1, Math.floor(l2TtlSec())),
      jitter: cfg.jitter,
    },
    logger,
  );
  const bus = redis ? new InvalidationBus(redis, cache, instanceId, logger) : null;
  cache.broadcaster = bus;
  return {
    cache,
    bus,
    detail() {
      const stats = cache.stats();
      const type = !redis ? 'in_process' : redis.isCluster ? 'redis_cluster' : 'redis';
      const healthy = !redis || (stats.l2.available === true && bus!.subscribed);
      const message = !redis
        ? 'Redis disabled: in-process cache only'
        : healthy
          ? 'In-process and Redis layers working; invalidation bus subscribed'
          : 'Redis or the invalidation bus is unavailable: serving from the in-process cache and the database';
      return { healthy, message, type, ...stats, bus: bus ? { subscribed: bus.subscribed, ...bus.counters } : null };
    },
  };
}
