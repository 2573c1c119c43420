/** What a cached read may say about itself. */
export interface CacheOptions {
  /** Tags such as `user:42`, `subscriptions`, `analytics`: invalidating a tag drops every key carrying it. */
  tags?: string[];
  /** Redis (L2) lifetime in seconds; default from slbp_performance_config.cache_expiration. */
  ttlSec?: number;
  /** In-process (L1) lifetime in seconds; default 300 s, never longer than ttlSec. */
  l1TtlSec?: number;
}

export interface InvalidateRequest {
  keys?: string[];
  tags?: string[];
  all?: boolean;
}
export interface InvalidateResult {
  invalidated: number;
  nodes_notified: number;
}

/** Counters since start, for metrics and /health/detailed. */
export interface CacheStats {
  /** `resets`: whole-L1 clears after the invalidation bus reconnected. */
  l1: { hits: number; misses: number; entries: number; bytes: number; resets?: number; hit_ratio?: number };
  /** `skipped`: L1 misses that did not ask Redis because it was unavailable. */
  l2: { hits: number; misses: number; errors: number; skipped?: number; available?: boolean; hit_ratio?: number };
  loads: number;
  load_errors?: number;
  /** Answers given from an entry past its lifetime because the database was unavailable (stale-if-error). */
  stale_answers?: number;
  /** Invalidations applied on this node, its own and those received from other nodes. */
  invalidations: number;
  /** (L1 hits + L2 hits) / lookups, 0..1. */
  hit_ratio?: number;
}

/**
 * The sidecar's cache: in-process (L1) → Redis (L2) → loader (L3). Callers never talk to Redis
 * or an LRU directly; they wrap a load with a key from `cache/keys.ts` and the tags it depends on.
 */
export interface CacheService {
  wrap<T>(key: string, load: () => Promise<T>, opts?: CacheOptions): Promise<T>;
  /** What this process's cache (L1) holds for `key`, without asking Redis or loading; a hit counts as an L1 hit. */
  peek<T>(key: string): T | undefined;
  /** Seconds since `value` was loaded when the cache answered it stale (database unavailable), else undefined. */
  staleAge(value: unknown): number | undefined;
  invalidate(req: InvalidateRequest): Promise<InvalidateResult>;
  stats(): CacheStats;
}
