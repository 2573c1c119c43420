/**
 * Applies (or reverts) the sidecar's schema migrations on the configured database, and with
 * SLBP_SHARDS prepares every billing shard: its tables, copied from the main database's
 * definitions, their indexes, and id counters above every id in use (run it again after moving
 * rows to the shards); `down` drops only the indexes.
 * Usage: tsx scripts/migrate.ts [up|down] [--to <id>] [--wp-config path]   (settings as for the sidecar)
 * Both directions are idempotent; the plugin's own columns and indexes are never changed.
 */
import { loadConfig } from '../src/config/load.ts';
import { Database } from '../src/data/database.ts';
import { migrateDown, migrateUp } from '../src/data/migrations/index.ts';
import { alignShardIds, prepareShard, unprepareShard } from '../src/data/migrations/shards.ts';
import { createTables } from '../src/data/tables.ts';

const args = process.argv.slice(2);
let direction: 'up' | 'down' = 'up';
let toId: string | undefined;
const rest: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === 'up' || args[i] === 'down') direction = args[i] as 'up' | 'down';
  else if (args[i] === '--to') toId = args[++i];
  else rest.push(args[i]!);
}
// The sidecar's own loader: the same env, wp-config.php and --wp-config as the service.
const config = loadConfig({ argv: rest });
const db = new Database({ ...config.db, queryTimeoutMs: 30 * 60_000 });
try {
  const tables = createTables(config.db.tablePrefix);
  const done = direction === 'up' ? await migrateUp(db.write, tables) : await migrateDown(db.write, tables, toId);
  const shards = db.shardQueryables();
  for (const [i, shard] of shards.entries()) {
    const steps = direction === 'up' ? await prepareShard(db.write, shard, tables) : await unprepareShard(shard, tables);
    done.push(...steps.map((s) => `shard ${i}: ${s}`));
  }
  if (direction === 'up' && shards.length) done.push(...(await alignShardIds(db.write, shards, tables)));
  console.log(done.length ? done.join('\n') : `nothing to do (${direction})`);
} finally {
  await db.close();
}
