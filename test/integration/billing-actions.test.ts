import { expect } from 'chai';
import { Redis } from 'ioredis';
import { cacheTags } from '../../src/cache/keys.ts';
import { phpSerialize } from '../../src/data/php-serialize.ts';
import { createBilling } from '../../src/features/billing.ts';
import { MemoryTagCache } from '../helpers/memory-cache.ts';
import { ADMIN_ID, asUser, createApiKey, STUDENT_ID, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, expectRestError, type JsonResponse } from '../helpers/http.ts';
import { GATEWAY_ENDS_AT, startLemonSqueezyServer } from '../helpers/lemon-squeezy-server.ts';
import { testRedisPrefix } from '../helpers/redis.ts';
import { NS, startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';

describe('subscription cancel/resume and notification writes across two nodes', () => {
  let db: TestDb;
  let a: InProcessSidecar;
  let b: InProcessSidecar;
  let gateway: Awaited<ReturnType<typeof startLemonSqueezyServer>>;
  const prefix = testRedisPrefix();
  const send = (node: InProcessSidecar, userId: number, method: string, path: string): Promise<JsonResponse> =>
    call(`${node.url}${NS}${path}`, asUser(userId, method, `${NS}${path}`));
  const subs = () => `${db.prefix}slbp_subscriptions`;
  const statusInDb = async (id: number) => (await db.pool.query<any>(`SELECT status FROM ${subs()} WHERE id = ?`, [id]))[0][0].status;
  const activeOf = async (userId: number, skip: number) =>
    Number(
      (
        await db.pool.query<any>(`SELECT id FROM ${subs()} WHERE user_id = ? AND status = 'active' ORDER BY id LIMIT 1 OFFSET ?`, [
          userId,
          skip,
        ])
      )[0][0].id,
    );

  async function setApiKey(key: string): Promise<void> {
    const settings = { webhook_secret: 'x', lemon_squeezy_api_key: key, lemon_squeezy_store_id: '12345', lemon_squeezy_test_mode: true };
    await db.pool.query(`UPDATE ${db.prefix}options SET option_value = ? WHERE option_name = 'slbp_payment_settings'`, [
      phpSerialize(settings),
    ]);
    await Promise.all([a.container.settings.refresh(), b.container.settings.refresh()]);
  }

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    // Several active subscriptions for the student the test acts as.
    await db.pool.query(
      `UPDATE ${subs()} SET user_id = ?, status = 'active', payment_gateway = 'lemon_squeezy' WHERE id IN (1, 2, 3, 4, 5)`,
      [STUDENT_ID],
    );
    gateway = await startLemonSqueezyServer();
    const env = {
      SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET,
      SLBP_REDIS_PREFIX: prefix,
      SLBP_LEMON_SQUEEZY_API_URL: gateway.url,
      SLBP_READ_YOUR_WRITES_MS: '4000',
    };
    [a, b] = await Promise.all([startSidecar(db, { env }), startSidecar(db, { env })]);
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await gateway?.close();
    await db?.drop();
  });

  it('cancel on node A shows on node B at once (B warmed first); a second cancel is 409; resume brings it back', async () => {
    const id = await activeOf(STUDENT_ID, 0);
    const warm = await send(b, STUDENT_ID, 'GET', `/subscriptions/${id}`);
    expect(warm.body.status).to.equal('active');
    const listWarm = await send(b, STUDENT_ID, 'GET', '/subscriptions?status=cancelled&per_page=100');
    expect(listWarm.body.map((s: any) => s.id)).to.not.include(id);
    // The administrator did not write, so their reads on B go through B's cache: this proves invalidation.
    const adminList = `/subscriptions?status=cancelled&user_id=${STUDENT_ID}&per_page=100`;
    expect((await send(b, ADMIN_ID, 'GET', adminList)).body.map((s: any) => s.id)).to.not.include(id);

    const cancelled = await send(a, STUDENT_ID, 'POST', `/subscriptions/${id}/cancel`);
    expect(cancelled.status).to.equal(200);
    expect(cancelled.body).to.include({ id, status: 'cancelled', gateway_sync: 'skipped' });
    expect(cancelled.body.expires_at).to.be.a('string');
    expect(await statusInDb(id)).to.equal('cancelled');

    expect((await send(b, STUDENT_ID, 'GET', `/subscriptions/${id}`)).body.status).to.equal('cancelled');
    expect((await send(b, STUDENT_ID, 'GET', '/subscriptions?status=cancelled&per_page=100')).body.map((s: any) => s.id)).to.include(id);
    expect((await send(b, ADMIN_ID, 'GET', `/subscriptions/${id}`)).body.status).to.equal('cancelled');
    expect((await send(b, ADMIN_ID, 'GET', adminList)).body.map((s: any) => s.id)).to.include(id);

    expectRestError(await send(a, STUDENT_ID, 'POST', `/subscriptions/${id}/cancel`), 'slbp_invalid_transition', 409);
    expectRestError(await send(b, STUDENT_ID, 'POST', `/subscriptions/${id}/cancel`), 'slbp_invalid_transition', 409);

    const resumed = await send(b, STUDENT_ID, 'POST', `/subscriptions/${id}/resume`);
    expect(resumed.body).to.include({ id, status: 'active', expires_at: null, gateway_sync: 'skipped' });
    expect((await send(a, STUDENT_ID, 'GET', `/subscriptions/${id}`)).body.status).to.equal('active');
    expectRestError(await send(a, STUDENT_ID, 'POST', `/subscriptions/${id}/resume`), 'slbp_invalid_transition', 409);
  });

  it('a write opens a read-your-writes window for the owner, shared through Redis', async () => {
    const id = await activeOf(STUDENT_ID, 1);
    expect((await send(a, STUDENT_ID, 'POST', `/subscriptions/${id}/cancel`)).status).to.equal(200);
    const r = new Redis({ host: '127.0.0.1', port: 6379 });
    try {
      const ttl = await r.pttl(`${a.container.redis!.keyPrefix}ryw:user:${STUDENT_ID}`);
      expect(ttl).to.be.greaterThan(0).and.at.most(4000);
    } finally {
      r.disconnect();
    }
    // Node B never saw the write, yet routes this user's reads to the writer.
    expect(await b.container.databases.wroteRecently(`user:${STUDENT_ID}`)).to.equal(true);
    expect(await b.container.databases.wroteRecently(`user:${STUDENT_ID + 1}`)).to.equal(false);
  });

  it('only owners, admins and write_subscriptions keys may cancel; others get 403 or 404', async () => {
    const id = await activeOf(STUDENT_ID, 2);
    const readOnly = await createApiKey(db, { userId: STUDENT_ID, permissions: ['read_billing'] });
    expectRestError(
      await call(`${a.url}${NS}/subscriptions/${id}/cancel`, { method: 'POST', headers: { 'X-API-Key': readOnly.key } }),
      'rest_forbidden',
      403,
    );
    const strangerKey = await createApiKey(db, { userId: STUDENT_ID + 1, permissions: ['write_subscriptions'] });
    expectRestError(
      await call(`${a.url}${NS}/subscriptions/${id}/cancel`, { method: 'POST', headers: { 'X-API-Key': strangerKey.key } }),
      'slbp_subscription_not_found',
      404,
    );
    expectRestError(await send(a, STUDENT_ID + 1, 'POST', `/subscriptions/${id}/cancel`), 'slbp_subscription_not_found', 404);
    expect(await statusInDb(id)).to.equal('active');
    const ownerKey = await createApiKey(db, { userId: STUDENT_ID, permissions: ['write_subscriptions'] });
    const res = await call(`${a.url}${NS}/subscriptions/${id}/cancel`, { method: 'POST', headers: { 'X-API-Key': ownerKey.key } });
    expect(res.body.status).to.equal('cancelled');
    expect((await send(b, ADMIN_ID, 'POST', `/subscriptions/${id}/resume`)).body.status).to.equal('active');
  });

  it('with API credentials, cancel and resume PATCH Lemon Squeezy first; a gateway error leaves the row unchanged (502)', async () => {
    const id = await activeOf(STUDENT_ID, 3);
    const [[row]] = await db.pool.query<any>(`SELECT subscription_id FROM ${subs()} WHERE id = ?`, [id]);
    await setApiKey('ls-test-key-123');
    try {
      gateway.requests.length = 0;
      const res = await send(a, STUDENT_ID, 'POST', `/subscriptions/${id}/cancel`);
      expect(res.status).to.equal(200);
      expect(res.body).to.include({ status: 'cancelled', gateway_sync: 'synced', expires_at: GATEWAY_ENDS_AT.slice(0, 19) + 'Z' });
      expect(gateway.requests).to.have.length(1);
      const req = gateway.requests[0]!;
      expect(req).to.include({
        method: 'PATCH',
        path: `/v1/subscriptions/${row.subscription_id}`,
        authorization: 'Bearer ls-test-key-123',
        contentType: 'application/vnd.api+json',
      });
      expect(req.body).to.deep.equal({ data: { type: 'subscriptions', id: row.subscription_id, attributes: { cancelled: true } } });

      const resumed = await send(b, STUDENT_ID, 'POST', `/subscriptions/${id}/resume`);
      expect(resumed.body).to.include({ status: 'active', gateway_sync: 'synced' });
      expect(gateway.requests[1]!.body.data.attributes).to.deep.equal({ cancelled: false });

      gateway.reply.next = () => ({
        status: 422,
        body: { errors: [{ status: '422', title: 'Unprocessable Entity', detail: 'The subscription cannot be cancelled right now.' }] },
      });
      const failed = await send(a, STUDENT_ID, 'POST', `/subscriptions/${id}/cancel`);
      expectRestError(failed, 'slbp_gateway_error', 502);
      expect(failed.body.message).to.equal('The subscription cannot be cancelled right now.');
      expect(await statusInDb(id)).to.equal('active');
      expect((await send(b, STUDENT_ID, 'GET', `/subscriptions/${id}`)).body.status).to.equal('active');
    } finally {
      gateway.reply.next = null;
      await setApiKey('');
    }
  });

  it('marking a notification read changes the row and the unread count on the other node', async () => {
    const [[n]] = await db.pool.query<any>(
      `SELECT id FROM ${db.prefix}slbp_notifications WHERE user_id = ? AND is_read = 0 ORDER BY id LIMIT 1`,
      [STUDENT_ID],
    );
    const before = await send(b, STUDENT_ID, 'GET', '/notifications?is_read=0');
    const unread = Number(before.headers.get('x-wp-total'));
    const res = await send(a, STUDENT_ID, 'POST', `/notifications/${n.id}/read`);
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ id: Number(n.id), is_read: true });
    expect(
      Number((await db.pool.query<any>(`SELECT is_read FROM ${db.prefix}slbp_notifications WHERE id = ?`, [n.id]))[0][0].is_read),
    ).to.equal(1);
    expect(Number((await send(b, STUDENT_ID, 'GET', '/notifications?is_read=0')).headers.get('x-wp-total'))).to.equal(unread - 1);
    const [[other]] = await db.pool.query<any>(`SELECT id FROM ${db.prefix}slbp_notifications WHERE user_id <> ? ORDER BY id LIMIT 1`, [
      STUDENT_ID,
    ]);
    expectRestError(await send(a, STUDENT_ID, 'POST', `/notifications/${other.id}/read`), 'slbp_notification_not_found', 404);
  });

  it('with a caching cache: reads are served from it, and cancel or a webhook-style invalidation drops exactly what changed', async () => {
    const cache = new MemoryTagCache();
    const c = a.container;
    const m = createBilling({
      config: { ...c.config, db: { ...c.config.db, readYourWritesMs: 0 } },
      tables: c.tables,
      db: c.db,
      databases: c.databases,
      cache,
      settings: c.settings,
      users: c.users,
      monitoring: c.monitoring.service,
    });
    const admin = { userId: ADMIN_ID, admin: true };
    const owner = STUDENT_ID + 2;
    const [[row]] = await db.pool.query<any>(`SELECT id FROM ${subs()} WHERE user_id = ? AND status = 'active' ORDER BY id LIMIT 1`, [
      owner,
    ]);
    const id = Number(row.id);
    const window = { orderby: 'created_at' as const, order: 'desc' as const, limit: 100, offset: 0 };
    const cancelledCount = async () => (await m.billing.listSubscriptions(admin, { statuses: ['cancelled'], window })).total;

    expect((await m.billing.getSubscription(admin, id)).status).to.equal('active');
    const before = await cancelledCount();
    // A change the cache was not told about is not seen: the reads really are cached.
    await db.pool.query(`UPDATE ${subs()} SET status = 'paused' WHERE id = ?`, [id]);
    expect((await m.billing.getSubscription(admin, id)).status).to.equal('active');

    const res = await m.actions.cancel(admin, id);
    expect(res.row.status).to.equal('cancelled');
    expect((await m.billing.getSubscription(admin, id)).status).to.equal('cancelled');
    expect(await cancelledCount()).to.equal(before + 1);

    // What the webhook does: write the row, then invalidate the owner's billing tags.
    const report = await m.analytics.revenueReport(admin, { period: '30d', currency: 'USD' });
    await db.pool.query(
      `INSERT INTO ${db.prefix}slbp_transactions (user_id, order_id, transaction_id, payment_gateway, amount, currency, status, created_at, updated_at)
      VALUES (?, 'LS-new', 'ls_ord_new', 'lemon_squeezy', '1000.00', 'USD', 'completed', UTC_TIMESTAMP(), UTC_TIMESTAMP())`,
      [owner],
    );
    expect((await m.analytics.revenueReport(admin, { period: '30d', currency: 'USD' })).totals.gross).to.equal(report.totals.gross);
    await cache.invalidate({ tags: cacheTags.billingChange(owner) });
    const after = await m.analytics.revenueReport(admin, { period: '30d', currency: 'USD' });
    expect(Math.round(Number(after.totals.gross) * 100)).to.equal(Math.round(Number(report.totals.gross) * 100) + 100_000);
    expect(after.totals.transactions).to.equal(report.totals.transactions + 1);
  });
});
