import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { projectRoot } from '../../src/config/load.ts';
import { migrateDown, migrateUp } from '../../src/data/migrations/index.ts';
import { BILLING_INDEXES } from '../../src/data/migrations/0001-billing-indexes.ts';
import { createTables } from '../../src/data/tables.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';

describe('billing index migration', () => {
  let db: TestDb;
  const q = { query: async (s: string, p?: unknown[]) => (await db.pool.query(s, p))[0] as any };
  const indexes = async () => {
    const [rows] = await db.pool.query<any>(
      `SELECT TABLE_NAME t, INDEX_NAME i, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) c FROM information_schema.STATISTICS
       WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'shop\\_slbp\\_%' GROUP BY TABLE_NAME, INDEX_NAME ORDER BY 1, 2`,
    );
    return rows.map((r: any) => `${r.t}.${r.i}(${r.c})`);
  };

  before(async () => {
    db = await createTestDb({ size: null, prefix: 'shop_' });
  });
  after(async () => {
    await db?.drop();
  });

  it("adds its indexes once, leaves the plugin's alone, and reverses exactly", async () => {
    const tables = createTables('shop_');
    const original = await indexes();
    const added = await migrateUp(q, tables);
    expect(added).to.have.length(BILLING_INDEXES.length);
    const after = await indexes();
    expect(after.filter((i: string) => !original.includes(i)).map((i: string) => i.split('.')[1]!.split('(')[0])).to.have.members(
      BILLING_INDEXES.map((s) => s.name),
    );
    expect(original.every((i: string) => after.includes(i))).to.equal(true);
    expect(after).to.include('shop_slbp_transactions.slbp_sc_status_created(status,created_at,currency,amount)');

    expect(await migrateUp(q, tables)).to.deep.equal([]);
    expect(await indexes()).to.deep.equal(after);

    expect(await migrateDown(q, tables)).to.have.length(BILLING_INDEXES.length);
    expect(await indexes()).to.deep.equal(original);
    expect(await migrateDown(q, tables)).to.deep.equal([]);
  });

  it("runs from the command line with the sidecar's settings", async () => {
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      SLBP_ENV: 'test',
      DB_HOST: '127.0.0.1',
      DB_NAME: db.name,
      DB_USER: 'root',
      DB_PASSWORD: '',
      SLBP_TABLE_PREFIX: 'shop_',
    };
    const up = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'migrate', 'up'], {
      cwd: projectRoot,
      env,
      encoding: 'utf8',
    });
    expect(up.status, up.stderr).to.equal(0);
    expect(up.stdout).to.match(/added shop_slbp_transactions\.slbp_sc_user_created/);
    expect(up.stderr).to.include(`migrate: 100% (${BILLING_INDEXES.length} of ${BILLING_INDEXES.length} steps)`);
    expect(up.stderr).to.match(new RegExp(`^migrate: done, ${BILLING_INDEXES.length} steps in [\\d.]+ s$`, 'm'));
    expect(await indexes()).to.include('shop_slbp_transactions.slbp_sc_user_created(user_id,created_at)');
    await migrateDown(q, createTables('shop_'));
  });
});
