import { LRUCache } from 'lru-cache';
import type { RedisHandle } from '../cache/redis.ts';
import type { Logger } from '../observability/logger.ts';
import { DatabaseUnavailableError, type Database, type Queryable, type TransactionOptions } from './database.ts';
import { ShardRouter } from './shard-router.ts';

/** One write's transactions: the user's billing database and the main (WordPress) one. */
export interface BillingTx {
  /** Where the user's `slbp_transactions`, `slbp_subscriptions` and `slbp_enrollment_logs` rows live. */
  billing: Queryable;
  /** The WordPress database: users, usermeta, options, notifications, tasks. */
  main: Queryable;
  /** True when `billing` and `main` are two databases (SLBP_SHARDS), each with its own transaction. */
  split: boolean;
}

/** Where a row was found, and the billing database it lives on. */
export interface Located<T> {
  value: T;
  on: Queryable;
}

/** The read-your-writes key of a WordPress user (API keys and others have keys of their own, e.g. `apikey:7`). */
export const userKey = (userId: number): string => `user:${userId}`;

/**
 * Where every query goes: the one place that chooses a database (docs/architecture.md).
 *
 * - The main database (WordPress's tables, and the billing tables when unsharded) has a writer
 *   and optional replicas. A read by a caller goes to the writer for SLBP_READ_YOUR_WRITES_MS
 *   after that caller wrote (`noteWrite`: a marker in Redis, `ryw:{caller}` with a PX expiry, so
 *   it holds on every node, and in this process, so it holds while Redis is down), otherwise to a
 *   healthy replica; a replica that fails to connect mid-request is answered from the writer.
 * - The billing rows of a user (transactions, subscriptions, enrolment logs) live on shard
 *   `user_id % N` with SLBP_SHARDS (user 0, no known user, is shard 0), else on the main
 *   database. Shards are read on their own writers (no replicas), so read-your-writes holds there
 *   by construction. A write touching a user's billing rows and the main database opens the
 *   shard's transaction, then the main one inside it, and commits main first; a failure between
 *   the two commits leaves the main part done, which callers record so a retry finishes the
 *   shard part only (docs/decisions/0019-shard-writes.md). Locks are taken shard first, then main.
 */
export class DatabaseRouter {
  /** The billing shards (SLBP_SHARDS), or null when the billing tables are on the main database. */
  readonly shards: ShardRouter | null;
  private readonly local: LRUCache<string, true>;

  constructor(
    private readonly db: Database,
    private readonly redis: RedisHandle | null,
    /** SLBP_READ_YOUR_WRITES_MS; 0 turns read-your-writes off. */
    private readonly windowMs: number,
    private readonly log?: Logger,
  ) {
    this.shards = ShardRouter.fromDatabase(db);
    this.local = new LRUCache({ max: 50_000, ttl: Math.max(windowMs, 1) });
    this.reads = db.lane('billing');
  }

  /** The writer through the billing-reads lane (its own connections, each table at most half of them). */
  private readonly reads: Queryable;

  /** Forgets callers whose read-your-writes window has passed (a purge service calls this). */
  purgeStale(): boolean {
    return this.local.purgeStale();
  }

  /** Whether the billing tables are spread over shards (SLBP_SHARDS). */
  get sharded(): boolean {
    return this.shards !== null;
  }

  /** Whether read replicas are configured at all (without them every read is on the writer). */
  get hasReplicas(): boolean {
    return this.db.readers.length > 0;
  }

  /** The main database's writer. */
  get primary(): Queryable {
    return this.db.write;
  }

  /**
   * Where a read by `caller` goes (`null`: nobody in particular, any healthy replica). Without
   * `userId`, the main database: its writer right after the caller's own write, else a replica.
   * With `userId`, that user's billing rows: their shard, else the main database as above.
   */
  forRead(caller: string | null, userId?: number): Queryable {
    if (userId !== undefined && this.shards) return this.shards.forUser(userId);
    // Without replicas the writer is the only truth: no marker lookup on the hot path.
    if (!this.hasReplicas) return this.reads;
    return caller === null ? this.replica : this.readerFor(caller);
  }

  /** Where `userId`'s billing rows are written (and read under lock): their shard, else the main writer. */
  forWrite(userId: number): Queryable {
    return this.shards ? this.shards.forUser(userId) : this.db.write;
  }

  /** Every billing database, for writes and plain reads on their writers: the shards, else the main writer. */
  all(): readonly Queryable[] {
    return this.shards ? this.shards.shards : [this.db.write];
  }

  /** Every billing database for a read by `caller`: the shards, else the main database as `forRead` chooses it. */
  allForRead(caller: string | null): readonly Queryable[] {
    return this.shards ? this.shards.shards : [this.forRead(caller)];
  }

  /** The shard index of a user (0 when unsharded). */
  indexOf(userId: number): number {
    return this.shards ? this.shards.indexFor(userId) : 0;
  }

  /** The first billing database (shards in order) on which `find` answers a row, or null; `caller` reads through `allForRead`, else the writers. */
  async locate<T>(find: (q: Queryable) => Promise<T | null>, caller?: string | null): Promise<Located<T> | null> {
    const all = caller === undefined ? this.all() : this.allForRead(caller);
    const found = await Promise.all(all.map(find));
    const i = found.findIndex((v) => v !== null && v !== undefined);
    return i < 0 ? null : { value: found[i]!, on: all[i]! };
  }

  /** Runs `query` on every billing database and concatenates the rows. */
  async gather<R>(query: (q: Queryable) => Promise<R[]>): Promise<R[]> {
    return (await Promise.all(this.all().map(query))).flat();
  }

  /** A transaction on the user's billing database only (no main-database writes). */
  transaction<T>(userId: number, fn: (q: Queryable) => Promise<T>): Promise<T> {
    return this.shards ? this.db.shardTransaction(this.shards.indexFor(userId), fn) : this.db.transaction(fn);
  }

  /**
   * A write touching the user's billing rows and the main database. Unsharded: one transaction
   * (`billing` and `main` are the same connection). Sharded: the shard's transaction around the
   * main one; main commits first, then the shard. `opts` (lane, isolation, named locks): the
   * named locks are held by the outer transaction, until both have ended.
   */
  write<T>(userId: number, fn: (tx: BillingTx) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
    if (!this.shards) return this.db.transaction((q) => fn({ billing: q, main: q, split: false }), opts);
    const { lane, isolation, locks } = opts;
    return this.db.shardTransaction(
      this.shards.indexFor(userId),
      async (billing) => {
        const out = await this.db.transaction((main) => fn({ billing, main, split: true }), { lane, isolation });
        await this.mainCommitted();
        return out;
      },
      { isolation, locks },
    );
  }

  /** Runs between the main commit and the shard commit of a split write; a failure here rolls the shard part back. */
  protected async mainCommitted(): Promise<void> {}

  /** Records that `caller` (e.g. `user:42`, `apikey:7`) just wrote: their reads see the writer for the window. */
  async noteWrite(caller: string): Promise<void> {
    if (this.windowMs <= 0) return;
    this.local.set(caller, true);
    if (!this.redis?.isReady()) return;
    try {
      await this.redis.client.set(this.markerKey(caller), '1', 'PX', this.windowMs);
    } catch (err) {
      this.log?.warn('could not store the read-your-writes marker in Redis; it holds on this node only', {
        error: (err as Error).message,
      });
    }
  }

  /** Whether `caller` wrote within the window, on any node. */
  async wroteRecently(caller: string): Promise<boolean> {
    if (this.windowMs <= 0) return false;
    if (this.local.has(caller)) return true;
    if (!this.redis?.isReady()) return false;
    try {
      return (await this.redis.client.exists(this.markerKey(caller))) === 1;
    } catch {
      return false;
    }
  }

  private markerKey(caller: string): string {
    return `ryw:${caller}`;
  }

  /** A healthy replica, falling back to the writer when it fails to connect. */
  private readonly replica: Queryable = { query: (sql, params) => this.onReplica(sql, params) };

  /** The writer right after `caller`'s own write, else a healthy replica (the marker is looked up per query). */
  private readerFor(caller: string): Queryable {
    return {
      query: async <T>(sql: string, params?: unknown[]): Promise<T> =>
        (await this.wroteRecently(caller)) ? this.reads.query<T>(sql, params) : this.onReplica<T>(sql, params),
    };
  }

  private async onReplica<T>(sql: string, params?: unknown[]): Promise<T> {
    const pool = this.db.pickReader();
    if (pool === this.db.writer) return this.reads.query<T>(sql, params);
    try {
      return await this.db.queryOn<T>(pool, sql, params);
    } catch (err) {
      // A replica that died between two monitor polls: answered from the writer. A slow query is
      // not retried there: it would only double the wait.
      if (err instanceof DatabaseUnavailableError && !/^query timed out/.test(err.message)) return this.reads.query<T>(sql, params);
      throw err;
    }
  }
}
