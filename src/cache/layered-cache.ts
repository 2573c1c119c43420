import { LRUCache } from 'lru-cache';
import { DatabaseUnavailableError } from '../data/database.ts';
import type { Logger } from '../observability/logger.ts';
import type { CacheOptions, CacheService, CacheStats, InvalidateRequest, InvalidateResult } from './cache-service.ts';
import type { RedisStore } from './redis-store.ts';

export interface LayeredCacheOptions {
  /** L1 bounds. */
  maxEntries: number;
  maxBytes: number;
  /** Default L1 lifetime (s). */
  l1TtlSec: number;
  /** Default L2 lifetime (s): slbp_performance_config.cache_expiration, read at each write. */
  l2TtlSec: () => number;
  /** Fraction of random extra lifetime, so keys written together do not expire together. */
  jitter: number;
  /**
   * How long (s) an entry is kept past its lifetime to be answered, marked stale, when its load
   * fails because the database is unavailable (stale-if-error; 0: never). Not answered otherwise.
   */
  staleIfErrorSec?: number;
  /** The clock L1 lifetimes are measured on (tests pass a fake one); `performance` by default. */
  clock?: { now(): number };
}

interface L1Entry {
  value: unknown;
  tags: string[];
  /** When it was stored (ms), and until when it is answered as fresh. */
  at: number;
  freshUntil: number;
}

/** Tells the other nodes what to drop from their L1; null when there is no Redis. */
export interface Broadcaster {
  publish(req: InvalidateRequest): Promise<number>;
}

/**
 * L1 (bounded LRU in this process) → L2 (Redis, via RedisStore) → the loader. One load per key
 * at a time in this process (single flight); Redis errors never fail a read, they only skip L2.
 * Values handed out are shared with later callers: treat them as read-only.
 */
export class LayeredCache implements CacheService {
  private readonly l1: LRUCache<string, L1Entry>;
  private readonly byTag = new Map<string, Set<string>>();
  private readonly inflight = new Map<string, Promise<unknown>>();
  /** Values answered stale (and the objects directly inside them, such as a page's rows): their age in seconds. */
  private readonly staleValues = new WeakMap<object, number>();
  /** Bumped by every invalidation; a load that started before one must not be stored. */
  private epoch = 0;
  broadcaster: Broadcaster | null = null;
  /** Called after entries are dropped here, for local and remote invalidations alike. */
  readonly onDrop: ((req: InvalidateRequest) => void)[] = [];
  /** Invalidations Redis did not get (it was down): replayed, and re-broadcast, once it is back. */
  private pendingL2: InvalidateRequest[] = [];
  /** Redis writes of the last few seconds: one may have landed just after another node's delete. */
  private readonly recentWrites = new Map<string, { tags: string[]; at: number }>();
  private readonly counters = {
    l1Hits: 0,
    l1Misses: 0,
    l2Hits: 0,
    l2Misses: 0,
    l2Errors: 0,
    l2Skipped: 0,
    loads: 0,
    loadErrors: 0,
    staleAnswers: 0,
    invalidations: 0,
    l1Resets: 0,
  };

  constructor(
    private readonly l2: RedisStore | null,
    private readonly opts: LayeredCacheOptions,
    private readonly logger: Logger,
  ) {
    this.l1 = new LRUCache<string, L1Entry>({
      max: opts.maxEntries,
      maxSize: opts.maxBytes,
      // Expired entries are removed by purgeStale() on a timer (src/cache/stale-purge.ts), not one timer each.
      ttlAutopurge: false,
      dispose: (entry, key) => this.unindex(key, entry.tags),
      ...(opts.clock ? { perf: opts.clock } : {}),
    });
    this.clock = opts.clock ?? performance;
  }

  /** L1 lifetimes and ages are measured on this clock, the one the LRU's own TTLs use. */
  private readonly clock: { now(): number };

  /** Removes expired L1 entries (and their tag index); true when any went. */
  purgeStale(): boolean {
    return this.l1.purgeStale();
  }

  /** Tags with an L1 entry indexed under them (for tests of the index staying bounded). */
  get taggedCount(): number {
    return this.byTag.size;
  }

  private jittered(sec: number): number {
    return Math.max(1, Math.round(sec * (1 + Math.random() * this.opts.jitter)));
  }

  peek<T>(key: string): T | undefined {
    const hit = this.l1.get(key);
    if (!hit || hit.freshUntil <= this.clock.now()) return undefined;
    this.counters.l1Hits++;
    return hit.value as T;
  }

  async wrap<T>(key: string, load: () => Promise<T>, opts: CacheOptions = {}): Promise<T> {
    // Nothing stores undefined (a load that answers it is not kept), so undefined is a miss.
    const held = this.peek<T>(key);
    if (held !== undefined) return held;
    this.counters.l1Misses++;
    const running = this.inflight.get(key);
    if (running) return running as Promise<T>;
    const p: Promise<T> = this.fill(key, load, opts).finally(() => {
      if (this.inflight.get(key) === p) this.inflight.delete(key);
    });
    this.inflight.set(key, p);
    return p;
  }

  private async fill<T>(key: string, load: () => Promise<T>, opts: CacheOptions): Promise<T> {
    const epoch = this.epoch;
    const tags = opts.tags ?? [];
    const l2Ttl = opts.ttlSec ?? this.opts.l2TtlSec();
    const l1Ttl = Math.min(opts.l1TtlSec ?? this.opts.l1TtlSec, l2Ttl);
    if (this.l2?.available) {
      try {
        const found = await this.l2.get<T>(key);
        if (found !== undefined) {
          this.counters.l2Hits++;
          if (epoch === this.epoch) this.storeL1(key, found.value, tags, l1Ttl, found.chars);
          return found.value;
        }
        this.counters.l2Misses++;
      } catch (err) {
        this.l2Failed('read', err);
      }
    } else if (this.l2) this.counters.l2Skipped++;

    this.counters.loads++;
    let value: T;
    try {
      value = await load();
    } catch (err) {
      this.counters.loadErrors++;
      const kept = err instanceof DatabaseUnavailableError ? this.l1.get(key) : undefined;
      if (!kept) throw err;
      this.counters.staleAnswers++;
      this.markStale(kept.value, Math.round((this.clock.now() - kept.at) / 1000));
      return kept.value as T;
    }
    // An invalidation arrived while loading: the value may predate it, so hand it out but keep it nowhere.
    if (epoch !== this.epoch || value === undefined) return value;
    const json = JSON.stringify(value);
    this.storeL1(key, value, tags, l1Ttl, json.length);
    if (this.l2?.available) {
      this.noteWrite(key, tags);
      this.l2.set(key, json, this.jittered(l2Ttl), tags).catch((err) => this.l2Failed('write', err));
    }
    return value;
  }

  /** Keeps recentWrites in write order and no longer than RECENT_WRITE_MS. */
  private noteWrite(key: string, tags: string[]): void {
    const now = Date.now();
    this.recentWrites.delete(key);
    this.recentWrites.set(key, { tags, at: now });
    for (const [k, w] of this.recentWrites) {
      if (w.at >= now - RECENT_WRITE_MS) break;
      this.recentWrites.delete(k);
    }
  }

  private markStale(value: unknown, ageSec: number): void {
    if (!value || typeof value !== 'object') return;
    this.staleValues.set(value, ageSec);
    for (const inner of Object.values(value)) if (inner && typeof inner === 'object') this.staleValues.set(inner, ageSec);
  }

  /** Seconds since `value` was loaded when this cache answered it stale (the database was unavailable), else undefined. */
  staleAge(value: unknown): number | undefined {
    return value && typeof value === 'object' ? this.staleValues.get(value) : undefined;
  }

  /** `chars` is the JSON length, so the byte bound costs no second serialization. */
  private storeL1(key: string, value: unknown, tags: string[], ttlSec: number, chars: number): void {
    const now = this.clock.now();
    const ttlMs = this.jittered(ttlSec) * 1000;
    // Kept past its lifetime for stale-if-error only; peek() never answers it then.
    const keepMs = ttlMs + (this.opts.staleIfErrorSec ?? 0) * 1000;
    this.l1.set(key, { value, tags, at: now, freshUntil: now + ttlMs }, { ttl: keepMs, size: Math.max(1, chars * 2) });
    for (const tag of tags) {
      let set = this.byTag.get(tag);
      if (!set) this.byTag.set(tag, (set = new Set()));
      set.add(key);
    }
  }

  private unindex(key: string, tags: string[]): void {
    for (const tag of tags) {
      const set = this.byTag.get(tag);
      set?.delete(key);
      if (set && !set.size) this.byTag.delete(tag);
    }
  }

  private l2Failed(op: string, err: unknown): void {
    this.counters.l2Errors++;
    this.logger.debug('redis cache ' + op + ' failed; continuing without L2', { error: (err as Error).message });
  }

  /** Drops matching L1 entries in this process only (the bus calls this for remote requests). */
  dropLocal(req: InvalidateRequest): number {
    this.epoch++;
    // Loads already running may return pre-invalidation data: later callers start their own.
    this.inflight.clear();
    let n = 0;
    if (req.all) {
      n = this.l1.size;
      this.l1.clear();
      this.byTag.clear();
    } else {
      for (const key of req.keys ?? []) if (this.l1.delete(key)) n++;
      for (const tag of req.tags ?? []) {
        for (const key of [...(this.byTag.get(tag) ?? [])]) if (this.l1.delete(key)) n++;
        this.byTag.delete(tag);
      }
    }
    for (const listener of this.onDrop) listener(req);
    return n;
  }

  /** Entries held in L1 now. */
  get size(): number {
    return this.l1.size;
  }

  /** Messages may have been missed (bus reconnected): forget everything held in L1. */
  resetLocal(reason: string): void {
    this.counters.l1Resets++;
    const n = this.dropLocal({ all: true });
    this.logger.info('in-process cache cleared', { reason, entries: n });
  }

  /**
   * Clears Redis first, then this node's L1, then tells the other nodes; `invalidated` counts
   * distinct entries removed here (Redis values, else L1 entries when Redis is unavailable).
   */
  async invalidate(req: InvalidateRequest): Promise<InvalidateResult> {
    this.counters.invalidations++;
    return this.apply(req);
  }

  private async apply(req: InvalidateRequest): Promise<InvalidateResult> {
    // From here on, loads finishing here must not write what they read before the change.
    this.epoch++;
    const inRedis = await this.invalidateL2(req);
    const local = this.dropLocal(req);
    let nodes = 0;
    if (this.broadcaster && inRedis !== null) {
      try {
        nodes = await this.broadcaster.publish(req);
      } catch (err) {
        this.logger.warn('invalidation could not be broadcast; other nodes keep their in-process entries until they reconnect or expire', {
          error: (err as Error).message,
        });
      }
    }
    return { invalidated: Math.max(inRedis ?? 0, local), nodes_notified: nodes };
  }

  /** Deletes in Redis; null (and queued for replay) when Redis could not be reached. */
  private async invalidateL2(req: InvalidateRequest): Promise<number | null> {
    if (!this.l2) return 0;
    if (this.l2.available) {
      try {
        if (req.all) return await this.l2.deleteAll();
        let n = 0;
        if (req.keys?.length) n += await this.l2.deleteKeys(req.keys);
        if (req.tags?.length) n += await this.l2.deleteTags(req.tags);
        return n;
      } catch (err) {
        this.l2Failed('invalidate', err);
      }
    }
    this.pendingL2.push(req);
    // Bounded: past 100 queued requests, one `all` covers them.
    if (this.pendingL2.length > 100) this.pendingL2 = [{ all: true }];
    return null;
  }

  get hasPending(): boolean {
    return this.pendingL2.length > 0;
  }

  /** Redis is back: apply the invalidations it missed, and broadcast them again. */
  async replayPending(): Promise<void> {
    const queued = this.pendingL2;
    this.pendingL2 = [];
    for (const req of queued) await this.apply(req);
    if (queued.length) this.logger.info('replayed invalidations queued while Redis was unreachable', { count: queued.length });
  }

  /**
   * Applies another node's invalidation here: drops L1 entries, and deletes from Redis what this
   * node wrote in the last seconds, since such a write (of a value read before the change) may
   * have landed after the other node's delete.
   */
  applyRemote(req: InvalidateRequest): void {
    this.counters.invalidations++;
    this.dropLocal(req);
    const since = Date.now() - RECENT_WRITE_MS;
    const tags = new Set(req.tags ?? []);
    const keys = new Set(req.keys ?? []);
    const stale: string[] = [];
    for (const [key, w] of this.recentWrites) {
      if (w.at >= since && (req.all || keys.has(key) || w.tags.some((t) => tags.has(t)))) stale.push(key);
    }
    if (stale.length && this.l2?.available) this.l2.deleteKeys(stale).catch((err) => this.l2Failed('invalidate', err));
  }

  stats(): CacheStats {
    const c = this.counters;
    const lookups = c.l1Hits + c.l1Misses;
    const l2Lookups = c.l2Hits + c.l2Misses;
    return {
      l1: {
        hits: c.l1Hits,
        misses: c.l1Misses,
        entries: this.l1.size,
        bytes: this.l1.calculatedSize,
        resets: c.l1Resets,
        hit_ratio: ratio(c.l1Hits, lookups),
      },
      l2: {
        hits: c.l2Hits,
        misses: c.l2Misses,
        errors: c.l2Errors,
        skipped: c.l2Skipped,
        available: this.l2?.available ?? false,
        hit_ratio: ratio(c.l2Hits, l2Lookups),
      },
      loads: c.loads,
      load_errors: c.loadErrors,
      stale_answers: c.staleAnswers,
      invalidations: c.invalidations,
      hit_ratio: ratio(c.l1Hits + c.l2Hits, lookups),
    };
  }
}

/** How long a Redis write is suspected of racing another node's invalidation (pub/sub latency is ms). */
const RECENT_WRITE_MS = 2000;

const ratio = (a: number, b: number) => (b ? Math.round((a / b) * 10_000) / 10_000 : 0);
