import { stat } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { DEMO_WEBHOOK_SECRET } from '../../scripts/lib/demo-data.ts';
import { asUser, STUDENT_ID, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, expectRestError } from '../helpers/http.ts';
import { NS, startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';
import { signedDelivery, subscriptionData, webhookBody } from '../fixtures/lemon-squeezy.ts';

const iso = (msFromNow: number) => new Date(Date.now() + msFromNow).toISOString().replace(/\.\d+Z$/, '.000000Z');
const DAY = 86_400_000;

describe('subscription expiry and data exports', () => {
  let db: TestDb;
  let sc: InProcessSidecar;
  const rows = async (sql: string, args: unknown[] = []) => (await db.pool.query<any>(sql, args))[0] as any[];
  const runExpiryTask = async () => {
    await sc.container.payments.tasks.enqueue(sc.container.db.write, 'subscription_expiry', {});
    await sc.container.payments.queue.drain();
  };

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    sc = await startSidecar(db, { env: { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET } });
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  it("notifies only active subscriptions inside the plugin's window, once, and never changes a status or access", async () => {
    const email = 'ending@example.test';
    const send = (body: unknown) => call(`${sc.base}/webhooks/lemon-squeezy`, signedDelivery(body, DEMO_WEBHOOK_SECRET));
    await send(
      webhookBody(
        'subscription_created',
        subscriptionData({ id: 3001, orderId: 3001, email, productId: 900_002, status: 'active', updatedAt: iso(-2 * DAY) }),
      ),
    );
    await send(
      webhookBody(
        'subscription_cancelled',
        subscriptionData({
          id: 3001,
          orderId: 3001,
          email,
          productId: 900_002,
          status: 'cancelled',
          endsAt: iso(3 * DAY),
          updatedAt: iso(-DAY),
        }),
      ),
    );
    const [user] = await rows(`SELECT ID FROM ${db.prefix}users WHERE user_email = ?`, [email]);
    // The plugin's window: status 'active', expires_at on or before the UTC midnight 7 days ahead (past ones too).
    const sub = async (id: string, status: string, expiresSql: string, notified = 0) =>
      db.pool.query(
        `INSERT INTO ${db.prefix}slbp_subscriptions (user_id, subscription_id, payment_gateway, plan_id, status, amount, currency, billing_cycle, expires_at, expiry_notified, created_at, updated_at)
       VALUES (?, ?, 'lemon_squeezy', 'variant_1', ?, '19.00', 'USD', 'monthly', ${expiresSql}, ?, UTC_TIMESTAMP() - INTERVAL 40 DAY, UTC_TIMESTAMP() - INTERVAL 1 DAY)`,
        [user.ID, id, status, notified],
      );
    await sub('w-active-soon', 'active', 'UTC_TIMESTAMP() + INTERVAL 3 DAY');
    await sub('w-active-past', 'active', 'UTC_TIMESTAMP() - INTERVAL 2 DAY');
    await sub('w-active-edge', 'active', 'UTC_DATE() + INTERVAL 7 DAY');
    await sub('w-active-after-edge', 'active', 'UTC_DATE() + INTERVAL 7 DAY + INTERVAL 1 SECOND');
    await sub('w-active-no-end', 'active', 'NULL');
    await sub('w-active-told', 'active', 'UTC_TIMESTAMP() + INTERVAL 1 DAY', 1);
    await sub('w-trial', 'on_trial', 'UTC_TIMESTAMP() + INTERVAL 2 DAY');
    await sub('w-past-due', 'past_due', 'UTC_TIMESTAMP() + INTERVAL 2 DAY');
    await sub('w-cancelled-over', 'cancelled', 'UTC_TIMESTAMP() - INTERVAL 1 MINUTE');
    const state = async () =>
      rows(
        `SELECT subscription_id, status, expiry_notified, updated_at, next_billing_date, expires_at FROM ${db.prefix}slbp_subscriptions WHERE user_id = ? ORDER BY subscription_id`,
        [user.ID],
      );
    const notices = () =>
      rows(`SELECT type, data FROM ${db.prefix}slbp_notifications WHERE user_id = ? AND type = 'subscription_expiring'`, [user.ID]);
    const accessTo = (course: number) =>
      rows(`SELECT meta_key FROM ${db.prefix}usermeta WHERE user_id = ? AND meta_key = ?`, [user.ID, `course_${course}_access_from`]);
    const before = await state();
    expect(await accessTo(102)).to.have.length(1);

    await runExpiryTask();
    await runExpiryTask();
    const told = ['w-active-edge', 'w-active-past', 'w-active-soon'];
    expect((await notices()).map((n) => JSON.parse(n.data).subscription_id).sort()).to.deep.equal(told);
    // Only expiry_notified moved, on exactly those rows: no status, date or updated_at change anywhere.
    const after = await state();
    expect(after).to.deep.equal(before.map((r) => (told.includes(r.subscription_id) ? { ...r, expiry_notified: 1 } : r)));

    // The cancelled subscription whose ends_at is behind us keeps its status and its access: only
    // Lemon Squeezy's subscription_expired webhook ends them.
    await db.pool.query(
      `UPDATE ${db.prefix}slbp_subscriptions SET expires_at = UTC_TIMESTAMP() - INTERVAL 1 MINUTE WHERE subscription_id = '3001'`,
    );
    await runExpiryTask();
    expect((await rows(`SELECT status FROM ${db.prefix}slbp_subscriptions WHERE subscription_id = '3001'`))[0].status).to.equal(
      'cancelled',
    );
    expect(await accessTo(102)).to.have.length(1);
    expect(await notices()).to.have.length(3);
  });

  it("exports the owner's transactions as a private CSV that only the owner can download", async () => {
    const post = `${NS}/exports`;
    const res = await call(`${sc.url}${post}`, asUser(STUDENT_ID, 'POST', post, { type: 'transactions' }));
    expect(res.status).to.equal(202);
    const id = res.body.id as number;
    const get = `${NS}/exports/${id}`;
    expectRestError(await call(`${sc.url}${get}`, asUser(STUDENT_ID, 'GET', get)), 'slbp_export_not_ready', 409);

    await sc.container.payments.queue.drain();
    const file = await call(`${sc.url}${get}`, asUser(STUDENT_ID, 'GET', get));
    expect(file.status).to.equal(200);
    expect(file.headers.get('content-type')).to.equal('text/csv; charset=UTF-8');
    const lines = file.text.trim().split('\r\n');
    expect(lines[0]).to.equal('id,order_id,transaction_id,payment_gateway,amount,currency,status,course_id,created_at,updated_at');
    const [[{ n }]] = await db.pool.query<any>(`SELECT COUNT(*) AS n FROM ${db.prefix}slbp_transactions WHERE user_id = ?`, [STUDENT_ID]);
    expect(n).to.be.above(0);
    expect(lines).to.have.length(n + 1);
    const info = await stat(path.join(sc.container.dataDir, 'exports', sc.container.site.key, `export-${id}.csv`));
    expect(info.mode & 0o777).to.equal(0o600);
    const [note] = await rows(`SELECT data FROM ${db.prefix}slbp_notifications WHERE user_id = ? AND type = 'data_export_ready'`, [
      STUDENT_ID,
    ]);
    expect(JSON.parse(note.data)).to.include({ export_id: id, kind: 'transactions', rows: n });

    expectRestError(await call(`${sc.url}${get}`, asUser(STUDENT_ID + 1, 'GET', get)), 'slbp_export_not_found', 404);
    expectRestError(await call(`${sc.url}${get}`), 'rest_forbidden', 401);
    const missing = `${NS}/exports/999999`;
    expectRestError(await call(`${sc.url}${missing}`, asUser(STUDENT_ID, 'GET', missing)), 'slbp_export_not_found', 404);
  });
});
