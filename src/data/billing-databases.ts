import type { Database, Queryable } from './database.ts';
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

/**
 * Where billing rows are written and found. Unsharded, that is the main database and a write is
 * one transaction. With SLBP_SHARDS a user's rows live on shard `user_id % N` (user 0, no known
 * user, is shard 0): a write opens the shard's transaction, then the main one inside it, and
 * commits main first. A failure between the two commits leaves the main part done and the shard
 * part undone; callers record what the main part did so a retry finishes the shard part only
 * (docs/decisions/0019-shard-writes.md). Locks are taken shard first, then main, everywhere.
 */
export class BillingDatabases {
  readonly router: ShardRouter | null;

  constructor(private readonly db: Database) {
    this.router = ShardRouter.fromDatabase(db);
  }

  get sharded(): boolean {
    return this.router !== null;
  }

  /** The shard index of a user (0 when unsharded). */
  indexOf(userId: number): number {
    return this.router ? this.router.indexFor(userId) : 0;
  }

  /** Plain (autocommit) handles on every billing database: the shards; unsharded, `unsharded` (a reader chosen by the caller) or the writer. */
  all(unsharded: Queryable = this.db.write): readonly Queryable[] {
    return this.router ? this.router.shards : [unsharded];
  }

  /** The user's billing database; unsharded, `unsharded` (a reader chosen by the caller) or the writer. */
  forUser(userId: number, unsharded: Queryable = this.db.write): Queryable {
    return this.router ? this.router.forUser(userId) : unsharded;
  }

  /** The first billing database on which `find` answers a row (shards in order), or null; unsharded, asks `unsharded`. */
  async locate<T>(find: (q: Queryable) => Promise<T | null>, unsharded: Queryable = this.db.write): Promise<Located<T> | null> {
    const all = this.all(unsharded);
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
    return this.router ? this.db.shardTransaction(this.router.indexFor(userId), fn) : this.db.transaction(fn);
  }

  /**
   * A write touching the user's billing rows and the main database. Unsharded: one transaction
   * (`billing` and `main` are the same connection). Sharded: the shard's transaction around the
   * main one; main commits first, then the shard.
   */
  write<T>(userId: number, fn: (tx: BillingTx) => Promise<T>): Promise<T> {
    if (!this.router) return this.db.transaction((q) => fn({ billing: q, main: q, split: false }));
    return this.db.shardTransaction(this.router.indexFor(userId), async (billing) => {
      const out = await this.db.transaction((main) => fn({ billing, main, split: true }));
      await this.mainCommitted();
      return out;
    });
  }

  /** Runs between the main commit and the shard commit of a split write; a failure here rolls the shard part back. */
  protected async mainCommitted(): Promise<void> {}
}
