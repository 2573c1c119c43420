import { LRUCache } from 'lru-cache';
import type { RedisHandle } from '../../cache/redis.ts';
import type { Queryable } from '../../data/database.ts';

/**
 * Read-your-writes: after a user writes, their reads go to the writer for `windowMs`, so a
 * lagging replica never shows them the old row. The marker lives in Redis (any node honours it)
 * and in-process (this node honours it even while Redis is down).
 */
export class ReadRouting {
  private readonly local = new LRUCache<string, number>({ max: 50_000 });

  constructor(
    private readonly pools: { read: Queryable; write: Queryable },
    private readonly redis: RedisHandle | null,
    private readonly windowMs: number,
  ) {}

  private key(userId: number): string {
    return `ryw:user:${userId}`;
  }

  /** Records that `userId` just wrote. */
  async markWrite(userId: number): Promise<void> {
    if (this.windowMs <= 0) return;
    this.local.set(this.key(userId), Date.now() + this.windowMs, { ttl: this.windowMs });
    if (this.redis?.isReady()) {
      try {
        await this.redis.client.set(this.key(userId), '1', 'PX', this.windowMs);
      } catch {
        // The local marker still covers this node.
      }
    }
  }

  /** Whether `userId` wrote within the window (on any node). */
  async recentlyWrote(userId: number): Promise<boolean> {
    if (this.windowMs <= 0) return false;
    const until = this.local.get(this.key(userId));
    if (until && until > Date.now()) return true;
    if (this.redis?.isReady()) {
      try {
        return (await this.redis.client.exists(this.key(userId))) === 1;
      } catch {
        return false;
      }
    }
    return false;
  }

  /** The pool a read for `userId` should use (the writer right after their write). */
  async forUser(userId: number | null): Promise<{ q: Queryable; primary: boolean }> {
    if (userId !== null && (await this.recentlyWrote(userId))) return { q: this.pools.write, primary: true };
    return { q: this.pools.read, primary: false };
  }
}
