import { LRUCache } from 'lru-cache';
import type { RedisHandle } from './redis.ts';

/**
 * Remembers request nonces so a signed request cannot be replayed. Redis `SET NX EX` makes the
 * check pool-wide; while Redis is unreachable a bounded in-process set keeps protecting this
 * node (a replay to another node in that window is the accepted, logged risk).
 */
export class NonceStore {
  private readonly local = new LRUCache<string, true>({ max: 100_000, ttlAutopurge: false });

  constructor(
    private readonly redis: RedisHandle | null,
    private readonly ttlSec: number,
  ) {}

  /** True the first time a nonce is seen within the TTL, false for a replay. */
  async claim(scope: string, nonce: string): Promise<boolean> {
    const key = `nonce:${scope}:${nonce}`;
    if (this.redis?.isReady()) {
      try {
        const ok = await this.redis.client.set(key, '1', 'EX', this.ttlSec, 'NX');
        this.local.set(key, true, { ttl: this.ttlSec * 1000 });
        return ok === 'OK';
      } catch {
        // fall through to the local set
      }
    }
    if (this.local.has(key)) return false;
    this.local.set(key, true, { ttl: this.ttlSec * 1000 });
    return true;
  }

  /** Nonces held in this process. */
  get size(): number {
    return this.local.size;
  }

  /** Forgets nonces past their TTL (a purge service calls this; otherwise they stay until the cap). */
  purgeStale(): boolean {
    return this.local.purgeStale();
  }
}
