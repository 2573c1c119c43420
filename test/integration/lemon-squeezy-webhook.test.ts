import { expect } from 'chai';
import { DEMO_WEBHOOK_SECRET } from '../../scripts/lib/demo-data.ts';
import { phpSerialize, phpUnserialize } from '../../src/data/php-serialize.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/http.ts';
import { startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';
import { invoiceData, orderData, signedDelivery, subscriptionData, webhookBody } from '../fixtures/lemon-squeezy.ts';

// Demo course mappings: product 900001 → course 101, 900002 → 102, ...
const PRODUCT = 900_001;
const COURSE = 101;

describe('Lemon Squeezy webhook', () => {
  let db: TestDb;
  let sc: InProcessSidecar;
  let url: string;
  const rows = async (sql: string, args: unknown[] = []) => (await db.pool.query<any>(sql, args))[0] as any[];
  const counts = async () => {
    const p = db.prefix;
    const [[c]] = await db.pool.query<any>(`SELECT
      (SELECT COUNT(*) FROM ${p}slbp_transactions) AS tx, (SELECT COUNT(*) FROM ${p}slbp_subscriptions) AS subs,
      (SELECT COUNT(*) FROM ${p}slbp_enrollment_logs) AS enrol, (SELECT COUNT(*) FROM ${p}users) AS users,
      (SELECT COUNT(*) FROM ${p}usermeta) AS meta, (SELECT COUNT(*) FROM ${p}slbp_webhook_logs) AS logs`);
    return c as { tx: number; subs: number; enrol: number; users: number; meta: number; logs: number };
  };
  const send = (body: unknown, init: Partial<RequestInit> = {}) => call(url, { ...signedDelivery(body, DEMO_WEBHOOK_SECRET), ...init });
  const access = async (userId: number, courseId: number) =>
    rows(`SELECT meta_key, meta_value FROM ${db.prefix}usermeta WHERE user_id = ? AND meta_key IN (?, ?)`, [
      userId,
      `course_${courseId}_access_from`,
      `slbp_enrollment_${courseId}`,
    ]);

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    sc = await startSidecar(db);
    url = `${sc.base}/webhooks/lemon-squeezy`;
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  it("answers the plugin's errors in the plugin's order and writes nothing", async () => {
    const before = await counts();
    const body = webhookBody('order_created', orderData({ id: 1, email: 'x@example.test', productId: PRODUCT, total: 4900 }));
    const raw = JSON.stringify(body);
    let res = await call(url, { method: 'POST', body: raw, headers: { 'Content-Type': 'text/plain', 'X-Signature': 'ab' } });
    expect([res.status, res.body]).to.deep.equal([400, { error: 'Invalid content type' }]);
    res = await call(url, { method: 'POST', body: '{"meta":', headers: { 'Content-Type': 'application/json' } });
    expect([res.status, res.body]).to.deep.equal([400, { error: 'Invalid JSON' }]);
    res = await call(url, { method: 'POST', body: raw, headers: { 'Content-Type': 'application/json' } });
    expect([res.status, res.body]).to.deep.equal([400, { error: 'Missing signature' }]);
    res = await call(url, { ...signedDelivery(raw, 'not-the-secret') });
    expect([res.status, res.body]).to.deep.equal([401, { error: 'Invalid signature' }]);
    // A body changed after signing is refused too.
    const signed = signedDelivery(raw, DEMO_WEBHOOK_SECRET);
    res = await call(url, { ...signed, body: raw.replace('4900', '100') });
    expect(res.status).to.equal(401);
    expect(res.headers.get('content-type')).to.equal('application/json; charset=UTF-8');
    expect(await counts()).to.deep.equal(before);
  });

  it('order_created for a new buyer: a subscriber user, one completed transaction in exact money, enrolment', async () => {
    const before = await counts();
    const body = webhookBody(
      'order_created',
      orderData({ id: 5001, email: 'New.Buyer@Example.test', name: 'Nova Buyer', productId: PRODUCT, total: 4999, currency: 'EUR' }),
    );
    const res = await send(body);
    expect([res.status, res.body]).to.deep.equal([200, { received: true, processed: true }]);
    const [user] = await rows(`SELECT ID, user_login, display_name FROM ${db.prefix}users WHERE user_email = 'new.buyer@example.test'`);
    expect(user.user_login).to.equal('new.buyer');
    expect(user.display_name).to.equal('Nova Buyer');
    const [caps] = await rows(`SELECT meta_value FROM ${db.prefix}usermeta WHERE user_id = ? AND meta_key = ?`, [
      user.ID,
      `${db.prefix}capabilities`,
    ]);
    expect(caps.meta_value).to.equal('a:1:{s:10:"subscriber";b:1;}');
    const tx = await rows(`SELECT * FROM ${db.prefix}slbp_transactions WHERE order_id = '5001'`);
    expect(tx).to.have.length(1);
    expect(tx[0]).to.include({
      user_id: user.ID,
      transaction_id: '0c2a0b8e-5001-4b6a-9c1d-7f1e2d3c4b5a',
      payment_gateway: 'lemon_squeezy',
      amount: '49.99',
      currency: 'EUR',
      status: 'completed',
      course_id: COURSE,
      created_at: '2026-11-20 10:00:00',
    });
    expect(JSON.parse(tx[0].metadata)).to.include({ order_number: 25001, product_id: String(PRODUCT) });
    const meta = await access(user.ID, COURSE);
    expect(meta.map((m) => m.meta_key).sort()).to.deep.equal([`course_${COURSE}_access_from`, `slbp_enrollment_${COURSE}`]);
    const logs = await rows(`SELECT action, status, transaction_id, lms FROM ${db.prefix}slbp_enrollment_logs WHERE user_id = ?`, [
      user.ID,
    ]);
    // The plugin's form: enrolment records and logs name the Lemon Squeezy order id, not its identifier.
    expect(logs).to.deep.equal([{ action: 'enrolled', status: 'success', transaction_id: '5001', lms: 'learndash' }]);
    const record = phpUnserialize(meta.find((m) => m.meta_key === `slbp_enrollment_${COURSE}`).meta_value, 'test') as Record<
      string,
      unknown
    >;
    expect(record).to.include({ transaction_id: '5001', subscription_id: '', source: 'skylearn_billing_pro', lms: 'learndash' });
    expect(record.metadata).to.deep.equal({ access_mode: 'full', status: 'active' });
    // What the plugin's PHP helpers read: the buyer's list of order ids and the order's record.
    const [list] = await rows(`SELECT meta_value FROM ${db.prefix}usermeta WHERE user_id = ? AND meta_key = 'slbp_orders'`, [user.ID]);
    expect(phpUnserialize(list.meta_value, 'test')).to.deep.equal(['5001']);
    const [option] = await rows(`SELECT option_value, autoload FROM ${db.prefix}options WHERE option_name = 'slbp_order_5001'`);
    expect(option.autoload).to.equal('yes');
    expect(phpUnserialize(option.option_value, 'test')).to.include({
      id: '5001',
      product_id: String(PRODUCT),
      status: 'paid',
      refunded: false,
      total: 49.99,
      currency: 'EUR',
      // As Lemon Squeezy sent it, as the plugin stored it.
      customer_email: 'New.Buyer@Example.test',
    });
    const after = await counts();
    expect(after.tx - before.tx).to.equal(1);
    expect(after.users - before.users).to.equal(1);
    expect(after.logs - before.logs).to.equal(1);
    const [log] = await rows(
      `SELECT webhook_id, event, status, response_code, payload FROM ${db.prefix}slbp_webhook_logs ORDER BY id DESC LIMIT 1`,
    );
    expect(log).to.deep.include({
      webhook_id: 0,
      event: 'order_created',
      status: 'processed',
      response_code: 200,
      payload: JSON.stringify(body),
    });
  });

  it('matches the buyer by email, custom_data.user_id only when it is that user; order_refunded removes the access it gave', async () => {
    let res = await send(
      webhookBody('order_created', orderData({ id: 5002, email: 'buyer.one@example.test', productId: PRODUCT + 1, total: 1900 })),
    );
    expect(res.body.processed).to.equal(true);
    const [buyer] = await rows(`SELECT ID FROM ${db.prefix}users WHERE user_email = 'buyer.one@example.test'`);
    // Someone else's checkout naming this buyer: the order is theirs, not the buyer's.
    res = await send(
      webhookBody('order_created', orderData({ id: 5003, email: 'someone-else@example.test', productId: PRODUCT + 2, total: 2900 }), {
        user_id: String(buyer.ID),
      }),
    );
    expect(res.body.processed).to.equal(true);
    // The buyer's own checkout (the email in another case) names them rightly.
    await send(
      webhookBody('order_created', orderData({ id: 5004, email: 'Buyer.One@Example.TEST', productId: PRODUCT + 2, total: 2900 }), {
        user_id: String(buyer.ID),
      }),
    );
    const [other] = await rows(`SELECT ID FROM ${db.prefix}users WHERE user_email = 'someone-else@example.test'`);
    const owners = await rows(
      `SELECT order_id, user_id FROM ${db.prefix}slbp_transactions WHERE order_id IN ('5002', '5003', '5004') ORDER BY order_id`,
    );
    expect(owners).to.deep.equal([
      { order_id: '5002', user_id: buyer.ID },
      { order_id: '5003', user_id: other.ID },
      { order_id: '5004', user_id: buyer.ID },
    ]);
    expect(await access(buyer.ID, COURSE + 1)).to.have.length(2);

    res = await send(
      webhookBody(
        'order_refunded',
        orderData({
          id: 5002,
          email: 'buyer.one@example.test',
          productId: PRODUCT + 1,
          total: 1900,
          status: 'refunded',
          updatedAt: '2026-11-21T10:00:00.000000Z',
        }),
      ),
    );
    expect(res.body.processed).to.equal(true);
    const tx = await rows(`SELECT status, amount FROM ${db.prefix}slbp_transactions WHERE order_id = '5002'`);
    expect(tx).to.deep.equal([{ status: 'refunded', amount: '19.00' }]);
    expect(await access(buyer.ID, COURSE + 1)).to.have.length(0);
    expect(await access(buyer.ID, COURSE + 2), 'what another order gave stays').to.have.length(2);
    const [log] = await rows(
      `SELECT action FROM ${db.prefix}slbp_enrollment_logs WHERE user_id = ? AND course_id = ? ORDER BY id DESC LIMIT 1`,
      [buyer.ID, COURSE + 1],
    );
    expect(log.action).to.equal('unenrolled');
  });

  it('subscription lifecycle: created, updated, paused, unpaused, cancelled (access until ends_at), resumed, expired', async () => {
    const email = 'subscriber.life@example.test';
    const sub = (status: Parameters<typeof subscriptionData>[0]['status'], updatedAt: string, endsAt: string | null = null) =>
      webhookBody(
        `subscription_${status}`,
        subscriptionData({ id: 7001, orderId: 6001, email, productId: PRODUCT + 3, status, updatedAt, endsAt }),
      );
    await send(webhookBody('order_created', orderData({ id: 6001, email, productId: PRODUCT + 3, total: 2900 })));
    const [user] = await rows(`SELECT ID FROM ${db.prefix}users WHERE user_email = ?`, [email]);
    const subRow = async () =>
      await rows(
        `SELECT user_id, status, amount, currency, plan_id, billing_cycle, next_billing_date, expires_at FROM ${db.prefix}slbp_subscriptions WHERE subscription_id = '7001'`,
      );

    let res = await send({
      ...sub('active', '2026-11-20T10:00:01.000000Z'),
      meta: { ...sub('active', '2026-11-20T10:00:01.000000Z').meta, event_name: 'subscription_created' },
    });
    expect(res.body).to.deep.equal({ received: true, processed: true });
    expect(await subRow()).to.deep.equal([
      {
        user_id: user.ID,
        status: 'active',
        amount: '29.00',
        currency: 'USD',
        plan_id: String(PRODUCT + 3 + 100000),
        billing_cycle: 'monthly',
        next_billing_date: '2026-12-20 10:00:00',
        expires_at: null,
      },
    ]);

    for (const [event, status, at] of [
      ['subscription_updated', 'past_due', '2026-11-21'],
      ['subscription_paused', 'paused', '2026-11-22'],
      ['subscription_unpaused', 'active', '2026-11-23'],
    ] as const) {
      res = await send({ ...sub(status, `${at}T00:00:00.000000Z`), meta: { event_name: event, test_mode: true, webhook_id: 'w' } });
      expect(res.body.processed, event).to.equal(true);
      expect((await subRow())[0].status).to.equal(status);
    }
    const future = new Date(Date.now() + 5 * 86_400_000).toISOString().replace(/\.\d+Z$/, '.000000Z');
    await send(sub('cancelled', '2026-11-24T00:00:00.000000Z', future));
    expect((await subRow())[0]).to.include({
      status: 'cancelled',
      expires_at: future.slice(0, 19).replace('T', ' '),
      next_billing_date: null,
    });
    expect(await access(user.ID, COURSE + 3), 'a cancelled subscription keeps access until ends_at').to.have.length(2);

    await send({
      ...sub('active', '2026-11-24T02:00:00.000000Z'),
      meta: { event_name: 'subscription_resumed', test_mode: true, webhook_id: 'w' },
    });
    expect((await subRow())[0]).to.include({ status: 'active', expires_at: null });

    // An event older than the stored row does not overwrite it.
    res = await send({
      ...sub('past_due', '2026-11-22T12:00:00.000000Z'),
      meta: { event_name: 'subscription_updated', test_mode: true, webhook_id: 'w' },
    });
    expect(res.body.processed).to.equal(true);
    expect((await subRow())[0].status).to.equal('active');

    await send(sub('expired', '2026-11-25T00:00:00.000000Z', '2026-11-25T00:00:00.000000Z'));
    expect((await subRow())[0]).to.include({ status: 'expired', expires_at: '2026-11-25 00:00:00' });
    expect(await access(user.ID, COURSE + 3)).to.have.length(0);
    expect(await subRow()).to.have.length(1);
  });

  it('a lost subscription keeps the courses a paid order or another running subscription of the buyer still covers', async () => {
    const email = 'kept.courses@example.test';
    const order = (id: number, productId: number, variantId: number) =>
      send(webhookBody('order_created', orderData({ id, email, productId, variantId, total: 2900 })));
    const subscription = (id: number, orderId: number, productId: number, variantId: number, status: 'active' | 'expired', at: string) =>
      send(
        webhookBody(
          status === 'active' ? 'subscription_created' : 'subscription_expired',
          subscriptionData({ id, orderId, email, productId, variantId, status, updatedAt: at, endsAt: status === 'expired' ? at : null }),
        ),
      );
    // Course 101: bought once (a one-time variant) and by subscription 8101.
    await order(8001, PRODUCT, 555_001);
    await order(8002, PRODUCT, 655_001);
    await subscription(8101, 8002, PRODUCT, 655_001, 'active', '2026-11-20T10:00:00.000000Z');
    // Course 102: two subscriptions (a monthly and a yearly variant).
    await order(8003, PRODUCT + 1, 655_002);
    await subscription(8102, 8003, PRODUCT + 1, 655_002, 'active', '2026-11-20T10:00:00.000000Z');
    await order(8004, PRODUCT + 1, 655_003);
    await subscription(8103, 8004, PRODUCT + 1, 655_003, 'active', '2026-11-20T10:00:00.000000Z');
    // Course 103: only subscription 8104.
    await order(8005, PRODUCT + 2, 655_004);
    await subscription(8104, 8005, PRODUCT + 2, 655_004, 'active', '2026-11-20T10:00:00.000000Z');
    const [user] = await rows(`SELECT ID FROM ${db.prefix}users WHERE user_email = ?`, [email]);
    for (const c of [COURSE, COURSE + 1, COURSE + 2]) expect(await access(user.ID, c), `course ${c}`).to.have.length(2);

    await subscription(8101, 8002, PRODUCT, 655_001, 'expired', '2026-11-25T00:00:00.000000Z');
    expect(await access(user.ID, COURSE), 'the one-time order still pays for course 101').to.have.length(2);
    await subscription(8102, 8003, PRODUCT + 1, 655_002, 'expired', '2026-11-25T00:00:00.000000Z');
    expect(await access(user.ID, COURSE + 1), 'subscription 8103 still pays for course 102').to.have.length(2);
    await subscription(8104, 8005, PRODUCT + 2, 655_004, 'expired', '2026-11-25T00:00:00.000000Z');
    expect(await access(user.ID, COURSE + 2), 'nothing else pays for course 103').to.have.length(0);
    await subscription(8103, 8004, PRODUCT + 1, 655_003, 'expired', '2026-11-25T00:00:00.000000Z');
    expect(await access(user.ID, COURSE + 1), 'the last subscription of course 102 ended').to.have.length(0);
    expect(await access(user.ID, COURSE), 'the one-time order is not a subscription').to.have.length(2);
  });

  it("adds the product mappings the plugin's helpers need to slbp_product_settings, never changing the owner's", async () => {
    const owners = {
      product_mappings: [
        { product_id: String(PRODUCT), product_name: 'Named by the owner', course_id: COURSE },
        { product_id: '123', product_name: 'Another product', course_id: 555 },
      ],
      other_setting: 'kept',
    };
    await db.pool.query(
      `INSERT INTO ${db.prefix}options (option_name, option_value, autoload) VALUES ('slbp_product_settings', ?, 'yes') ON DUPLICATE KEY UPDATE option_value = VALUES(option_value)`,
      [phpSerialize(owners)],
    );
    const email = 'mapping.buyer@example.test';
    await send(webhookBody('order_created', orderData({ id: 8601, email, productId: PRODUCT, total: 1000 })));
    await send(webhookBody('order_created', orderData({ id: 8602, email, productId: PRODUCT + 1, total: 1000 })));
    await send(webhookBody('order_created', orderData({ id: 8603, email, productId: PRODUCT + 1, total: 1000 })));
    const [row] = await rows(`SELECT option_value FROM ${db.prefix}options WHERE option_name = 'slbp_product_settings'`);
    const settings = phpUnserialize(row.option_value, 'test') as { product_mappings: unknown[]; other_setting: string };
    expect(settings.other_setting).to.equal('kept');
    expect(settings.product_mappings).to.deep.equal([
      ...owners.product_mappings,
      { product_id: String(PRODUCT + 1), product_name: 'Course', course_id: COURSE + 1 },
    ]);
  });

  it('subscription payments: success, failure and refund add transactions keyed by the invoice id; the initial invoice is not counted twice', async () => {
    const email = 'payer@example.test';
    await send(
      webhookBody(
        'subscription_created',
        subscriptionData({
          id: 7002,
          orderId: 6002,
          email,
          productId: PRODUCT,
          status: 'active',
          updatedAt: '2026-11-20T10:00:00.000000Z',
        }),
      ),
    );
    const [user] = await rows(`SELECT ID FROM ${db.prefix}users WHERE user_email = ?`, [email]);
    const before = (await counts()).tx;
    let res = await send(
      webhookBody(
        'subscription_payment_success',
        invoiceData({ id: 8000, subscriptionId: 7002, email, total: 2900, status: 'paid', billingReason: 'initial' }),
      ),
    );
    expect(res.body.processed).to.equal(true);
    expect((await counts()).tx).to.equal(before);
    await send(
      webhookBody('subscription_payment_success', invoiceData({ id: 8001, subscriptionId: 7002, email, total: 2900, status: 'paid' })),
    );
    await send(
      webhookBody('subscription_payment_failed', invoiceData({ id: 8002, subscriptionId: 7002, email, total: 2900, status: 'pending' })),
    );
    res = await send(
      webhookBody(
        'subscription_payment_refunded',
        invoiceData({ id: 8001, subscriptionId: 7002, email, total: 2900, status: 'refunded', updatedAt: '2026-11-26T10:00:00.000000Z' }),
      ),
    );
    expect(res.body.processed).to.equal(true);
    const tx = await rows(
      `SELECT order_id, user_id, amount, status FROM ${db.prefix}slbp_transactions WHERE order_id LIKE 'invoice\\_%' AND user_id = ? ORDER BY order_id`,
      [user.ID],
    );
    expect(tx).to.deep.equal([
      { order_id: 'invoice_8001', user_id: user.ID, amount: '29.00', status: 'refunded' },
      { order_id: 'invoice_8002', user_id: user.ID, amount: '29.00', status: 'failed' },
    ]);
  });

  it('answers an unhandled event with 200 processed:false and logs it', async () => {
    const res = await send(webhookBody('license_key_created', { type: 'license-keys', id: '1', attributes: {} }));
    expect([res.status, res.body]).to.deep.equal([200, { received: true, processed: false }]);
    const [log] = await rows(`SELECT event, status FROM ${db.prefix}slbp_webhook_logs ORDER BY id DESC LIMIT 1`);
    expect(log).to.deep.equal({ event: 'license_key_created', status: 'ignored' });
  });

  it("the plugin's URL /wp-json/slbp/v1/webhook/lemon_squeezy behaves the same", async () => {
    const body = webhookBody('order_created', orderData({ id: 5100, email: 'compat@example.test', productId: PRODUCT, total: 100 }));
    const compat = `${sc.url}/wp-json/slbp/v1/webhook/lemon_squeezy`;
    const res = await call(compat, signedDelivery(body, DEMO_WEBHOOK_SECRET));
    expect([res.status, res.body]).to.deep.equal([200, { received: true, processed: true }]);
    const again = await call(url, signedDelivery(body, DEMO_WEBHOOK_SECRET));
    expect(again.body).to.deep.equal({ received: true, processed: false, duplicate: true });
    expect((await call(compat, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } })).body).to.deep.equal({
      error: 'Missing signature',
    });
  });

  it('the webhook log records the status each delivery was answered with: processed, duplicate, ignored, invalid and failed', async () => {
    const last = async () => (await rows(`SELECT status, response_code FROM ${db.prefix}slbp_webhook_logs ORDER BY id DESC LIMIT 1`))[0];
    const seen: [string, number, number][] = [];
    const deliver = async (body: unknown) => {
      const res = await send(body);
      const log = await last();
      seen.push([log.status, res.status, log.response_code]);
    };
    const order = webhookBody('order_created', orderData({ id: 5200, email: 'logged@example.test', productId: PRODUCT, total: 1500 }));
    await deliver(order);
    await deliver(order);
    await deliver(webhookBody('license_key_updated', { type: 'license-keys', id: '2', attributes: {} }));
    await deliver(webhookBody('order_created', orderData({ id: 5201, email: 'logged@example.test', productId: PRODUCT, total: -5 })));
    // The transactions table out of the way for one delivery: it cannot be applied, is rolled back and logged.
    await db.pool.query(`RENAME TABLE ${db.prefix}slbp_transactions TO ${db.prefix}slbp_transactions_away`);
    try {
      await deliver(webhookBody('order_created', orderData({ id: 5202, email: 'logged@example.test', productId: PRODUCT, total: 1500 })));
    } finally {
      await db.pool.query(`RENAME TABLE ${db.prefix}slbp_transactions_away TO ${db.prefix}slbp_transactions`);
    }
    expect(seen.map(([status, answered]) => [status, answered])).to.deep.equal([
      ['processed', 200],
      ['duplicate', 200],
      ['ignored', 200],
      ['invalid', 200],
      ['failed', 500],
    ]);
    for (const [status, answered, logged] of seen) expect(logged, status).to.equal(answered);
  });
});
