import type { CacheService } from '../../cache/cache-service.ts';
import { cacheKeys, cacheTags } from '../../cache/keys.ts';
import { userKey, type DatabaseRouter } from '../../data/database-router.ts';
import { SidecarError } from '../../errors.ts';
import { queryDigest, scopeOf, type Viewer } from './viewer.ts';

/** A value now, or a promise of it: a read this process's cache answers needs no turn of the event loop. */
export type MaybeAsync<T> = T | Promise<T>;

/** `f` of the value: now when the value is there now, else when it comes. */
export function whenReady<T, R>(v: MaybeAsync<T>, f: (value: T) => R): MaybeAsync<R> {
  return v instanceof Promise ? (v.then(f) as Promise<R>) : f(v);
}

/**
 * Loads a read's value. `caller` is what the loader passes to the database router's `forRead`
 * and `allForRead`: the viewer's read-your-writes key right after they wrote (their reads see the
 * writer), else null (any healthy replica).
 */
export type Load<T> = (caller: string | null) => Promise<T>;

/**
 * What every billing read shares: which rows a viewer may ask for, whether the read must see the
 * writer (the viewer just wrote) and caching with the right tags.
 */
export class BillingReads {
  constructor(
    private readonly db: DatabaseRouter,
    private readonly cache: CacheService,
  ) {}

  /** The user filter a query runs with: admins any (or all), everyone else only themselves. */
  userScope(v: Viewer, requested: number | undefined): number | undefined {
    if (v.admin) return requested;
    if (v.userId === null) throw new SidecarError('rest_forbidden', 'Sorry, you are not allowed to do that.', 403);
    if (requested !== undefined && requested !== v.userId) {
      throw new SidecarError('rest_forbidden', 'Sorry, you are not allowed to see the billing data of other users.', 403, {
        params: { user_id: 'not allowed' },
      });
    }
    return v.userId;
  }

  /**
   * Runs `load` through the cache. Right after the viewer wrote, it reads the writer and skips the
   * cache too: another node could have refilled it from a replica that has not caught up. Without
   * replicas there is no such moment, and a value this process's cache holds is answered as it
   * is, not as a promise.
   */
  read<T>(v: Viewer, key: string, tags: string[], load: Load<T>, ttlSec?: number): MaybeAsync<T> {
    if (!this.db.hasReplicas) {
      const held = this.cache.peek<T>(key);
      if (held !== undefined) return held;
    }
    return this.readThrough(v, key, tags, load, ttlSec);
  }

  private async readThrough<T>(v: Viewer, key: string, tags: string[], load: Load<T>, ttlSec?: number): Promise<T> {
    const caller = v.userId === null ? null : userKey(v.userId);
    if (caller !== null && this.db.hasReplicas && (await this.db.wroteRecently(caller))) return load(caller);
    return this.cache.wrap(key, () => load(null), { tags, ...(ttlSec ? { ttlSec } : {}) });
  }

  /** A list or aggregate restricted to `userId` (or all users). */
  scoped<T>(v: Viewer, kind: string, userId: number | undefined, query: unknown, load: Load<T>): MaybeAsync<T> {
    const { scope, tags } = scopeOf(userId);
    return this.read(v, cacheKeys.billingQuery(kind, scope, queryDigest(query)), tags, load);
  }

  /** One row by id; tagged `billing`, so any billing change drops it. */
  item<T>(v: Viewer, kind: string, id: number, load: Load<T>): MaybeAsync<T> {
    return this.read(v, cacheKeys.billingItem(kind, id), [cacheTags.billing], load);
  }
}
