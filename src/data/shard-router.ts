import type { Database, Queryable } from './database.ts';
import type { SortOrder } from './read-models/where.ts';
import { mergedWindow, ShardMap, type ShardSlice } from './shards.ts';

/**
 * The billing shards configured in SLBP_SHARDS, each a database holding the plugin's billing
 * tables. A user's rows live on shard `user_id % N`; user-scoped reads go there, admin lists and
 * aggregates ask every shard. `null` from `fromDatabase` means unsharded (one database).
 */
export class ShardRouter extends ShardMap<Queryable> {
  static fromDatabase(db: Database): ShardRouter | null {
    const pools = db.shardQueryables();
    return pools.length ? new ShardRouter(pools) : null;
  }

  /**
   * The `offset`/`limit` window of a list ordered by `column` (then id, as `orderBy` in
   * read-models/where.ts sorts), merged across every shard; totals are summed.
   */
  listWindow<R extends { id: number | string }>(
    fetch: (shard: Queryable, limit: number) => Promise<ShardSlice<R>>,
    order: { column: keyof R & string; kind: 'id' | 'text' | 'decimal'; order: SortOrder },
    offset: number,
    limit: number,
  ): Promise<ShardSlice<R>> {
    return mergedWindow(this.shards, fetch, sqlOrder(order.column, order.kind, order.order), offset, limit);
  }
}

/** Compares DECIMAL strings exactly ("12.5" vs "12.50", negatives, long integer parts). */
export function compareDecimal(a: string, b: string): number {
  const scale = (s: string) => {
    const neg = s.trim().startsWith('-');
    const [int = '0', frac = ''] = s.trim().replace(/^[-+]/, '').split('.');
    return { neg, int: BigInt(int || '0'), frac };
  };
  const x = scale(a);
  const y = scale(b);
  const width = Math.max(x.frac.length, y.frac.length);
  const value = (v: ReturnType<typeof scale>) => {
    const n = v.int * 10n ** BigInt(width) + BigInt(v.frac.padEnd(width, '0') || '0');
    return v.neg ? -n : n;
  };
  const d = value(x) - value(y);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

const compareId = (a: number | string, b: number | string) => {
  const d = BigInt(a) - BigInt(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
};

/**
 * The JavaScript twin of `ORDER BY column dir, id dir`: NULL sorts first ascending and last
 * descending, as in MariaDB; dates come back as 'YYYY-MM-DD HH:MM:SS' strings, which sort as text.
 */
export function sqlOrder<R extends { id: number | string }>(
  column: keyof R & string,
  kind: 'id' | 'text' | 'decimal',
  order: SortOrder,
): (a: R, b: R) => number {
  const dir = order === 'asc' ? 1 : -1;
  const value = (a: unknown, b: unknown): number => {
    if (a === null || a === undefined) return b === null || b === undefined ? 0 : -1;
    if (b === null || b === undefined) return 1;
    if (kind === 'decimal') return compareDecimal(String(a), String(b));
    if (kind === 'id') return compareId(a as string, b as string);
    return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
  };
  return (a, b) => dir * (value(a[column], b[column]) || compareId(a.id, b.id));
}
