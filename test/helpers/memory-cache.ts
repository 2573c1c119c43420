import type { CacheOptions, CacheService, CacheStats, InvalidateRequest, InvalidateResult } from '../../src/cache/cache-service.ts';

/** A caching CacheService with tags, for proving what gets invalidated before the layered cache exists. */
export class MemoryTagCache implements CacheService {
  readonly entries = new Map<string, { value: unknown; tags: string[] }>();
  loads = 0;

  async wrap<T>(key: string, load: () => Promise<T>, opts: CacheOptions = {}): Promise<T> {
    const hit = this.entries.get(key);
    if (hit) return structuredClone(hit.value) as T;
    this.loads++;
    const value = await load();
    this.entries.set(key, { value: structuredClone(value), tags: opts.tags ?? [] });
    return value;
  }

  staleAge(): number | undefined {
    return undefined;
  }

  peek<T>(key: string): T | undefined {
    const hit = this.entries.get(key);
    return hit ? (structuredClone(hit.value) as T) : undefined;
  }

  async invalidate(req: InvalidateRequest): Promise<InvalidateResult> {
    let n = 0;
    for (const [key, e] of this.entries) {
      if (req.all || req.keys?.includes(key) || e.tags.some((t) => req.tags?.includes(t))) {
        this.entries.delete(key);
        n++;
      }
    }
    return { invalidated: n, nodes_notified: 0 };
  }

  stats(): CacheStats {
    return {
      l1: { hits: 0, misses: this.loads, entries: this.entries.size, bytes: 0 },
      l2: { hits: 0, misses: 0, errors: 0 },
      loads: this.loads,
      invalidations: 0,
    };
  }
}
