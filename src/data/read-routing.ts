import { LRUCache } from 'lru-cache';
import type { RedisHandle } from '../cache/redis.ts';
import type { Logger } from '../observability/logger.ts';
import { DatabaseUnavailableError, type Database, type Queryable } from './database.ts';

/**
 * Read-your-writes over replicas: after a caller writes, that caller's reads go to the writer
 * for `windowMs` (SLBP_READ_YOUR_WRITES_MS), so nobody sees their own change disappear because
 * a replica is a moment behind. The marker lives in Redis (`ryw:{callerKey}`, PX) so it holds on
 * every node of the pool, and in this process too, so it also holds while Redis is down.
 */
export class ReadRouting {
  private readonly local: LRUCache<string, true>;

  constructor(
    private readonly db: Database,
    private readonly redis: RedisHandle | null,
    private readonly windowMs: number,
    private readonly log?: Logger,
  ) {
    this.local = new LRUCache({ max: 50_000, ttl: Math.max(windowMs, 1) });
  }

  private key(callerKey: string): string {
    return `ryw:${callerKey}`;
  }

  /** Records that `callerKey` (e.g. `user:42`, `apikey:7`) just wrote. */
  async noteWrite(callerKey: string): Promise<void> {
    if (this.windowMs <= 0) return;
    this.local.set(callerKey, true);
    if (!this.redis?.isReady()) return;
    try {
      await this.redis.client.set(this.key(callerKey), '1', 'PX', this.windowMs);
    } catch (err) {
      this.log?.warn('could not store the read-your-writes marker in Redis; it holds on this node only', { error: (err as Error).message });
    }
  }

  /** True while `callerKey`'s reads must see the primary. */
  async wroteRecently(callerKey: string): Promise<boolean> {
    if (this.windowMs <= 0) return false;
    if (this.local.has(callerKey)) return true;
    if (!this.redis?.isReady()) return false;
    try {
      return (await this.redis.client.exists(this.key(callerKey))) === 1;
    } catch {
      return false;
    }
  }

  /**
   * A Queryable for `callerKey`'s reads: the writer right after their own write, otherwise a
   * healthy replica. A replica that fails to connect mid-request (it died between two monitor
   * polls) is answered from the writer instead of failing the read.
   */
  /** Whether read replicas are configured at all (without them every read is on the writer). */
  get hasReplicas(): boolean {
    return this.db.readers.length > 0;
  }

  readerFor(callerKey: string | null): Queryable {
    return {
      query: async <T>(sql: string, params?: unknown[]): Promise<T> => {
        // Without replicas the writer is the only truth: no marker lookup on the hot path.
        if (!this.hasReplicas) return this.db.write.query<T>(sql, params);
        if (callerKey !== null && (await this.wroteRecently(callerKey))) return this.db.write.query<T>(sql, params);
        const pool = this.db.pickReader();
        if (pool === this.db.writer) return this.db.write.query<T>(sql, params);
        try {
          return await this.db.queryOn<T>(pool, sql, params);
        } catch (err) {
          // A slow query is not retried on the writer: it would only double the wait.
          if (err instanceof DatabaseUnavailableError && !/^query timed out/.test(err.message)) return this.db.write.query<T>(sql, params);
          throw err;
        }
      },
    };
  }
}
