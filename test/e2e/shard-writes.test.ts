import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type mysql from 'mysql2/promise';
import { DEMO_WEBHOOK_SECRET, FIRST_STUDENT_ID } from '../../scripts/lib/demo-data.ts';
import { phpSerialize } from '../../src/data/php-serialize.ts';
import { ADMIN_ID, asUser, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, type JsonResponse } from '../helpers/http.ts';
import { GATEWAY_ENDS_AT, startLemonSqueezyServer } from '../helpers/lemon-squeezy-server.ts';
import { BILLING_TABLES, serverConnection, shardedCopy, unshardedCopy, type ShardedCopy } from '../helpers/shards.ts';
import { cleanRedisPrefix, NS, sidecarEnv, startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';
import { spawnReady } from '../helpers/spawn-ready.ts';
import { invoiceData, orderData, signedDelivery, subscriptionData, webhookBody } from '../fixtures/lemon-squeezy.ts';

const SHARDS = 3;
/** Demo course mappings: product 900001 + i → course 101 + i (4 courses in the tiny data set). */
const PRODUCT = 900_001;
/**
 * Buyers 0-4 are demo users (residues 1, 2, 0, 1, 2), named in custom_data and paying with their
 * own email (custom_data alone names no one); 5-7 are new buyers found by email.
 */
const KNOWN = [4, 5, 6, 7, 8];
const BUYERS = 8;
const email = (k: number) =>
  k < KNOWN.length ? `student${KNOWN[k]! - FIRST_STUDENT_ID + 1}@example.test` : `shard-buyer-${k}@example.test`;

/** Every delivery of buyer `k`, in order: an order, its subscription and invoices, then refunds, cancellations or an expiry. */
function deliveries(k: number): unknown[] {
  const custom = k < KNOWN.length ? { user_id: String(KNOWN[k]) } : undefined;
  const orderId = 71_000 + k;
  const subId = 72_000 + k;
  const productId = PRODUCT + (k % 4);
  const total = 1000 + 137 * k;
  const currency = k % 2 ? ('EUR' as const) : ('USD' as const);
  const sub = (status: 'active' | 'cancelled' | 'expired', updatedAt: string, endsAt: string | null = null) =>
    webhookBody(
      `subscription_${status === 'active' ? 'created' : status}`,
      subscriptionData({ id: subId, orderId, email: email(k), productId, status, endsAt, updatedAt }),
      custom,
    );
  const out: unknown[] = [
    webhookBody('order_created', orderData({ id: orderId, email: email(k), productId, total, currency }), custom),
    sub('active', '2026-11-20T10:00:01.000000Z'),
    webhookBody(
      'subscription_payment_success',
      invoiceData({ id: 73_000 + k, subscriptionId: subId, email: email(k), total: 900 + k, status: 'paid' }),
      custom,
    ),
  ];
  if (k % 3 === 1)
    out.push(
      webhookBody(
        'order_refunded',
        orderData({
          id: orderId,
          email: email(k),
          productId,
          total,
          currency,
          status: 'refunded',
          updatedAt: '2026-11-21T10:00:00.000000Z',
        }),
        custom,
      ),
    );
  if (k % 3 === 2) out.push(sub('cancelled', '2026-11-22T10:00:00.000000Z', '2030-01-01T00:00:00.000000Z'));
  // A new buyer's subscription expires: nothing else of theirs pays for its course (a demo user's
  // history has other paid orders for it, which keep the course).
  if (k === 6) out.push(sub('expired', '2026-11-23T10:00:00.000000Z', '2026-11-23T10:00:00.000000Z'));
  if (k === 5)
    out.push(
      webhookBody(
        'subscription_payment_failed',
        invoiceData({ id: 73_100 + k, subscriptionId: subId, email: email(k), total: 905, status: 'pending' }),
        custom,
      ),
    );
  if (k === 6)
    out.push(
      webhookBody(
        'subscription_payment_refunded',
        invoiceData({
          id: 73_000 + k,
          subscriptionId: subId,
          email: email(k),
          total: 906,
          status: 'refunded',
          updatedAt: '2026-11-26T10:00:00.000000Z',
        }),
        custom,
      ),
    );
  return out;
}

/** Columns compared between databases: all but the id, and but the time an enrolment log row was written. */
const COLUMNS: Record<(typeof BILLING_TABLES)[number], string> = {
  slbp_transactions:
    'user_id, order_id, transaction_id, payment_gateway, amount, currency, status, course_id, metadata, created_at, updated_at',
  slbp_subscriptions:
    'user_id, subscription_id, payment_gateway, plan_id, status, amount, currency, billing_cycle, next_billing_date, expires_at, expiry_notified, created_at, updated_at',
  slbp_enrollment_logs: 'user_id, course_id, action, status, transaction_id, lms, notes',
};

/**
 * Rows the sidecar writes with SLBP_SHARDS=3: real signed Lemon Squeezy webhooks for several
 * buyers go to a sharded sidecar and to an unsharded one on an identical copy of the data; every
 * check is independent SQL on the databases or a comparison with an unsharded sidecar.
 */
describe('billing writes on shards (SLBP_SHARDS=3, rows written by the sidecar)', function () {
  this.timeout(180_000);
  let source: TestDb;
  let admin: mysql.Connection;
  let layout: ShardedCopy;
  let gateway: Awaited<ReturnType<typeof startLemonSqueezyServer>>;
  let sharded: InProcessSidecar;
  let unsharded: InProcessSidecar;
  let copy: InProcessSidecar | null = null;
  const tag = `${process.pid}_${randomBytes(3).toString('hex')}`;
  const copyName = `slbp_t_${tag}_copy`;
  const users = new Map<number, number>();

  const q = async (sql: string, args: unknown[] = []) => (await admin.query<any[]>(sql, args))[0];
  const table = (db: string, t: string) => `\`${db}\`.\`${source.prefix}${t}\``;
  const hook = (sc: InProcessSidecar, body: unknown) =>
    call(`${sc.base}/webhooks/lemon-squeezy`, signedDelivery(body, DEMO_WEBHOOK_SECRET));
  const get = (sc: InProcessSidecar, path: string, as = ADMIN_ID): Promise<JsonResponse> =>
    call(`${sc.url}${NS}${path}`, asUser(as, 'GET', `${NS}${path}`));
  const sorted = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).sort();

  before(async () => {
    source = await createTestDb({ size: 'tiny' });
    admin = await serverConnection();
    layout = await shardedCopy(admin, source, SHARDS, tag);
    gateway = await startLemonSqueezyServer();
    const env = { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET, SLBP_LEMON_SQUEEZY_API_URL: gateway.url };
    unsharded = await startSidecar(source, { env });
    sharded = await startSidecar({ ...source, name: layout.main }, { env: { ...env, SLBP_SHARDS: layout.spec } });
    for (let k = 0; k < BUYERS; k++) {
      for (const body of deliveries(k)) {
        for (const sc of [sharded, unsharded]) {
          const res = await hook(sc, body);
          expect(
            [res.status, res.body],
            `${sc === sharded ? 'sharded' : 'unsharded'}: ${(body as any).meta.event_name} of buyer ${k}`,
          ).to.deep.equal([200, { received: true, processed: true }]);
        }
      }
      const [u] = await q(`SELECT ID FROM ${table(layout.main, 'users')} WHERE ID = ? OR user_email = ? ORDER BY ID LIMIT 1`, [
        KNOWN[k] ?? 0,
        email(k),
      ]);
      users.set(k, Number(u.ID));
    }
  });
  after(async () => {
    await copy?.stop();
    await sharded?.stop();
    await unsharded?.stop();
    await gateway?.close();
    await admin?.query(`DROP DATABASE IF EXISTS \`${copyName}\``);
    await layout?.drop();
    await admin?.end();
    await source?.drop();
  });

  it("puts each buyer's transactions, subscription and enrolment logs on shard user_id % 3 only, never on the main database", async () => {
    expect(new Set([...users.values()].map((u) => u % SHARDS))).to.deep.equal(new Set([0, 1, 2]));
    for (const t of BILLING_TABLES) {
      const [main] = await q(`SELECT COUNT(*) AS n FROM ${table(layout.main, t)}`);
      expect(Number(main.n), `${t} rows on the main database`).to.equal(0);
      for (const [i, shard] of layout.shards.entries()) {
        const [stray] = await q(`SELECT COUNT(*) AS n FROM ${table(shard, t)} WHERE user_id % ? <> ?`, [SHARDS, i]);
        expect(Number(stray.n), `${t} rows of other users on shard ${i}`).to.equal(0);
      }
    }
    for (const [k, user] of users) {
      const home = layout.shards[user % SHARDS]!;
      const [tx] = await q(`SELECT user_id, status FROM ${table(home, 'slbp_transactions')} WHERE order_id = ?`, [String(71_000 + k)]);
      expect(tx, `order of buyer ${k} on shard ${user % SHARDS}`).to.deep.equal({
        user_id: user,
        status: k % 3 === 1 ? 'refunded' : 'completed',
      });
      const [invoices] = await q(
        `SELECT COUNT(*) AS n FROM ${table(home, 'slbp_transactions')} WHERE user_id = ? AND order_id LIKE 'invoice\\_%'`,
        [user],
      );
      expect(Number(invoices.n)).to.equal(k === 5 ? 2 : 1);
      const [sub] = await q(`SELECT user_id, status FROM ${table(home, 'slbp_subscriptions')} WHERE subscription_id = ?`, [
        String(72_000 + k),
      ]);
      expect(sub).to.deep.equal({ user_id: user, status: k === 6 ? 'expired' : k % 3 === 2 ? 'cancelled' : 'active' });
      for (const shard of layout.shards.filter((s) => s !== home)) {
        for (const t of BILLING_TABLES)
          expect(
            (await q(`SELECT id FROM ${table(shard, t)} WHERE user_id = ?`, [user])).length,
            `${t} of user ${user} on ${shard}`,
          ).to.equal(0);
      }
    }
    const logs = await q(
      `SELECT action, course_id FROM ${table(layout.shards[users.get(6)! % SHARDS]!, 'slbp_enrollment_logs')} WHERE user_id = ? AND notes = 'Lemon Squeezy subscription 72006 expired'`,
      [users.get(6)],
    );
    expect(logs, 'the expiry unenrolled, logged on the shard').to.deep.equal([{ action: 'unenrolled', course_id: 103 }]);
  });

  it('writes exactly the rows and WordPress meta an unsharded sidecar writes for the same webhooks; ledger rows live on the shards', async () => {
    for (const t of BILLING_TABLES) {
      const want = await q(`SELECT ${COLUMNS[t]} FROM ${table(source.name, t)}`);
      const got = (await Promise.all(layout.shards.map((s) => q(`SELECT ${COLUMNS[t]} FROM ${table(s, t)}`)))).flat();
      expect(got.length, t).to.equal(want.length);
      expect(sorted(got), t).to.deep.equal(sorted(want));
    }
    const meta = (db: string) =>
      q(
        `SELECT user_id, meta_key FROM ${table(db, 'usermeta')} WHERE meta_key LIKE 'course\\_%\\_access\\_from' OR meta_key LIKE 'slbp\\_enrollment\\_%' ORDER BY user_id, meta_key`,
      );
    expect(await meta(layout.main)).to.deep.equal(await meta(source.name));
    const buyers = (db: string) =>
      q(`SELECT ID, user_login, user_email FROM ${table(db, 'users')} WHERE user_email LIKE 'shard-buyer-%' ORDER BY ID`);
    expect(await buyers(layout.main))
      .to.have.length(3)
      .and.deep.equal(await buyers(source.name));

    const ledger = (db: string) => q(`SELECT COUNT(*) AS n FROM ${table(db, 'options')} WHERE option_name LIKE '\\_slbp\\_ls\\_event\\_%'`);
    const deliveryCount = Array.from({ length: BUYERS }, (_, k) => deliveries(k).length).reduce((a, b) => a + b, 0);
    expect(Number((await ledger(layout.main))[0].n)).to.equal(0);
    expect(Number((await ledger(source.name))[0].n)).to.equal(deliveryCount);
    const perShard = await Promise.all(layout.shards.map(async (s) => Number((await ledger(s))[0].n)));
    expect(perShard.reduce((a, b) => a + b, 0)).to.equal(deliveryCount);
    expect(perShard.every((n) => n > 0)).to.equal(true);
  });

  it('gives ids that are unique across the shards, so an unsharded copy keeps them', async () => {
    for (const t of ['slbp_transactions', 'slbp_subscriptions']) {
      const ids = (await Promise.all(layout.shards.map((s) => q(`SELECT id FROM ${table(s, t)}`)))).flat().map((r) => Number(r.id));
      expect(new Set(ids).size, t).to.equal(ids.length);
    }
  });

  it('admin lists walked page by page equal the same lists of an unsharded copy, in several orders and page sizes', async () => {
    await unshardedCopy(admin, layout, source.prefix, copyName);
    copy = await startSidecar({ ...source, name: copyName }, { env: { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET } });
    const walks = [
      ['transactions', 'orderby=created_at&order=desc', 7],
      ['transactions', 'orderby=amount&order=asc', 11],
      ['transactions', 'orderby=id&order=desc', 25],
      ['transactions', 'status=refunded&orderby=created_at&order=asc', 3],
      ['subscriptions', 'orderby=created_at&order=desc', 6],
      ['subscriptions', 'orderby=next_billing_date&order=asc', 8],
      ['subscriptions', 'orderby=amount&order=desc', 10],
      ['subscriptions', 'orderby=id&order=asc', 17],
    ] as const;
    for (const [list, query, perPage] of walks) {
      let seen = 0;
      let pages: number;
      for (let page = 1; ; page++) {
        const path = `/${list}?${query}&per_page=${perPage}&page=${page}`;
        const [want, got] = await Promise.all([get(copy, path), get(sharded, path)]);
        expect(want.status, want.text).to.equal(200);
        expect(got.status, got.text).to.equal(200);
        expect(got.headers.get('x-wp-total'), path).to.equal(want.headers.get('x-wp-total'));
        expect(got.headers.get('x-wp-totalpages'), path).to.equal(want.headers.get('x-wp-totalpages'));
        expect(got.body, path).to.deep.equal(want.body);
        seen += want.body.length;
        pages = Number(want.headers.get('x-wp-totalpages'));
        if (page >= pages) break;
      }
      expect(pages, `${list}?${query}`).to.be.greaterThan(2);
      expect(seen).to.equal(Number((await get(copy, `/${list}?${query}&per_page=1`)).headers.get('x-wp-total')));
    }
  });

  it("a buyer's own lists, summary, courses and rows, and the analytics, equal the unsharded copy's", async () => {
    expect(copy, 'the copy sidecar of the previous test').to.not.equal(null);
    const [[row]] = [
      await q(`SELECT id FROM ${table(layout.shards[users.get(0)! % SHARDS]!, 'slbp_subscriptions')} WHERE subscription_id = '72000'`),
    ];
    const [[tx]] = [
      await q(`SELECT id FROM ${table(layout.shards[users.get(5)! % SHARDS]!, 'slbp_transactions')} WHERE order_id = '71005'`),
    ];
    const paths = [
      `/subscriptions/${row.id}`,
      `/transactions/${tx.id}`,
      `/transactions/${tx.id}/invoice`,
      '/analytics/revenue?period=12m',
      '/analytics/subscriptions?period=12m',
      '/analytics/revenue?period=30d&currency=EUR',
    ];
    for (const user of users.values())
      paths.push(
        `/transactions?user_id=${user}`,
        `/subscriptions?user_id=${user}`,
        `/billing/summary?user_id=${user}`,
        `/courses/enrolled?user_id=${user}`,
      );
    for (const path of paths) {
      const [want, got] = await Promise.all([get(copy!, path), get(sharded, path)]);
      expect(want.status, `${path}: ${want.text}`).to.equal(200);
      expect(got.body, path).to.deep.equal(want.body);
    }
  });

  it("5 concurrent copies of one webhook: one processed, four duplicates, one row on the buyer's shard", async () => {
    const body = webhookBody(
      'order_created',
      orderData({ id: 79_000, email: 'concurrent-shard@example.test', productId: PRODUCT + 2, total: 4321 }),
    );
    const answers = await Promise.all(Array.from({ length: 5 }, () => hook(sharded, body)));
    expect(answers.map((a) => a.status)).to.deep.equal([200, 200, 200, 200, 200]);
    expect(answers.filter((a) => a.body.processed === true)).to.have.length(1);
    expect(answers.filter((a) => a.body.duplicate === true)).to.have.length(4);
    const buyers = await q(`SELECT ID FROM ${table(layout.main, 'users')} WHERE user_email = 'concurrent-shard@example.test'`);
    expect(buyers).to.have.length(1);
    const user = Number(buyers[0].ID);
    const placed = await Promise.all(
      layout.shards.map(async (s) => await q(`SELECT user_id, amount FROM ${table(s, 'slbp_transactions')} WHERE order_id = '79000'`)),
    );
    expect(placed.map((rows) => rows.length)).to.deep.equal([0, 1, 2].map((i) => (i === user % SHARDS ? 1 : 0)));
    expect(placed[user % SHARDS]![0]).to.deep.equal({ user_id: user, amount: '43.21' });
    const logs = await q(
      `SELECT status, COUNT(*) AS n FROM ${table(layout.main, 'slbp_webhook_logs')} WHERE payload = ? GROUP BY status ORDER BY status`,
      [JSON.stringify(body)],
    );
    expect(logs.map((r: any) => [r.status, Number(r.n)])).to.deep.equal([
      ['duplicate', 4],
      ['processed', 1],
    ]);
  });

  it('cancel and resume of a webhook-written subscription change its row on its shard, after the gateway', async () => {
    const user = users.get(0)!;
    const home = layout.shards[user % SHARDS]!;
    const [row] = await q(`SELECT id, status FROM ${table(home, 'slbp_subscriptions')} WHERE subscription_id = '72000'`);
    expect(row.status).to.equal('active');
    const settings = { webhook_secret: DEMO_WEBHOOK_SECRET, lemon_squeezy_api_key: 'ls-shard-key', lemon_squeezy_store_id: '12345' };
    await admin.query(`UPDATE ${table(layout.main, 'options')} SET option_value = ? WHERE option_name = 'slbp_payment_settings'`, [
      phpSerialize(settings),
    ]);
    await sharded.container.settings.refresh();
    gateway.requests.length = 0;
    const post = (action: string) =>
      call(`${sharded.url}${NS}/subscriptions/${row.id}/${action}`, asUser(user, 'POST', `${NS}/subscriptions/${row.id}/${action}`));

    const cancelled = await post('cancel');
    expect(cancelled.status, cancelled.text).to.equal(200);
    expect(cancelled.body).to.include({ id: Number(row.id), status: 'cancelled', gateway_sync: 'synced' });
    const [onShard] = await q(`SELECT status, expires_at FROM ${table(home, 'slbp_subscriptions')} WHERE id = ?`, [row.id]);
    expect(onShard).to.deep.equal({ status: 'cancelled', expires_at: GATEWAY_ENDS_AT.slice(0, 19).replace('T', ' ') });
    expect((await get(sharded, `/subscriptions/${row.id}`, user)).body.status).to.equal('cancelled');

    const resumed = await post('resume');
    expect(resumed.body).to.include({ status: 'active', expires_at: null, gateway_sync: 'synced' });
    expect((await q(`SELECT status FROM ${table(home, 'slbp_subscriptions')} WHERE id = ?`, [row.id]))[0].status).to.equal('active');
    expect(gateway.requests.map((r) => [r.method, r.path, r.body.data.attributes.cancelled])).to.deep.equal([
      ['PATCH', '/v1/subscriptions/72000', true],
      ['PATCH', '/v1/subscriptions/72000', false],
    ]);
    for (const db of [layout.main, ...layout.shards.filter((s) => s !== home)]) {
      expect(await q(`SELECT id FROM ${table(db, 'slbp_subscriptions')} WHERE subscription_id = '72000'`), db).to.have.length(0);
    }
  });

  it('warns at start only that backups leave the shards out', async () => {
    const env = sidecarEnv({ ...source, name: layout.main }, { SLBP_SHARDS: layout.spec });
    const child = await spawnReady(env);
    try {
      const lines = child
        .output()
        .split('\n')
        .filter((l) => l.includes('SLBP_SHARDS'));
      expect(lines.map((l) => JSON.parse(l)).map((l) => [l.level, l.message])).to.deep.equal([
        ['warn', 'SLBP_SHARDS is set: backups cover the main database only, not the billing shards; back the shards up separately'],
      ]);
    } finally {
      await child.stop();
      await cleanRedisPrefix(env.SLBP_REDIS_PREFIX!);
    }
  });
});
