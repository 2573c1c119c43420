/** What a cached read may say about itself. */
export interface CacheOptions {
  /** Tags such as `user:42`, `subscriptions`, `analytics`: invalidating a tag drops every key carrying it. */
  tags?: string[];
  /** Redis (L2) lifetime in seconds; default from slbp_performance_config.cache_expiration. */
  ttlSec?: number;
  /** In-process (L1) lifetime in seconds; default 300 s, never longer than ttlSec. */
  l1TtlSec?: number;
}

export interface InvalidateRequest { keys?: string[]; tags?: string[]; all?: boolean }
export interface InvalidateResult { invalidated: number; nodes_notified: number }

/**
 * The sidecar's cache: in-process (L1) → Redis (L2) → loader (L3). Callers never talk to Redis
 * or an LRU directly; they wrap a load with a key from `cache/keys.ts` and the tags it depends on.
 */
export interface CacheService {
  wrap<T>(key: string, load: () => Promise<T>, opts?: CacheOptions): Promise<T>;
  invalidate(req: InvalidateRequest): Promise<InvalidateResult>;
}

/** No caching at all: every read goes to the loader. Used where caching must be off. */
export class PassthroughCache implements CacheService {
  wrap<T>(_key: string, load: () => Promise<T>): Promise<T> {
    return load();
  }

  async invalidate(): Promise<InvalidateResult> {
    return { invalidated: 0, nodes_notified: 0 };
  }
}
