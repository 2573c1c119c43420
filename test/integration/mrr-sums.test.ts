import { expect } from 'chai';
import type { Queryable } from '../../src/data/database.ts';
import { mrrFromSums, RevenueReadModel } from '../../src/data/read-models/revenue-read-model.ts';
import { createTables } from '../../src/data/tables.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';

/**
 * MRR over shards: the per-shard sums added in JavaScript must give exactly what MariaDB's
 * `ROUND(SUM(x) / 12, 2)` gives over all rows in one table, half-cent cases included.
 */
describe('MRR and ARR from per-shard sums', () => {
  let db: TestDb;
  let q: Queryable;
  const PARTS = ['a_', 'b_', 'c_'];

  before(async () => {
    db = await createTestDb({ size: null });
    q = { query: async (sql, params) => (await db.pool.query(sql, params))[0] as any };
    for (const p of PARTS) await db.pool.query(`CREATE TABLE ${p}slbp_subscriptions LIKE ${db.prefix}slbp_subscriptions`);
  });
  after(async () => {
    await db?.drop();
  });

  it('adds the shards exactly and rounds once, like MariaDB over the whole table', async () => {
    // [currency, amount, cycle], split over three tables; GBP's yearly total is 6 cents, half a cent a month.
    const rows: [string, string, string][] = [
      ['USD', '0.50', 'monthly'],
      ['USD', '10.01', 'yearly'],
      ['USD', '3.33', 'weekly'],
      ['USD', '0.01', 'quarterly'],
      ['USD', '99999.99', 'monthly'],
      ['EUR', '0.07', 'yearly'],
      ['EUR', '12.34', 'monthly'],
      ['EUR', '0.05', 'yearly'],
      ['GBP', '0.06', 'yearly'],
    ];
    const all = `${db.prefix}slbp_subscriptions`;
    for (const [i, [currency, amount, cycle]] of rows.entries()) {
      for (const table of [all, `${PARTS[i % PARTS.length]}slbp_subscriptions`]) {
        await db.pool.query(
          `INSERT INTO ${table} (user_id, subscription_id, payment_gateway, plan_id, status, amount, currency, billing_cycle) VALUES (?, ?, 'lemon_squeezy', 'p', 'active', ?, ?, ?)`,
          [i + 1, `s${i}`, amount, currency, cycle],
        );
      }
    }
    const twelfths = `CASE WHEN billing_cycle IN ('yearly', 'annual', 'annually', 'year') THEN amount
      WHEN billing_cycle IN ('weekly', 'week') THEN amount * 52 WHEN billing_cycle IN ('quarterly', 'quarter') THEN amount * 4 ELSE amount * 12 END`;
    const [want] = await db.pool
      .query<any>(`SELECT currency, COUNT(*) AS active, ROUND(SUM(${twelfths}) / 12, 2) AS mrr, ROUND(SUM(${twelfths}), 2) AS arr
      FROM ${all} WHERE status = 'active' GROUP BY currency ORDER BY currency`);
    const parts = (await Promise.all(PARTS.map((p) => new RevenueReadModel(createTables(p)).mrrSums(q)))).flat();
    expect(parts.length).to.be.greaterThan(3);
    const got = mrrFromSums(parts);
    expect(got).to.deep.equal(want.map((r: any) => ({ currency: r.currency, active: Number(r.active), mrr: r.mrr, arr: r.arr })));
    // The half-cent case really is one: GBP 0.06 a year is 0.005 a month.
    expect(got.find((r) => r.currency === 'GBP')).to.deep.include({ mrr: '0.01', arr: '0.06' });
  });
});
