import { createHash } from 'node:crypto';
import type { RedisHandle } from '../cache/redis.ts';
import type { Database, Queryable } from '../data/database.ts';
import type { Logger } from '../observability/logger.ts';

export type SlotOutcome = 'ran' | 'taken';

/**
 * Lets one node of the pool run a periodic job per time slot (see docs/decisions: job slots).
 * Redis `SET NX PX` under the sidecar's prefix elects the node; when Redis is unreachable, a
 * MariaDB named lock serialises the nodes and `alreadyDone`, checked under that lock, skips
 * the work another node finished for the slot.
 */
export class SlotLock {
  constructor(
    private readonly redis: RedisHandle | null,
    private readonly db: Database,
    /** Distinguishes sites sharing a MariaDB server: database name and table prefix. */
    private readonly scope: string,
    private readonly owner: string,
    private readonly logger: Logger,
  ) {}

  async runOnce(
    job: string,
    slot: number,
    ttlMs: number,
    fn: (q: Queryable) => Promise<void>,
    alreadyDone?: (q: Queryable) => Promise<boolean>,
  ): Promise<SlotOutcome> {
    // Not ready includes "the namespace is not this site's": then the database lock decides.
    if (this.redis?.isReady()) {
      let got: string | null | undefined;
      try {
        got = await this.redis.client.set(`lock:${job}:${slot}`, this.owner, 'PX', ttlMs, 'NX');
      } catch (err) {
        this.logger.warn('redis unavailable for the job lock; using the database lock', { job, error: (err as Error).message });
        got = undefined;
      }
      if (got === 'OK') {
        await fn(this.db.write);
        return 'ran';
      }
      if (got === null) return 'taken';
    }
    return this.viaDatabase(job, fn, alreadyDone);
  }

  private async viaDatabase(
    job: string,
    fn: (q: Queryable) => Promise<void>,
    alreadyDone?: (q: Queryable) => Promise<boolean>,
  ): Promise<SlotOutcome> {
    // MariaDB lock names are at most 64 characters.
    const name = `slbp:${createHash('sha1').update(`${this.scope}:${job}`).digest('hex').slice(0, 40)}`;
    return this.db.transaction(async (q) => {
      const rows = await q.query<{ got: number | null }[]>('SELECT GET_LOCK(?, 0) AS got', [name]);
      if (Number(rows[0]?.got) !== 1) return 'taken';
      try {
        // GET_LOCK belongs to the session, not the transaction: end the transaction so every
        // statement below sees what the other nodes committed before they released the lock.
        await q.query('COMMIT');
        if (alreadyDone && (await alreadyDone(q))) return 'taken';
        await fn(q);
        return 'ran';
      } finally {
        await q.query('SELECT RELEASE_LOCK(?)', [name]);
      }
    });
  }
}
