import { expect } from 'chai';
import { DEMO_WEBHOOK_SECRET } from '../../scripts/lib/demo-data.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/http.ts';
import { cleanRedisPrefix, testRedisPrefix } from '../helpers/redis.ts';
import { sidecarEnv, type ChildSidecar } from '../helpers/sidecar.ts';
import { spawnReady } from '../helpers/spawn-ready.ts';
import { orderData, signedDelivery, subscriptionData, webhookBody } from '../fixtures/lemon-squeezy.ts';

describe('Lemon Squeezy webhook idempotency (sidecar processes)', function () {
  this.timeout(90_000);
  let db: TestDb;
  let sc: ChildSidecar | null = null;
  const prefix = testRedisPrefix();
  let env: Record<string, string>;

  const snapshot = async () => {
    const p = db.prefix;
    const [[c]] = await db.pool.query<any>(`SELECT
      (SELECT COUNT(*) FROM ${p}slbp_transactions) AS tx, (SELECT COUNT(*) FROM ${p}slbp_subscriptions) AS subs,
      (SELECT COUNT(*) FROM ${p}slbp_enrollment_logs) AS enrol, (SELECT COUNT(*) FROM ${p}users) AS users,
      (SELECT COUNT(*) FROM ${p}usermeta) AS meta, (SELECT MD5(GROUP_CONCAT(CONCAT_WS('|', id, user_id, status, amount) ORDER BY id)) FROM ${p}slbp_transactions) AS tx_sum`);
    return c as { tx: number; subs: number; enrol: number; users: number; meta: number };
  };
  const logStatuses = async () =>
    (await db.pool.query<any>(`SELECT status, COUNT(*) AS n FROM ${db.prefix}slbp_webhook_logs GROUP BY status ORDER BY status`))[0];

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    env = sidecarEnv(db, {}, prefix);
    sc = await spawnReady(env);
  });
  after(async () => {
    await sc?.stop();
    await cleanRedisPrefix(prefix);
    await db?.drop();
  });

  it('the same delivery 5 times at once, then after a Redis flush and a restart, leaves one set of rows', async () => {
    const order = signedDelivery(
      webhookBody('order_created', orderData({ id: 9100, email: 'twice@example.test', productId: 900_001, total: 12_345 })),
      DEMO_WEBHOOK_SECRET,
    );
    // A different event for the same new buyer, racing the duplicates: still one account.
    const sub = signedDelivery(
      webhookBody(
        'subscription_created',
        subscriptionData({
          id: 9200,
          orderId: 9100,
          email: 'twice@example.test',
          productId: 900_001,
          status: 'active',
          updatedAt: '2026-11-20T10:00:01.000000Z',
        }),
      ),
      DEMO_WEBHOOK_SECRET,
    );
    const before = await snapshot();
    const answers = await Promise.all([
      ...Array.from({ length: 5 }, () => call(`${sc!.base}/webhooks/lemon-squeezy`, order)),
      call(`${sc!.base}/webhooks/lemon-squeezy`, sub),
    ]);
    expect(answers.map((a) => a.status)).to.deep.equal([200, 200, 200, 200, 200, 200]);
    const orderAnswers = answers.slice(0, 5).map((a) => a.body);
    expect(orderAnswers.filter((b) => b.processed === true)).to.have.length(1);
    expect(orderAnswers.filter((b) => b.duplicate === true)).to.have.length(4);
    expect(answers[5]!.body).to.deep.equal({ received: true, processed: true });

    const once = await snapshot();
    expect(once.tx - before.tx).to.equal(1);
    expect(once.subs - before.subs).to.equal(1);
    expect(once.users - before.users).to.equal(1);
    expect(once.enrol - before.enrol).to.equal(1);
    const [[tx]] = await db.pool.query<any>(`SELECT amount, status FROM ${db.prefix}slbp_transactions WHERE order_id = '9100'`);
    expect(tx).to.deep.equal({ amount: '123.45', status: 'completed' });
    expect(await logStatuses()).to.deep.equal([
      { status: 'duplicate', n: 4 },
      { status: 'processed', n: 2 },
    ]);

    await cleanRedisPrefix(prefix);
    await sc!.stop();
    sc = await spawnReady(env);
    const again = await Promise.all([
      call(`${sc.base}/webhooks/lemon-squeezy`, order),
      call(`${sc.url}/wp-json/slbp/v1/webhook/lemon_squeezy`, sub),
    ]);
    expect(again.map((a) => a.body)).to.deep.equal([
      { received: true, processed: false, duplicate: true },
      { received: true, processed: false, duplicate: true },
    ]);
    expect(await snapshot()).to.deep.equal(once);
    expect(await logStatuses()).to.deep.equal([
      { status: 'duplicate', n: 6 },
      { status: 'processed', n: 2 },
    ]);
  });
});
