import { expect } from 'chai';
import { createHmac, randomBytes } from 'node:crypto';
import type mysql from 'mysql2/promise';
import { DEMO_WEBHOOK_SECRET } from '../../scripts/lib/demo-data.ts';
import { DatabaseRouter } from '../../src/data/database-router.ts';
import { phpSerialize } from '../../src/data/php-serialize.ts';
import { createPayments } from '../../src/features/payments.ts';
import { webhookAnswer } from '../../src/http/routes/webhooks.ts';
import { asUser, STUDENT_ID, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/http.ts';
import { BILLING_TABLES, serverConnection, shardedCopy, type ShardedCopy } from '../helpers/shards.ts';
import { NS, startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';
import { orderData, signedDelivery, subscriptionData, webhookBody } from '../fixtures/lemon-squeezy.ts';

const SHARDS = 3;
const DAY = 86_400_000;
const iso = (msFromNow: number) => new Date(Date.now() + msFromNow).toISOString().replace(/\.\d+Z$/, '.000000Z');

/** The real billing databases, except that the next `failures` shard commits after a main commit are lost (the process died in between). */
class LoseShardCommits extends DatabaseRouter {
  failures = 0;
  protected override async mainCommitted(): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('the connection to the shard was lost before its commit');
    }
  }
}

/**
 * What SLBP_SHARDS=3 does when a write spans the main database and a shard and the shard's commit
 * is lost after the main one, and the jobs that write billing rows (expiry, plugin import, export).
 */
describe('billing writes on shards: a lost shard commit, expiry, import and export', function () {
  this.timeout(180_000);
  let source: TestDb;
  let admin: mysql.Connection;
  let layout: ShardedCopy;
  let sc: InProcessSidecar;

  const q = async (sql: string, args: unknown[] = []) => (await admin.query<any[]>(sql, args))[0];
  const table = (db: string, t: string) => `\`${db}\`.\`${source.prefix}${t}\``;
  const shardOf = (user: number) => layout.shards[user % SHARDS]!;
  const records = async () =>
    Number((await q(`SELECT COUNT(*) AS n FROM ${table(layout.main, 'options')} WHERE option_name LIKE '\\_slbp\\_main\\_fx\\_%'`))[0].n);
  const failing = () => {
    const c = sc.container;
    const dbs = new LoseShardCommits(c.db, c.redis, c.config.db.readYourWritesMs, c.logger);
    return {
      dbs,
      payments: createPayments({
        db: c.db,
        databases: dbs,
        tables: c.tables,
        cache: c.cache,
        settings: c.settings,
        users: c.users,
        logger: c.logger,
        dataDir: c.dataDir,
        siteKey: c.site.key,
      }),
    };
  };

  before(async () => {
    source = await createTestDb({ size: 'tiny' });
    admin = await serverConnection();
    layout = await shardedCopy(admin, source, SHARDS, `${process.pid}_${randomBytes(3).toString('hex')}_rec`);
    sc = await startSidecar({ ...source, name: layout.main }, { env: { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET, SLBP_SHARDS: layout.spec } });
  });
  after(async () => {
    await sc?.stop();
    await layout?.drop();
    await admin?.end();
    await source?.drop();
  });

  it('a webhook whose shard commit is lost after the main commit: the redelivery writes the billing rows and the recorded log rows, and enrols nobody twice', async () => {
    // A new buyer (created on the main database before either part): the order enrols them in course 102.
    const course = 102;
    const raw = JSON.stringify(
      webhookBody('order_created', orderData({ id: 81_000, email: 'lost-commit@example.test', productId: 900_002, total: 2500 })),
    );
    const delivery = {
      raw: Buffer.from(raw),
      contentType: 'application/json',
      signature: createHmac('sha256', DEMO_WEBHOOK_SECRET).update(raw).digest('hex'),
    };
    const { dbs, payments } = failing();
    let user = 0;
    const access = () =>
      q(`SELECT umeta_id, meta_value FROM ${table(layout.main, 'usermeta')} WHERE user_id = ? AND meta_key = ?`, [
        user,
        `course_${course}_access_from`,
      ]);
    const logs = () =>
      q(
        `SELECT action, created_at FROM ${table(shardOf(user), 'slbp_enrollment_logs')} WHERE user_id = ? AND course_id = ? AND notes = 'Lemon Squeezy order 81000'`,
        [user, course],
      );
    const orders = () =>
      Promise.all(
        [layout.main, ...layout.shards].map(async (db) =>
          Number((await q(`SELECT COUNT(*) AS n FROM ${table(db, 'slbp_transactions')} WHERE order_id = '81000'`))[0].n),
        ),
      );
    const recordsBefore = await records();

    dbs.failures = 1;
    expect(webhookAnswer(await payments.webhooks.handle(delivery)).status).to.equal(500);
    user = Number((await q(`SELECT ID FROM ${table(layout.main, 'users')} WHERE user_email = 'lost-commit@example.test'`))[0].ID);
    const granted = await access();
    expect(granted, 'the main part committed').to.have.length(1);
    expect(await records()).to.equal(recordsBefore + 1);
    expect(await orders(), 'the shard part did not').to.deep.equal([0, 0, 0, 0]);
    expect(await logs()).to.deep.equal([]);

    expect(webhookAnswer(await payments.webhooks.handle(delivery)).body).to.deep.equal({ received: true, processed: true });
    expect(await orders()).to.deep.equal([0, ...[0, 1, 2].map((i) => (i === user % SHARDS ? 1 : 0))]);
    const [record] = await q(
      `SELECT option_value FROM ${table(layout.main, 'options')} WHERE option_name LIKE '\\_slbp\\_main\\_fx\\_%' AND option_value LIKE '%81000%'`,
    );
    const recordedAt = JSON.parse(record.option_value).effects.logs[0].createdAt;
    expect(await logs(), 'the enrolment the first attempt made, logged once with its time').to.deep.equal([
      { action: 'enrolled', created_at: recordedAt },
    ]);
    expect(await access(), 'access meta untouched by the redelivery').to.deep.equal(granted);

    expect(webhookAnswer(await payments.webhooks.handle(delivery)).body).to.deep.equal({
      received: true,
      processed: false,
      duplicate: true,
    });
    expect(await logs()).to.have.length(1);
    const statuses = await q(`SELECT status FROM ${table(layout.main, 'slbp_webhook_logs')} WHERE payload = ? ORDER BY id`, [raw]);
    expect(statuses.map((r: any) => r.status)).to.deep.equal(['failed', 'processed', 'duplicate']);
  });

  it('expiry on shards: a lost shard commit sends no second notice; a subscription past its end keeps its status and access', async () => {
    const email = 'expiring-shard@example.test';
    const send = (body: unknown) => call(`${sc.base}/webhooks/lemon-squeezy`, signedDelivery(body, DEMO_WEBHOOK_SECRET));
    expect(
      (
        await send(
          webhookBody(
            'subscription_created',
            subscriptionData({ id: 82_001, orderId: 82_001, email, productId: 900_002, status: 'active', updatedAt: iso(-2 * DAY) }),
          ),
        )
      ).status,
    ).to.equal(200);
    const [{ ID }] = await q(`SELECT ID FROM ${table(layout.main, 'users')} WHERE user_email = ?`, [email]);
    const user = Number(ID);
    const subs = table(shardOf(user), 'slbp_subscriptions');
    // An active subscription with an end inside the plugin's 7-day window (the only kind it tells).
    await admin.query(`UPDATE ${subs} SET expires_at = UTC_TIMESTAMP() + INTERVAL 3 DAY WHERE subscription_id = '82001'`);

    const { dbs, payments } = failing();
    const recordsBefore = await records();
    dbs.failures = 1;
    const lost = await payments.expiry.run().then(
      () => null,
      (err: Error) => err,
    );
    expect(lost?.message).to.match(/lost before its commit/);
    expect(await records(), 'the notice of the failed attempt is recorded').to.equal(recordsBefore + 1);
    await payments.expiry.run();
    // Every subscription told about its end got exactly one notice, the one whose shard commit was lost too.
    const notified = (
      await Promise.all(
        layout.shards.map((s) => q(`SELECT subscription_id FROM ${table(s, 'slbp_subscriptions')} WHERE expiry_notified = 1`)),
      )
    ).flat();
    expect(notified.map((r: any) => r.subscription_id)).to.include('82001');
    const notices = await q(
      `SELECT JSON_VALUE(data, '$.subscription_id') AS sub, COUNT(*) AS n FROM ${table(layout.main, 'slbp_notifications')} WHERE type = 'subscription_expiring' GROUP BY sub`,
    );
    expect(notices.map((r: any) => [r.sub, Number(r.n)]).sort()).to.deep.equal(notified.map((r: any) => [r.subscription_id, 1]).sort());

    // Past its end, the job still changes nothing: only the gateway's subscription_expired webhook ends access.
    await admin.query(`UPDATE ${subs} SET expires_at = UTC_TIMESTAMP() - INTERVAL 1 MINUTE WHERE subscription_id = '82001'`);
    await sc.container.payments.expiry.run();
    expect((await q(`SELECT status FROM ${subs} WHERE subscription_id = '82001'`))[0].status).to.equal('active');
    expect(
      await q(`SELECT meta_key FROM ${table(layout.main, 'usermeta')} WHERE user_id = ? AND meta_key = 'course_102_access_from'`, [user]),
    ).to.have.length(1);
    const logged = await q(
      `SELECT action FROM ${table(shardOf(user), 'slbp_enrollment_logs')} WHERE user_id = ? AND course_id = 102 ORDER BY id`,
      [user],
    );
    expect(logged.map((r: any) => r.action)).to.deep.equal(['enrolled']);
    for (const t of BILLING_TABLES) expect(Number((await q(`SELECT COUNT(*) AS n FROM ${table(layout.main, t)}`))[0].n), t).to.equal(0);
  });

  it("the plugin import writes each record on its user's shard and finds rows already on any shard", async () => {
    const [u1, u2, u3] = (
      await Promise.all([10, 11, 12].map((id) => q(`SELECT ID, user_email FROM ${table(layout.main, 'users')} WHERE ID = ?`, [id])))
    ).map((rows) => rows[0]);
    const order = {
      id: 88_100_001,
      status: 'paid',
      currency: 'USD',
      total: 49.99,
      customer_email: u1.user_email,
      product_id: 900_001,
      created_at: '2026-10-01T10:00:00.000000Z',
      updated_at: '2026-10-01T10:01:00.000000Z',
    };
    const sub = {
      id: 88_100_002,
      order_id: 88_100_001,
      variant_id: 5,
      status: 'active',
      created_at: '2026-10-01T10:00:00.000000Z',
      renews_at: '2026-12-01T10:00:00.000000Z',
      updated_at: '2026-10-02T10:00:00.000000Z',
    };
    const enrolment = {
      transaction_id: 'imported-tx-1',
      subscription_id: '',
      enrolled_date: '2026-10-03 10:00:00',
      source: 'lemon_squeezy',
      lms: 'learndash',
    };
    await admin.query(
      `INSERT INTO ${table(layout.main, 'options')} (option_name, option_value, autoload) VALUES (?, ?, 'no'), (?, ?, 'no'), (?, ?, 'no')`,
      [
        'slbp_order_88100001',
        phpSerialize(order),
        'slbp_subscription_88100002',
        phpSerialize(sub),
        'slbp_subscription_user_88100002',
        String(u2.ID),
      ],
    );
    await admin.query(
      `INSERT INTO ${table(layout.main, 'usermeta')} (user_id, meta_key, meta_value) VALUES (?, 'slbp_enrollment_103', ?)`,
      [u3.ID, phpSerialize(enrolment)],
    );
    const [{ n: demoEnrolments }] = await q(
      `SELECT COUNT(*) AS n FROM ${table(layout.main, 'usermeta')} WHERE meta_key LIKE 'slbp\\_enrollment\\_%'`,
    );

    const first = await sc.container.payments.importer.run();
    expect([first.orders.imported, first.subscriptions.imported, first.enrolments.imported]).to.deep.equal([1, 1, 1]);
    expect(first.enrolments.already_present, 'the demo enrolments are found on their shards').to.equal(Number(demoEnrolments) - 1);
    const [tx] = await q(`SELECT user_id, amount FROM ${table(shardOf(Number(u1.ID)), 'slbp_transactions')} WHERE order_id = '88100001'`);
    expect(tx).to.deep.equal({ user_id: Number(u1.ID), amount: '49.99' });
    const [s] = await q(
      `SELECT user_id, amount FROM ${table(shardOf(Number(u2.ID)), 'slbp_subscriptions')} WHERE subscription_id = '88100002'`,
    );
    expect(s).to.deep.equal({ user_id: Number(u2.ID), amount: '49.99' });
    expect(
      await q(`SELECT user_id FROM ${table(shardOf(Number(u3.ID)), 'slbp_enrollment_logs')} WHERE transaction_id = 'imported-tx-1'`),
    ).to.deep.equal([{ user_id: Number(u3.ID) }]);
    for (const t of BILLING_TABLES) expect(Number((await q(`SELECT COUNT(*) AS n FROM ${table(layout.main, t)}`))[0].n), t).to.equal(0);

    const again = await sc.container.payments.importer.run();
    expect([again.orders.imported, again.subscriptions.imported, again.enrolments.imported]).to.deep.equal([0, 0, 0]);
    expect([again.orders.already_present, again.subscriptions.already_present]).to.deep.equal([
      first.orders.imported + first.orders.already_present,
      first.subscriptions.imported + first.subscriptions.already_present,
    ]);
  });

  it("a data export lists the owner's transactions from their shard", async () => {
    const post = `${NS}/exports`;
    const res = await call(`${sc.url}${post}`, asUser(STUDENT_ID, 'POST', post, { type: 'transactions' }));
    expect(res.status).to.equal(202);
    await sc.container.payments.queue.drain();
    const get = `${NS}/exports/${res.body.id}`;
    const file = await call(`${sc.url}${get}`, asUser(STUDENT_ID, 'GET', get));
    expect(file.status).to.equal(200);
    const [{ n }] = await q(`SELECT COUNT(*) AS n FROM ${table(shardOf(STUDENT_ID), 'slbp_transactions')} WHERE user_id = ?`, [STUDENT_ID]);
    expect(Number(n)).to.be.greaterThan(0);
    expect(file.text.trim().split('\r\n')).to.have.length(Number(n) + 1);
  });
});
