import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { ADMIN_ID, asUser, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, type JsonResponse } from '../helpers/http.ts';
import { sample } from '../helpers/monitoring.ts';
import { BILLING_TABLES, serverConnection, shardedCopy, type ShardedCopy } from '../helpers/shards.ts';
import { startSidecar, NS, type InProcessSidecar } from '../helpers/sidecar.ts';

const SHARDS = 3;
const HEALTH_TOKEN = 'shards-e2e-health-token';

/**
 * SLBP_SHARDS with 3 shard databases on this MariaDB, prepared by `slbp migrate`: the demo
 * data's transactions, subscriptions and enrolment logs are spread by `user_id % 3`, and a second
 * sidecar reads one unsharded copy. The sharded sidecar's own database holds every table but
 * without billing rows, so each answer it gives about them came from the shards.
 * (Rows the sidecar writes itself: test/e2e/shard-writes.test.ts.)
 */
describe('billing shards (SLBP_SHARDS, user_id % 3)', function () {
  this.timeout(120_000);
  let source: TestDb;
  let admin: mysql.Connection;
  let layout: ShardedCopy;
  let shardNames: string[];
  let unsharded: InProcessSidecar;
  let sharded: InProcessSidecar;
  let tx: string;

  const get = (sc: InProcessSidecar, path: string, as = ADMIN_ID): Promise<JsonResponse> =>
    call(`${sc.url}${NS}${path}`, asUser(as, 'GET', `${NS}${path}`));

  before(async () => {
    source = await createTestDb({ size: 'small' });
    tx = `${source.prefix}slbp_transactions`;
    admin = await serverConnection();
    layout = await shardedCopy(admin, source, SHARDS, `${process.pid}_${randomBytes(3).toString('hex')}`);
    shardNames = layout.shards;
    const env = { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET, SLBP_HEALTH_TOKEN: HEALTH_TOKEN };
    unsharded = await startSidecar(source, { env });
    sharded = await startSidecar({ ...source, name: layout.main }, { env: { ...env, SLBP_SHARDS: layout.spec } });
  });
  after(async () => {
    await unsharded?.stop();
    await sharded?.stop();
    await layout?.drop();
    await admin?.end();
    await source?.drop();
  });

  it('each shard holds exactly the users with user_id % 3 = its index, and none is empty', async () => {
    for (const table of BILLING_TABLES.map((t) => `${source.prefix}${t}`)) {
      const [[all]] = await admin.query<any[]>(`SELECT COUNT(*) AS n FROM \`${source.name}\`.\`${table}\``);
      let sum = 0;
      for (const [i, name] of shardNames.entries()) {
        const [rows] = await admin.query<any[]>(`SELECT user_id % ${SHARDS} AS s, COUNT(*) AS n FROM \`${name}\`.\`${table}\` GROUP BY s`);
        expect(
          rows.map((r) => Number(r.s)),
          table,
        ).to.deep.equal([i]);
        sum += Number(rows[0].n);
      }
      expect(sum, table).to.equal(Number(all.n));
    }
  });

  it('/health/detailed reports each shard: usable, then not once its table is gone', async () => {
    const shardsDetail = async () => {
      const res = await call(`${sharded.base}/health/detailed`, { headers: { Authorization: `Bearer ${HEALTH_TOKEN}` } });
      expect(res.status, res.text).to.be.oneOf([200, 503]);
      return res.body.service_checks.shards;
    };
    const ok = await shardsDetail();
    expect(ok.healthy).to.equal(true);
    expect(ok.shards.map((s: any) => s.healthy)).to.deep.equal([true, true, true]);
    await admin.query(`RENAME TABLE \`${shardNames[1]}\`.\`${tx}\` TO \`${shardNames[1]}\`.\`${tx}_away\``);
    try {
      const bad = await shardsDetail();
      expect(bad.healthy).to.equal(false);
      expect(bad.shards.map((s: any) => s.healthy)).to.deep.equal([true, false, true]);
    } finally {
      await admin.query(`RENAME TABLE \`${shardNames[1]}\`.\`${tx}_away\` TO \`${shardNames[1]}\`.\`${tx}\``);
    }
  });

  for (const [list, order, perPage] of [
    ['transactions', 'orderby=created_at&order=desc', 100],
    ['transactions', 'orderby=amount&order=asc', 37],
    ['transactions', 'orderby=id&order=desc', 100],
    ['subscriptions', 'orderby=next_billing_date&order=asc', 9],
    ['subscriptions', 'orderby=amount&order=desc', 13],
  ] as const) {
    it(`the admin ${list} list (${order}, ${perPage} per page) equals the unsharded list page by page, with the same X-WP-Total`, async () => {
      let page = 1;
      let pages: number;
      let seen = 0;
      for (;;) {
        const path = `/${list}?${order}&per_page=${perPage}&page=${page}`;
        const [want, got] = await Promise.all([get(unsharded, path), get(sharded, path)]);
        expect(want.status, want.text).to.equal(200);
        expect(got.status, got.text).to.equal(200);
        expect(got.headers.get('x-wp-total')).to.equal(want.headers.get('x-wp-total'));
        expect(got.headers.get('x-wp-totalpages')).to.equal(want.headers.get('x-wp-totalpages'));
        expect(got.body, `page ${page}`).to.deep.equal(want.body);
        pages = Number(want.headers.get('x-wp-totalpages'));
        seen += want.body.length;
        if (page >= pages) break;
        page++;
      }
      expect(pages).to.be.greaterThan(10);
      const [[all]] = await admin.query<any[]>(`SELECT COUNT(*) AS n FROM \`${source.name}\`.\`${source.prefix}slbp_${list}\``);
      expect(seen).to.equal(Number(all.n));
    });
  }

  it('filtered admin lists (status, one currency) and revenue and subscription analytics agree with the unsharded copy', async () => {
    for (const path of [
      '/transactions?status=completed&per_page=50&page=3',
      '/transactions?currency=EUR&per_page=20&page=2',
      '/subscriptions?status=active&per_page=10&page=2',
      '/analytics/revenue?period=12m',
      '/analytics/revenue?period=90d&currency=USD',
      '/analytics/subscriptions?period=12m',
    ]) {
      const [want, got] = await Promise.all([get(unsharded, path), get(sharded, path)]);
      expect(want.status, `${path}: ${want.text}`).to.equal(200);
      expect(got.status, got.text).to.equal(200);
      expect(got.headers.get('x-wp-total'), path).to.equal(want.headers.get('x-wp-total'));
      expect(got.body, path).to.deep.equal(want.body);
      expect(JSON.stringify(want.body), `${path} has data`).to.match(/[1-9]/);
    }
  });

  it('the business gauges in /metrics sum the shards and equal the unsharded copy', async () => {
    const scrape = async (sc: InProcessSidecar) => {
      const res = await get(sc, '/metrics');
      expect(res.status, res.text.slice(0, 200)).to.equal(200);
      return res.text;
    };
    const [mine, reference] = await Promise.all([scrape(sharded), scrape(unsharded)]);
    for (const name of [
      'slbp_business_transactions_24h',
      'slbp_business_active_subscriptions',
      'slbp_business_failed_transactions_1h',
      'slbp_background_queue_pending',
    ]) {
      expect(sample(mine, name), name).to.be.a('number').and.equal(sample(reference, name));
    }
    expect(sample(mine, 'slbp_business_active_subscriptions')).to.be.above(0);
  });

  it("a user's lists, summary, courses and single rows come from that user's shard only", async () => {
    const [[busy]] = await admin.query<any[]>(
      `SELECT user_id AS u, MIN(id) AS id FROM \`${source.name}\`.\`${tx}\` GROUP BY user_id ORDER BY COUNT(*) DESC LIMIT 1`,
    );
    const user = Number(busy.u);
    const [[sub]] = await admin.query<any[]>(
      `SELECT id FROM \`${source.name}\`.\`${source.prefix}slbp_subscriptions\` WHERE user_id = ? ORDER BY id LIMIT 1`,
      [user],
    );
    const paths = [
      `/transactions?user_id=${user}&per_page=100`,
      `/billing/summary?user_id=${user}`,
      `/transactions/${busy.id}`,
      `/subscriptions?user_id=${user}`,
      `/courses/enrolled?user_id=${user}`,
      ...(sub ? [`/subscriptions/${sub.id}`] : []),
    ];
    for (const path of paths) {
      const [want, got] = await Promise.all([get(unsharded, path), get(sharded, path)]);
      expect(want.status, want.text).to.equal(200);
      expect(got.body, path).to.deep.equal(want.body);
      if (Array.isArray(want.body)) expect(want.body.length, `${path} has rows`).to.be.greaterThan(0);
    }
    // A stray row for this user on another shard is never read: user-scoped queries go to one shard.
    const other = shardNames[(user + 1) % SHARDS]!;
    await admin.query(
      `INSERT INTO \`${other}\`.\`${tx}\` (id, user_id, order_id, transaction_id, payment_gateway, amount, currency, status, created_at, updated_at)
      VALUES (999999, ?, 'stray', 'stray', 'lemon_squeezy', '1.00', 'USD', 'completed', UTC_TIMESTAMP(), UTC_TIMESTAMP())`,
      [user],
    );
    try {
      const got = await get(sharded, `/transactions?user_id=${user}&per_page=100&orderby=id&order=desc`);
      expect(got.status, got.text).to.equal(200);
      expect(got.body.length).to.be.greaterThan(0);
      expect(got.body.map((r: any) => Number(r.id))).to.not.include(999999);
      expect(got.body.every((r: any) => Number(r.user_id) === user)).to.equal(true);
    } finally {
      await admin.query(`DELETE FROM \`${other}\`.\`${tx}\` WHERE id = 999999`);
    }
  });
});
