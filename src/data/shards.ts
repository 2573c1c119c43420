/**
 * The operations guide's sharding strategy: a user's billing rows live on shard `user_id % N`.
 * User-scoped queries go to that one shard; admin lists and analytics ask every shard and merge.
 * The billing service takes its shards from src/data/shard-router.ts (SLBP_SHARDS).
 */

/** The shard index of a WordPress user id (a non-negative whole number) among `count` shards. */
export function shardIndex(userId: number | bigint | string, count: number): number {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`shard count must be a whole number ≥ 1, got ${count}`);
  let id: bigint;
  try {
    id = BigInt(userId);
  } catch {
    throw new RangeError(`user id must be a whole number, got ${String(userId)}`);
  }
  if (id < 0n) throw new RangeError(`user id must not be negative, got ${id}`);
  // BIGINT UNSIGNED ids may exceed 2^53: compute the remainder exactly.
  return Number(id % BigInt(count));
}

/** A fixed list of shards (pools, Queryables, ...) addressed by user id. */
export class ShardMap<T> {
  constructor(readonly shards: readonly T[]) {
    if (!shards.length) throw new RangeError('at least one shard is needed');
  }

  get count(): number {
    return this.shards.length;
  }

  indexFor(userId: number | bigint | string): number {
    return shardIndex(userId, this.shards.length);
  }

  /** The shard holding `userId`'s rows. */
  forUser(userId: number | bigint | string): T {
    return this.shards[this.indexFor(userId)]!;
  }
}

/** One shard's answer for a merged list: its first `limit` rows in list order, and its total. */
export interface ShardSlice<R> {
  rows: R[];
  total: number;
}
export interface MergedPage<R> {
  rows: R[];
  total: number;
  totalPages: number;
}

/**
 * Page `page` (1-based) of a list spread over shards, identical to the same page of the list
 * computed on one unsharded copy. Each shard is asked for its first `page × perPage` rows in
 * the list's order (`compare`) and its total; the slices are merged and the page cut out.
 * `compare` must be a total order (end with a unique key such as the id); rows that still
 * compare equal are ordered by shard index so pages never overlap. Deep pages cost
 * `page × perPage` rows per shard: for exports, walk with keyset pagination instead.
 */
export async function mergedPage<S, R>(
  shards: readonly S[],
  fetchSlice: (shard: S, limit: number) => Promise<ShardSlice<R>>,
  compare: (a: R, b: R) => number,
  page: number,
  perPage: number,
): Promise<MergedPage<R>> {
  if (!Number.isInteger(page) || page < 1 || !Number.isInteger(perPage) || perPage < 1)
    throw new RangeError('page and perPage must be whole numbers ≥ 1');
  const { rows, total } = await mergedWindow(shards, fetchSlice, compare, (page - 1) * perPage, perPage);
  return { rows, total, totalPages: Math.ceil(total / perPage) };
}

/**
 * Rows `offset` .. `offset + limit - 1` of the merged list (the routes' LIMIT/OFFSET window);
 * each shard is asked for its first `offset + limit` rows. Same contract as `mergedPage`.
 */
export async function mergedWindow<S, R>(
  shards: readonly S[],
  fetchSlice: (shard: S, limit: number) => Promise<ShardSlice<R>>,
  compare: (a: R, b: R) => number,
  offset: number,
  perPage: number,
): Promise<ShardSlice<R>> {
  if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(perPage) || perPage < 1)
    throw new RangeError('offset must be a whole number ≥ 0 and perPage ≥ 1');
  const limit = offset + perPage;
  const slices = await Promise.all(shards.map((s) => fetchSlice(s, limit)));
  const total = slices.reduce((n, s) => n + s.total, 0);
  // k-way merge of already sorted slices, stopping once the page is complete.
  const pos = slices.map(() => 0);
  const merged: R[] = [];
  while (merged.length < limit) {
    let best = -1;
    for (let i = 0; i < slices.length; i++) {
      const row = slices[i]!.rows[pos[i]!];
      if (row === undefined) continue;
      if (best < 0 || compare(row, slices[best]!.rows[pos[best]!]!) < 0) best = i;
    }
    if (best < 0) break;
    merged.push(slices[best]!.rows[pos[best]!]!);
    pos[best]!++;
  }
  return { rows: merged.slice(offset), total };
}

/** Runs `query` on every shard and folds the answers (sums, counts, grouped totals). */
export async function aggregateShards<S, A, T>(
  shards: readonly S[],
  query: (shard: S) => Promise<A>,
  combine: (parts: A[]) => T,
): Promise<T> {
  return combine(await Promise.all(shards.map(query)));
}
