import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { DEMO_WEBHOOK_SECRET } from '../../scripts/lib/demo-data.ts';
import { orderData, signedDelivery, subscriptionData, webhookBody } from '../fixtures/lemon-squeezy.ts';
import { call } from '../helpers/http.ts';
import { freePort } from '../helpers/mariadb-instance.ts';
import { cleanRedisPrefix, testRedisPrefix } from '../helpers/redis.ts';
import { seedBilling } from '../helpers/shim-fixtures.ts';
import { NS, type ChildSidecar } from '../helpers/sidecar.ts';
import { installWordPress, spawnSiteSidecar, type WordPressSite } from '../helpers/wordpress.ts';

// The demo course mappings (slbp_course_mappings): product 900001 → course 101, 900002 → 102.
const PRODUCT = 900_001;
const COURSE = 101;
const EMAIL = 'grace.buyer@example.test';
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, '.000000Z');

/**
 * The sidecar's buyers as SkyLearn Billing Pro's PHP helpers see them, in a real WordPress: after
 * signed Lemon Squeezy events processed by the sidecar, PHP calling slbp_get_user_subscriptions(),
 * slbp_user_has_course_access() and slbp_get_user_billing_stats() (the fixture reproducing the
 * plugin's reads, test/fixtures/wordpress/PLUGIN-API-READS.md) sees the buyer, their order and
 * subscription, and what a cancellation and an expiry change.
 */
describe("the sidecar's buyers through the plugin's PHP helpers (real WordPress)", function () {
  this.timeout(300_000);
  const secret = randomBytes(24).toString('hex');
  const redisPrefix = testRedisPrefix();
  let wp: WordPressSite;
  let sidecar: ChildSidecar;
  let buyerId: number;
  const deliver = async (body: unknown) => {
    const res = await call(`${sidecar.url}${NS}/webhooks/lemon-squeezy`, signedDelivery(body, DEMO_WEBHOOK_SECRET));
    expect(res.body, res.text).to.deep.equal({ received: true, processed: true });
  };
  const subscription = (status: 'active' | 'cancelled' | 'expired', updatedAt: string, endsAt: string | null = null) =>
    webhookBody(
      `subscription_${status === 'active' ? 'created' : status}`,
      subscriptionData({ id: 9101, orderId: 9002, email: EMAIL, productId: PRODUCT + 1, status, updatedAt, endsAt }),
    );

  before(async () => {
    const port = await freePort();
    wp = await installWordPress({ sidecarUrl: `http://127.0.0.1:${port}`, secret, timeoutSec: 5 });
    await seedBilling(wp);
    sidecar = await spawnSiteSidecar(wp, port, redisPrefix);
  });

  after(async () => {
    await sidecar?.stop();
    await wp?.destroy();
    await cleanRedisPrefix(redisPrefix);
  });

  it('after a signed order_created, the buyer has the order, the course and the stats', async () => {
    await deliver(
      webhookBody('order_created', orderData({ id: 9001, email: EMAIL, name: 'Grace Buyer', productId: PRODUCT, total: 4900 })),
    );
    const [[user]] = await wp.pool.query<any>(`SELECT ID FROM ${wp.prefix}users WHERE user_email = ?`, [EMAIL]);
    buyerId = Number(user.ID);
    const answer = await wp.pluginApi(buyerId, [COURSE, COURSE + 1]);
    expect(answer.problems).to.deep.equal([]);
    expect(answer.subscriptions).to.deep.equal([]);
    expect(answer.course_access).to.deep.equal({ [COURSE]: true, [COURSE + 1]: false });
    expect(answer.billing_stats).to.deep.equal({
      total_subscriptions: 0,
      active_subscriptions: 0,
      cancelled_subscriptions: 0,
      total_orders: 1,
      total_spent: 49.0,
      courses_enrolled: 1,
    });
    // Someone else sees none of it.
    expect((await wp.pluginApi(wp.studentId, [COURSE])).course_access).to.deep.equal({ [COURSE]: false });
  });

  it('a subscription gives its course while it runs; its cancellation and its expiry change what the helpers see', async () => {
    const now = Date.now();
    await deliver(webhookBody('order_created', orderData({ id: 9002, email: EMAIL, productId: PRODUCT + 1, total: 1500 })));
    await deliver(subscription('active', iso(now - 60_000)));
    let answer = await wp.pluginApi(buyerId, [COURSE, COURSE + 1]);
    expect(answer.problems).to.deep.equal([]);
    expect(answer.subscriptions).to.have.length(1);
    expect(answer.subscriptions[0]).to.include({ id: '9101', product_id: String(PRODUCT + 1), status: 'active', cancelled: false });
    expect(answer.course_access).to.deep.equal({ [COURSE]: true, [COURSE + 1]: true });
    expect(answer.billing_stats).to.deep.equal({
      total_subscriptions: 1,
      active_subscriptions: 1,
      cancelled_subscriptions: 0,
      total_orders: 2,
      total_spent: 64.0,
      courses_enrolled: 2,
    });

    // Cancelled: the plugin's helpers count it as cancelled and give its course no more.
    await deliver(subscription('cancelled', iso(now - 30_000), iso(now + 5 * 86_400_000)));
    answer = await wp.pluginApi(buyerId, [COURSE, COURSE + 1]);
    expect(answer.problems).to.deep.equal([]);
    expect(answer.subscriptions[0]).to.include({ id: '9101', status: 'cancelled', cancelled: true });
    expect(answer.course_access).to.deep.equal({ [COURSE]: true, [COURSE + 1]: false });
    expect(answer.billing_stats).to.include({
      total_subscriptions: 1,
      active_subscriptions: 0,
      cancelled_subscriptions: 1,
      courses_enrolled: 1,
    });

    // Expired: the record says so; the one-time order's course stays.
    await deliver(subscription('expired', iso(now - 1000), iso(now - 1000)));
    answer = await wp.pluginApi(buyerId, [COURSE, COURSE + 1]);
    expect(answer.problems).to.deep.equal([]);
    expect(answer.subscriptions[0]).to.include({ id: '9101', status: 'expired' });
    expect(answer.course_access).to.deep.equal({ [COURSE]: true, [COURSE + 1]: false });
    expect(answer.billing_stats).to.include({ active_subscriptions: 0, courses_enrolled: 1, total_orders: 2 });
    // LearnDash agrees: the subscription's course access meta is gone, the order's stays.
    const [meta] = await wp.pool.query<any>(
      `SELECT meta_key FROM ${wp.prefix}usermeta WHERE user_id = ? AND meta_key LIKE 'course\\_%\\_access\\_from'`,
      [buyerId],
    );
    expect(meta.map((m: { meta_key: string }) => m.meta_key)).to.deep.equal([`course_${COURSE}_access_from`]);
  });
});
