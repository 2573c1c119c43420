import { Argument, type Command } from 'commander';
import { Database } from '../../data/database.ts';
import { migrateDown, migrateUp, migrationSteps } from '../../data/migrations/index.ts';
import { alignShardIds, prepareShard, unprepareShard } from '../../data/migrations/shards.ts';
import { createTables } from '../../data/tables.ts';
import type { Cli } from '../cli.ts';
import { progress } from '../progress.ts';

export function registerMigrate(program: Command, cli: Cli): void {
  program
    .command('migrate')
    .description("add (up) or remove (down) the sidecar's indexes; with SLBP_SHARDS also prepare every billing shard")
    .addArgument(new Argument('[direction]', 'up or down').choices(['up', 'down']).default('up'))
    .option('--to <id>', 'down: stop after reverting this migration')
    .action(async (direction: string, opts: { to?: string }) => {
      const config = cli.config();
      // Index builds on large tables take minutes: no query timeout short enough to cut one off.
      const db = new Database({ ...config.db, queryTimeoutMs: 30 * 60_000 });
      try {
        const tables = createTables(config.db.tablePrefix);
        const shards = db.shardQueryables();
        const done: string[] = [];
        if (direction === 'up') {
          const bar = progress(cli.io, {
            label: 'migrate',
            total: migrationSteps() + shards.length + (shards.length ? 1 : 0),
            unit: 'items',
            noun: 'steps',
          });
          let steps = 0;
          done.push(...(await migrateUp(db.write, tables, () => bar.update(++steps))));
          for (const [i, shard] of shards.entries()) {
            done.push(...(await prepareShard(db.write, shard, tables)).map((s) => `shard ${i}: ${s}`));
            bar.update(++steps);
          }
          if (shards.length) done.push(...(await alignShardIds(db.write, shards, tables)));
          bar.finish();
        } else {
          done.push(...(await migrateDown(db.write, tables, opts.to)));
          for (const [i, shard] of shards.entries()) done.push(...(await unprepareShard(shard, tables)).map((s) => `shard ${i}: ${s}`));
        }
        cli.out(done.length ? done.join('\n') : `nothing to do (${direction})`);
      } finally {
        await db.close();
      }
    });
}
