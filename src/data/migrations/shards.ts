import type { Queryable } from '../database.ts';
import type { Tables } from '../tables.ts';
import { BILLING_INDEXES } from './0001-billing-indexes.ts';
import { addIndexes, dropIndexes } from './migration.ts';

/**
 * The tables a billing shard holds: its users' billing rows, and an options table of its own for
 * the Lemon Squeezy idempotency ledger, which commits with those rows
 * (docs/decisions/0019-shard-writes.md).
 */
export function shardTables(t: Tables): string[] {
  return [t.slbp.transactions, t.slbp.subscriptions, t.slbp.enrollment_logs, t.core.options];
}

const shardIndexes = (t: Tables) => BILLING_INDEXES.filter((s) => shardTables(t).includes(s.table(t)));

/**
 * Creates each missing shard table with the main database's own definition (SHOW CREATE TABLE:
 * same columns, keys and collation), then the sidecar's billing indexes on them. Idempotent;
 * resolves to what it did. Run `alignShardIds` once every shard is prepared and holds its rows.
 */
export async function prepareShard(main: Queryable, shard: Queryable, tables: Tables): Promise<string[]> {
  const done: string[] = [];
  for (const table of shardTables(tables)) {
    const exists = await shard.query<unknown[]>(
      'SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?',
      [table],
    );
    if (exists.length) continue;
    const [def] = await main.query<Record<string, string>[]>(`SHOW CREATE TABLE \`${table}\``);
    const ddl = def?.['Create Table'];
    if (!ddl) throw new Error(`the main database has no table ${table} to copy to the shard`);
    await shard.query(ddl.replace(/^CREATE TABLE/, 'CREATE TABLE IF NOT EXISTS'));
    done.push(`created ${table}`);
  }
  done.push(...(await addIndexes(shard, tables, shardIndexes(tables))));
  return done;
}

/**
 * Moves each shard's id counter of the billing tables above the highest id on the main database
 * and on every shard. The sidecar writes shard i with ids ≡ i + 1 (mod N) (src/data/database.ts),
 * so from there on new ids never meet each other nor a row that was moved with its id: ids stay
 * unique across shards, as lists merged by id and lookups by id need. Only ever raises a counter.
 */
export async function alignShardIds(main: Queryable, shards: readonly Queryable[], tables: Tables): Promise<string[]> {
  const done: string[] = [];
  for (const table of [tables.slbp.transactions, tables.slbp.subscriptions, tables.slbp.enrollment_logs]) {
    const maxOf = async (q: Queryable) =>
      Number((await q.query<{ m: number | string | null }[]>(`SELECT MAX(id) AS m FROM \`${table}\``))[0]?.m ?? 0);
    const highest = Math.max(await maxOf(main), ...(await Promise.all(shards.map(maxOf))));
    for (const [i, shard] of shards.entries()) {
      const [row] = await shard.query<{ n: number | string | null }[]>(
        'SELECT AUTO_INCREMENT AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?',
        [table],
      );
      if (Number(row?.n ?? 0) > highest) continue;
      await shard.query(`ALTER TABLE \`${table}\` AUTO_INCREMENT = ${highest + 1}`);
      done.push(`shard ${i}: ${table} ids continue after ${highest}`);
    }
  }
  return done;
}

/** Drops the sidecar's indexes from a shard's tables (the tables and their rows stay). */
export function unprepareShard(shard: Queryable, tables: Tables): Promise<string[]> {
  return dropIndexes(shard, tables, shardIndexes(tables));
}
