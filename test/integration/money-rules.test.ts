import { expect } from 'chai';
import { DEMO_WEBHOOK_SECRET } from '../../scripts/lib/demo-data.ts';
import { phpSerialize } from '../../src/data/php-serialize.ts';
import { asUser, STUDENT_ID, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, expectRestError, type JsonResponse } from '../helpers/http.ts';
import { startLemonSqueezyServer } from '../helpers/lemon-squeezy-server.ts';
import { NS, startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';
import { orderData, signedDelivery, subscriptionData, webhookBody } from '../fixtures/lemon-squeezy.ts';

// Demo course mappings: product 900001 → course 101, 900002 → 102, ...
const PRODUCT = 900_004;
const COURSE = 104;

/**
 * Money rules a buyer cannot turn against someone else (#25, findings 5 and 6): a refund takes
 * away only what the refunded order alone gave, the buyer is who the gateway's order names, and a
 * cancelled subscription resumes only into the state it had.
 */
describe('money rules that cannot be abused', () => {
  let db: TestDb;
  let sc: InProcessSidecar;
  let gateway: Awaited<ReturnType<typeof startLemonSqueezyServer>>;
  const rows = async (sql: string, args: unknown[] = []) => (await db.pool.query<any>(sql, args))[0] as any[];
  const deliver = (body: unknown) => call(`${sc.base}/webhooks/lemon-squeezy`, signedDelivery(body, DEMO_WEBHOOK_SECRET));
  const hasAccess = async (userId: number, courseId: number) =>
    (await rows(`SELECT 1 FROM ${db.prefix}usermeta WHERE user_id = ? AND meta_key = ?`, [userId, `course_${courseId}_access_from`]))
      .length > 0;
  const userByEmail = async (email: string) => Number((await rows(`SELECT ID FROM ${db.prefix}users WHERE user_email = ?`, [email]))[0].ID);
  const refundOf = (id: number, email: string, productId = PRODUCT, custom?: Record<string, unknown>) =>
    webhookBody(
      'order_refunded',
      orderData({ id, email, productId, total: 4900, status: 'refunded', updatedAt: '2026-11-22T10:00:00.000000Z' }),
      custom,
    );

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    gateway = await startLemonSqueezyServer();
    sc = await startSidecar(db, { env: { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET, SLBP_LEMON_SQUEEZY_API_URL: gateway.url } });
  });
  after(async () => {
    await sc?.stop();
    await gateway?.close();
    await db?.drop();
  });

  describe('refunds and buyers', () => {
    it("a checkout naming someone else's user id, then refunded, takes nothing from that user", async () => {
      const victim = 'victim@example.test';
      expect(
        (await deliver(webhookBody('order_created', orderData({ id: 9601, email: victim, productId: PRODUCT, total: 4900 })))).body
          .processed,
      ).to.equal(true);
      const victimId = await userByEmail(victim);
      expect(await hasAccess(victimId, COURSE)).to.equal(true);

      const attacker = 'attacker@example.test';
      expect(
        (
          await deliver(
            webhookBody('order_created', orderData({ id: 9602, email: attacker, productId: PRODUCT, total: 4900 }), { user_id: victimId }),
          )
        ).body.processed,
      ).to.equal(true);
      expect((await deliver(refundOf(9602, attacker, PRODUCT, { user_id: victimId }))).body.processed).to.equal(true);

      const owners = await rows(
        `SELECT order_id, user_id, status FROM ${db.prefix}slbp_transactions WHERE order_id IN ('9601', '9602') ORDER BY order_id`,
      );
      expect(owners).to.deep.equal([
        { order_id: '9601', user_id: victimId, status: 'completed' },
        { order_id: '9602', user_id: await userByEmail(attacker), status: 'refunded' },
      ]);
      expect(await hasAccess(victimId, COURSE), "the victim's paid access").to.equal(true);
      expect(await hasAccess(await userByEmail(attacker), COURSE)).to.equal(false);
    });

    it('a refund leaves a course that another paid order of the same buyer covers; the last refund removes it', async () => {
      const email = 'twice@example.test';
      await deliver(webhookBody('order_created', orderData({ id: 9611, email, productId: PRODUCT, total: 4900 })));
      await deliver(webhookBody('order_created', orderData({ id: 9612, email, productId: PRODUCT, total: 4900 })));
      const id = await userByEmail(email);
      expect((await deliver(refundOf(9611, email))).body.processed).to.equal(true);
      expect(await hasAccess(id, COURSE), 'order 9612 still pays for it').to.equal(true);
      expect((await deliver(refundOf(9612, email))).body.processed).to.equal(true);
      expect(await hasAccess(id, COURSE)).to.equal(false);
    });

    it('a refund of the order behind a running subscription leaves the access the subscription gives', async () => {
      const email = 'subscribed@example.test';
      await deliver(webhookBody('order_created', orderData({ id: 9621, email, productId: PRODUCT, total: 4900 })));
      await deliver(
        webhookBody(
          'subscription_created',
          subscriptionData({
            id: 9721,
            orderId: 9621,
            email,
            productId: PRODUCT,
            status: 'active',
            updatedAt: '2026-11-20T10:00:01.000000Z',
          }),
        ),
      );
      const id = await userByEmail(email);
      expect((await deliver(refundOf(9621, email))).body.processed).to.equal(true);
      expect(await hasAccess(id, COURSE)).to.equal(true);
    });

    it('custom_data.user_id is taken when it is the same Lemon Squeezy customer, though the email differs', async () => {
      const email = 'first.email@example.test';
      await deliver(webhookBody('order_created', orderData({ id: 9631, email, productId: PRODUCT, total: 4900 })));
      const id = await userByEmail(email);
      const again = orderData({ id: 9632, email: 'new.email@example.test', productId: PRODUCT + 1, total: 4900 });
      (again.attributes as { customer_id: number }).customer_id = 7000 + 9631;
      expect((await deliver(webhookBody('order_created', again, { user_id: String(id) }))).body.processed).to.equal(true);
      expect((await rows(`SELECT user_id FROM ${db.prefix}slbp_transactions WHERE order_id = '9632'`))[0].user_id).to.equal(id);
      expect(await rows(`SELECT ID FROM ${db.prefix}users WHERE user_email = 'new.email@example.test'`)).to.deep.equal([]);
    });
  });

  describe('resume', () => {
    const subs = () => `${db.prefix}slbp_subscriptions`;
    const send = (method: string, path: string): Promise<JsonResponse> =>
      call(`${sc.url}${NS}${path}`, asUser(STUDENT_ID, method, `${NS}${path}`));
    const future = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 19).replace('T', ' ');
    let next = 0;
    /** One of the student's subscriptions, set to `status` with these dates. */
    async function subscription(status: string, expiresAt: string | null, nextBilling: string | null = future(10)): Promise<number> {
      const [row] = await rows(`SELECT id FROM ${subs()} ORDER BY id LIMIT 1 OFFSET ?`, [next++]);
      await db.pool.query(
        `UPDATE ${subs()} SET user_id = ?, payment_gateway = 'lemon_squeezy', status = ?, expires_at = ?, next_billing_date = ? WHERE id = ?`,
        [STUDENT_ID, status, expiresAt, nextBilling, row.id],
      );
      await sc.container.cache.invalidate({ all: true });
      return Number(row.id);
    }

    it('a past_due subscription cancelled and resumed is past_due again, not active', async () => {
      const id = await subscription('past_due', null);
      expect((await send('POST', `/subscriptions/${id}/cancel`)).body.status).to.equal('cancelled');
      const resumed = await send('POST', `/subscriptions/${id}/resume`);
      expect(resumed.status, resumed.text).to.equal(200);
      expect(resumed.body).to.include({ status: 'past_due', expires_at: null, gateway_sync: 'skipped' });
    });

    it('a trial resumes as a trial with the expiry it had; an expired one cannot be cancelled or resumed', async () => {
      const end = future(3);
      const id = await subscription('on_trial', end, future(20));
      const cancelled = await send('POST', `/subscriptions/${id}/cancel`);
      expect(cancelled.body).to.include({ status: 'cancelled', expires_at: `${end.replace(' ', 'T')}Z` });
      const resumed = await send('POST', `/subscriptions/${id}/resume`);
      expect(resumed.body).to.include({ status: 'on_trial', expires_at: `${end.replace(' ', 'T')}Z` });

      const over = await subscription('on_trial', '2026-01-01 00:00:00', future(10));
      expectRestError(await send('POST', `/subscriptions/${over}/cancel`), 'slbp_invalid_transition', 409);
      expect((await rows(`SELECT status FROM ${subs()} WHERE id = ?`, [over]))[0].status).to.equal('on_trial');
      const lapsed = await subscription('cancelled', '2026-01-01 00:00:00');
      expectRestError(await send('POST', `/subscriptions/${lapsed}/resume`), 'slbp_invalid_transition', 409);
    });

    it('a subscription cancelled elsewhere (the gateway, the plugin) is not resumed here without the gateway', async () => {
      const id = await subscription('cancelled', future(5));
      const res = await send('POST', `/subscriptions/${id}/resume`);
      expectRestError(res, 'slbp_invalid_transition', 409);
      expect(res.body.message).to.include('Lemon Squeezy');
      expect((await rows(`SELECT status FROM ${subs()} WHERE id = ?`, [id]))[0].status).to.equal('cancelled');
    });

    it("with the gateway configured, a resume takes the gateway's answer", async () => {
      const id = await subscription('cancelled', future(5));
      const settings = { webhook_secret: DEMO_WEBHOOK_SECRET, lemon_squeezy_api_key: 'ls-key', lemon_squeezy_store_id: '1' };
      await db.pool.query(`UPDATE ${db.prefix}options SET option_value = ? WHERE option_name = 'slbp_payment_settings'`, [
        phpSerialize(settings),
      ]);
      await sc.container.settings.refresh();
      gateway.reply.next = (r) => ({
        status: 200,
        body: { data: { type: 'subscriptions', id: r.body.data.id, attributes: { status: 'past_due', cancelled: false, ends_at: null } } },
      });
      try {
        const res = await send('POST', `/subscriptions/${id}/resume`);
        expect(res.body).to.include({ status: 'past_due', expires_at: null, gateway_sync: 'synced' });
      } finally {
        gateway.reply.next = null;
      }
    });
  });
});
