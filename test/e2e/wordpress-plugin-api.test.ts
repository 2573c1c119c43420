import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { phpSerialize } from '../../src/data/php-serialize.ts';
import { freePort } from '../helpers/mariadb-instance.ts';
import { installWordPress, type WordPressSite } from '../helpers/wordpress.ts';

const AT = '2026-11-12T10:00:00.000000Z';

/** `slbp_subscription_{id}` as the plugin's format_subscription() stores a Lemon Squeezy subscription. */
const subscription = (id: string, productId: string | number, status: string, cancelled = false) => ({
  id,
  customer_id: 3001,
  order_id: 9001,
  product_id: productId,
  variant_id: 4001,
  status,
  card_brand: 'visa',
  card_last_four: '4242',
  pause: null,
  cancelled,
  trial_ends_at: '',
  billing_anchor: 12,
  renews_at: cancelled ? '' : '2026-12-12T10:00:00.000000Z',
  ends_at: cancelled ? '2026-12-12T10:00:00.000000Z' : '',
  created_at: AT,
  updated_at: AT,
  test_mode: false,
});

/** `slbp_order_{id}` as the plugin's format_transaction() stores a Lemon Squeezy order (amounts in major units). */
const order = (id: string, productId: string | number, status: string, total: number, refunded = false) => ({
  id,
  customer_id: 3001,
  product_id: productId,
  variant_id: 4001,
  order_number: Number(id),
  status,
  currency: 'USD',
  subtotal: total,
  discount_total: 0,
  tax: 0,
  total,
  refunded,
  refunded_amount: refunded ? total : 0,
  customer_email: 'student@example.test',
  customer_name: 'Student',
  created_at: AT,
  updated_at: AT,
  test_mode: false,
});

/**
 * The fixture that reproduces SkyLearn Billing Pro's PHP helpers
 * (test/fixtures/wordpress/plugin-api-reads.php, PLUGIN-API-READS.md), proven in a real
 * WordPress 6.1 against records written by hand in the plugin's own form: user meta lists of
 * ids, one option per order and subscription, the product mappings of `slbp_product_settings`.
 */
describe("SkyLearn Billing Pro's PHP helpers in a real WordPress (fixture), on records in the plugin's form", function () {
  this.timeout(120_000);
  let wp: WordPressSite;

  const putOption = (name: string, value: unknown) =>
    wp.pool.query(
      `INSERT INTO ${wp.prefix}options (option_name, option_value, autoload) VALUES (?, ?, 'yes') ON DUPLICATE KEY UPDATE option_value = VALUES(option_value)`,
      [name, phpSerialize(value)],
    );
  const putMeta = (userId: number, key: string, value: unknown) =>
    wp.pool.query(`INSERT INTO ${wp.prefix}usermeta (user_id, meta_key, meta_value) VALUES (?, ?, ?)`, [userId, key, phpSerialize(value)]);
  const setMeta = (userId: number, key: string, value: unknown) =>
    wp.pool.query(`UPDATE ${wp.prefix}usermeta SET meta_value = ? WHERE user_id = ? AND meta_key = ?`, [phpSerialize(value), userId, key]);

  const buyerSubscriptions = [subscription('7001', '101', 'active'), subscription('7002', '404', 'cancelled', true)];

  before(async () => {
    // Nothing here talks to the sidecar: the shim only needs an address.
    wp = await installWordPress({
      sidecarUrl: `http://127.0.0.1:${await freePort()}`,
      secret: randomBytes(24).toString('hex'),
      timeoutSec: 1,
    });
    // The store owner's mappings, as the plugin's settings page saves them (product ids as text).
    await putOption('slbp_product_settings', {
      product_mappings: [101, 202, 303, 404, 505].map((p, i) => ({
        product_id: String(p),
        product_name: `Product ${p}`,
        course_id: 501 + i,
      })),
    });
    for (const s of buyerSubscriptions) await putOption(`slbp_subscription_${s.id}`, s);
    await putOption('slbp_order_8001', order('8001', '202', 'paid', 49.99));
    await putOption('slbp_order_8002', order('8002', '303', 'paid', 30, true));
    await putOption('slbp_order_8003', order('8003', '505', 'pending', 12.5));
    // 7999 is listed but has no record: the plugin skips it.
    await putMeta(wp.studentId, 'slbp_subscriptions', ['7001', '7999', '7002']);
    await putMeta(wp.studentId, 'slbp_orders', ['8001', '8002', '8003']);
  });

  after(async () => {
    await wp?.destroy();
  });

  it('the buyer: their subscription records, course access from an active subscription and a paid order, their stats', async () => {
    const answer = await wp.pluginApi(wp.studentId, [501, 502, 503, 504, 505, 999]);
    expect(answer.problems).to.deep.equal([]);
    expect(answer.subscriptions).to.deep.equal(buyerSubscriptions);
    expect(answer.course_access).to.deep.equal({ 501: true, 502: true, 503: false, 504: false, 505: false, 999: false });
    expect(answer.billing_stats).to.deep.equal({
      total_subscriptions: 2,
      active_subscriptions: 1,
      cancelled_subscriptions: 1,
      total_orders: 3,
      total_spent: 49.99,
      courses_enrolled: 2,
    });
  });

  it('someone without records, and nobody logged in, get nothing', async () => {
    const none = await wp.pluginApi(wp.adminId, [501]);
    expect(none).to.deep.equal({
      subscriptions: [],
      course_access: { 501: false },
      problems: [],
      billing_stats: {
        total_subscriptions: 0,
        active_subscriptions: 0,
        cancelled_subscriptions: 0,
        total_orders: 0,
        total_spent: 0,
        courses_enrolled: 0,
      },
    });
    expect(await wp.pluginApi(0, [501])).to.deep.equal({
      subscriptions: [],
      billing_stats: [],
      course_access: { 501: false },
      problems: [],
    });
  });

  it('reads the way the plugin does: product ids compared strictly, LS trial status not counted, missing keys warned about', async () => {
    // Lemon Squeezy sends product_id as a number, and the plugin's own webhook stored it so:
    // it never equals the mapping's text, so the course stays closed.
    await putOption('slbp_subscription_7001', subscription('7001', 101, 'active'));
    expect((await wp.pluginApi(wp.studentId, [501])).course_access).to.deep.equal({ 501: false });
    // Lemon Squeezy's trial status is on_trial; the plugin's reads know only "trialing".
    await putOption('slbp_subscription_7001', subscription('7001', '101', 'on_trial'));
    const onTrial = await wp.pluginApi(wp.studentId, [501]);
    expect(onTrial.course_access).to.deep.equal({ 501: false });
    expect(onTrial.billing_stats).to.include({ active_subscriptions: 0, cancelled_subscriptions: 1 });
    await putOption('slbp_subscription_7001', subscription('7001', '101', 'trialing'));
    expect((await wp.pluginApi(wp.studentId, [501])).course_access).to.deep.equal({ 501: true });

    // A paid order without `refunded` is read as the plugin reads it: with PHP's warning.
    const { refunded: _, ...withoutRefunded } = order('8001', '202', 'paid', 49.99);
    await putOption('slbp_order_8001', withoutRefunded);
    const partial = await wp.pluginApi(wp.studentId, [502]);
    expect(partial.problems.length).to.be.greaterThan(0);
    expect(partial.problems.every((p) => p.includes('Undefined array key "refunded"') && p.includes('plugin-api-reads.php'))).to.equal(
      true,
    );

    // A list of ids that is not a PHP array is iterated as the plugin iterates it.
    await setMeta(wp.studentId, 'slbp_orders', '8001,8002');
    expect((await wp.pluginApi(wp.studentId)).problems.some((p) => p.includes('foreach() argument must be of type array|object'))).to.equal(
      true,
    );

    await putOption('slbp_order_8001', order('8001', '202', 'paid', 49.99));
    await setMeta(wp.studentId, 'slbp_orders', ['8001', '8002', '8003']);
    await putOption('slbp_subscription_7001', buyerSubscriptions[0]);
    expect((await wp.pluginApi(wp.studentId, [501, 502])).course_access).to.deep.equal({ 501: true, 502: true });
  });
});
