import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { createApiKey, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { adminCall } from '../helpers/backup.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { NS, startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';
import { call } from '../helpers/http.ts';
import { phpSerialize, phpUnserialize } from '../../src/data/php-serialize.ts';

const PERSON = 5;
const EMAIL = 'student3@example.test';

/** WordPress's personal data exporter and eraser, as the sidecar serves them to the shim. */
describe('personal data export and erasure', () => {
  let db: TestDb;
  let sc: InProcessSidecar;
  let exportFile: string;
  const t = (name: string) => `${db.prefix}slbp_${name}`;

  /** Revenue per currency over everything, as /analytics would sum it, by the test's own SQL. */
  async function revenueTotals(): Promise<Record<string, string>> {
    const [rows] = await db.pool.query<any[]>(
      `SELECT currency, status, SUM(amount) AS s, COUNT(*) AS n, MIN(created_at) AS a, MAX(created_at) AS b FROM ${t('transactions')} GROUP BY currency, status ORDER BY currency, status`,
    );
    return Object.fromEntries(rows.map((r) => [`${r.currency} ${r.status}`, `${r.s} ${r.n} ${r.a} ${r.b}`]));
  }

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    await db.pool.query(
      `UPDATE ${t('transactions')} SET metadata = JSON_OBJECT('source', 'manual', 'order_number', 77, 'notes', 'Call Ada Lovelace at +44 20 7946 0000', 'email', ?, 'ip', '203.0.113.9') WHERE user_id = ? ORDER BY id LIMIT 1`,
      [EMAIL, PERSON],
    );
    await db.pool.query(
      `INSERT INTO ${t('notifications')} (user_id, type, title, message, created_at) VALUES (?, 'payment_success', 'Payment received', 'Thanks, student3!', UTC_TIMESTAMP())`,
      [PERSON],
    );
    await createApiKey(db, { userId: PERSON, permissions: ['read_billing'], name: 'my phone' });
    await db.pool.query(
      `INSERT INTO ${t('sessions')} (session_key, session_data, expires_at) VALUES ('rt-person', ?, UTC_TIMESTAMP() + INTERVAL 1 DAY), ('rt-other', ?, UTC_TIMESTAMP() + INTERVAL 1 DAY)`,
      [
        JSON.stringify({ user_id: PERSON, sid: 's', via: 'password', created_at: '', ip: '203.0.113.9' }),
        JSON.stringify({ user_id: 6, sid: 's', via: 'password', created_at: '', ip: '198.51.100.1' }),
      ],
    );
    await db.pool.query(
      `INSERT INTO ${t('api_logs')} (api_key_id, user_id, endpoint, method, response_code, response_time, ip_address) VALUES (NULL, ?, '/transactions', 'GET', 200, 3, '203.0.113.9')`,
      [PERSON],
    );
    await db.pool.query(
      `INSERT INTO ${t('background_tasks')} (task_type, task_data, status, scheduled_at) VALUES
      ('send_notifications', ?, 'pending', UTC_TIMESTAMP()), ('send_notifications', ?, 'completed', UTC_TIMESTAMP()), ('data_export', ?, 'completed', UTC_TIMESTAMP())`,
      [
        JSON.stringify({ user_ids: [PERSON, 6], type: 'info', title: 'Hi', message: 'News' }),
        JSON.stringify({ user_id: PERSON, type: 'info', title: 'Hi', message: 'News' }),
        JSON.stringify({ user_id: PERSON, kind: 'transactions' }),
      ],
    );
    const payload = JSON.stringify({
      meta: { event_name: 'order_created', custom_data: { user_id: String(PERSON) } },
      data: {
        id: '9',
        attributes: {
          user_name: 'Student Three',
          user_email: EMAIL,
          total: 4900,
          currency: 'USD',
          first_order_item: { product_name: 'Spanish A1' },
          urls: { receipt: 'https://example.test/r/abc' },
        },
      },
    });
    await db.pool.query(
      `INSERT INTO ${t('webhook_logs')} (webhook_id, event, payload, response_code, status) VALUES (0, 'order_created', ?, 200, 'processed'), (0, 'order_created', '{"data":{"attributes":{"user_email":"someone@else.test"}}}', 200, 'processed')`,
      [payload],
    );
    // Records in the plugin's form: listed under the person (as the sidecar writes them), and the
    // old plugin's, listed under nobody (an order naming their email, the subscription it paid for,
    // one linked by slbp_subscription_user_{id}); someone else's order stays as it is.
    const option = (name: string, value: unknown) =>
      db.pool.query(`INSERT INTO ${db.prefix}options (option_name, option_value, autoload) VALUES (?, ?, 'yes')`, [
        name,
        phpSerialize(value),
      ]);
    const order = (id: string, email: string) => ({
      id,
      customer_id: 31,
      product_id: '900001',
      status: 'paid',
      currency: 'USD',
      total: 49,
      refunded: false,
      customer_email: email,
      customer_name: 'Student Three',
    });
    const sub = (id: string, orderId: number) => ({
      id,
      customer_id: 31,
      order_id: orderId,
      product_id: '900001',
      status: 'active',
      cancelled: false,
      card_brand: 'visa',
      card_last_four: '4242',
    });
    await option('slbp_order_7701', order('7701', EMAIL));
    await option('slbp_order_7702', order('7702', EMAIL.toUpperCase()));
    await option('slbp_order_7709', { ...order('7709', 'someone@else.test'), customer_name: 'Someone Else' });
    await option('slbp_subscription_7801', sub('7801', 7701));
    await option('slbp_subscription_7802', sub('7802', 7702));
    await option('slbp_subscription_7803', sub('7803', 7000));
    await db.pool.query(
      `INSERT INTO ${db.prefix}options (option_name, option_value, autoload) VALUES ('slbp_subscription_user_7803', ?, 'no')`,
      [String(PERSON)],
    );
    await db.pool.query(
      `INSERT INTO ${db.prefix}usermeta (user_id, meta_key, meta_value) VALUES (?, 'slbp_orders', ?), (?, 'slbp_subscriptions', ?), (?, 'slbp_enrollment_190', ?)`,
      [
        PERSON,
        phpSerialize(['7701']),
        PERSON,
        phpSerialize(['7801']),
        PERSON,
        phpSerialize({
          transaction_id: '7701',
          subscription_id: '',
          enrolled_date: '2026-11-01 10:00:00',
          source: 'skylearn_billing_pro',
          lms: 'learndash',
        }),
      ],
    );
    sc = await startSidecar(db, { env: { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET } });
    // The finished export of that data_export task, where the task queue writes it.
    const [[task]] = await db.pool.query<any[]>(`SELECT id FROM ${t('background_tasks')} WHERE task_type = 'data_export'`);
    exportFile = path.join(sc.container.dataDir, 'exports', `export-${task.id}.csv`);
    await mkdir(path.dirname(exportFile), { recursive: true });
    await writeFile(exportFile, 'id,amount\r\n1,49.00\r\n');
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  it("exports the person's transactions, subscriptions, enrolments, notifications and API keys, page by page", async () => {
    const [[counts]] = await db.pool.query<any[]>(
      `SELECT (SELECT COUNT(*) FROM ${t('transactions')} WHERE user_id = ?) AS tx, (SELECT COUNT(*) FROM ${t('subscriptions')} WHERE user_id = ?) AS subs,
      (SELECT COUNT(*) FROM ${t('enrollment_logs')} WHERE user_id = ?) AS enr, (SELECT COUNT(*) FROM ${t('notifications')} WHERE user_id = ?) AS notes`,
      [PERSON, PERSON, PERSON, PERSON],
    );
    const items: any[] = [];
    for (let page = 1; ; page++) {
      const res = await adminCall(sc.url, 'POST', '/privacy/export', { email: EMAIL, page });
      expect(res.status, res.text).to.equal(200);
      expect(res.body.user_id).to.equal(PERSON);
      items.push(...res.body.items);
      if (res.body.done) break;
      expect(page).to.be.lessThan(20);
    }
    const by = (g: string) => items.filter((i) => i.group === g);
    expect(by('transactions')).to.have.length(Number(counts.tx));
    expect(by('subscriptions')).to.have.length(Number(counts.subs));
    expect(by('enrolments')).to.have.length(Number(counts.enr));
    expect(by('notifications')).to.have.length(Number(counts.notes));
    expect(by('api_keys')).to.have.length(1);
    expect(by('api_keys')[0].fields).to.include({ name: 'my phone', status: 'active' }).and.not.have.property('api_key');
    expect(by('transactions')[0].fields).to.have.keys(
      'order_id',
      'transaction_id',
      'gateway',
      'amount',
      'currency',
      'status',
      'course_id',
      'created_at',
      'metadata',
    );
    expect(new Set(items.map((i) => `${i.group}:${i.id}`)).size).to.equal(items.length);
    // The records in the plugin's form: the person's and the old plugin's, nobody else's.
    expect(by('plugin_orders').map((i) => i.id)).to.have.members([7701, 7702]);
    expect(by('plugin_orders')[0].fields).to.include({ customer_email: EMAIL, customer_name: 'Student Three', amount: '49' });
    expect(by('plugin_subscriptions').map((i) => i.id)).to.have.members([7801, 7802, 7803]);
    expect(by('plugin_enrolments').map((i) => i.id)).to.include(190);

    const nobody = await adminCall(sc.url, 'POST', '/privacy/export', { email: 'nobody@example.invalid', page: 1 });
    expect(nobody.body).to.deep.equal({ user_id: null, items: [], done: true });
    const denied = await call(`${sc.base}/privacy/export`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: EMAIL }),
    });
    expect(denied.status).to.equal(401);
  });

  it('erasure leaves nothing that names the person in the plugin tables, keeps every amount, and can be repeated', async () => {
    const before = await revenueTotals();
    const apiBefore = (await adminCall(sc.url, 'GET', '/analytics/revenue?period=custom&date_from=2020-01-01&date_to=2030-12-31')).body
      .totals;
    const [[owned]] = await db.pool.query<any[]>(
      `SELECT COUNT(*) AS tx, (SELECT COUNT(*) FROM ${t('subscriptions')} WHERE user_id = ?) AS subs FROM ${t('transactions')} WHERE user_id = ?`,
      [PERSON, PERSON],
    );

    const res = await adminCall(sc.url, 'POST', '/privacy/erase', { email: EMAIL });
    expect(res.status, res.text).to.equal(200);
    const r = res.body;
    expect(r).to.include({ user_id: PERSON, items_removed: true, items_retained: true });
    expect(r.counts).to.include({
      transactions_anonymised: Number(owned.tx),
      subscriptions_anonymised: Number(owned.subs),
      api_keys_deleted: 1,
      refresh_tokens_deleted: 1,
      api_logs_deleted: 1,
      tasks_deleted: 2,
      tasks_updated: 1,
      webhook_logs_redacted: 1,
      export_files_deleted: 1,
    });
    expect(r.counts.notifications_deleted).to.be.at.least(1);
    expect(r.counts).to.include({
      plugin_orders_anonymised: 2,
      plugin_subscriptions_anonymised: 3,
      plugin_lists_deleted: 2,
      plugin_links_deleted: 1,
    });
    expect(r.counts.plugin_enrolments_deleted).to.be.at.least(1);
    // The plugin's records keep their accounting values and no longer name or reach the person.
    const [options] = await db.pool.query<any[]>(
      `SELECT option_name, option_value FROM ${db.prefix}options WHERE option_name REGEXP '^slbp_(order|subscription)_[0-9]+$' ORDER BY option_name`,
    );
    const stored = Object.fromEntries(
      options.map((o) => [o.option_name, phpUnserialize(o.option_value, 'test') as Record<string, unknown>]),
    );
    for (const name of ['slbp_order_7701', 'slbp_order_7702'])
      expect(stored[name], name).to.include({
        customer_email: '',
        customer_name: '',
        customer_id: '',
        total: 49,
        status: 'paid',
        currency: 'USD',
      });
    for (const name of ['slbp_subscription_7801', 'slbp_subscription_7802', 'slbp_subscription_7803'])
      expect(stored[name], name).to.include({
        card_brand: '',
        card_last_four: '',
        customer_id: '',
        status: 'active',
        product_id: '900001',
      });
    expect(stored.slbp_order_7709).to.include({ customer_email: 'someone@else.test', customer_name: 'Someone Else' });
    const [[left]] = await db.pool.query<any[]>(
      `SELECT (SELECT COUNT(*) FROM ${db.prefix}usermeta WHERE user_id = ? AND (meta_key IN ('slbp_orders', 'slbp_subscriptions') OR meta_key LIKE 'slbp\\_enrollment\\_%')) AS meta,
      (SELECT COUNT(*) FROM ${db.prefix}options WHERE option_name LIKE 'slbp\\_subscription\\_user\\_%') AS links`,
      [PERSON],
    );
    expect(left).to.deep.equal({ meta: 0, links: 0 });
    expect(existsSync(exportFile)).to.equal(false);
    expect(r.retained.map((x: any) => x.group)).to.deep.equal(['transactions', 'subscriptions']);

    // Nothing in any plugin table names user 5 or carries their email, login or name any more.
    for (const table of ['transactions', 'subscriptions', 'enrollment_logs', 'notifications', 'api_keys', 'api_logs']) {
      const [[n]] = await db.pool.query<any[]>(`SELECT COUNT(*) AS n FROM ${t(table)} WHERE user_id = ?`, [PERSON]);
      expect(Number(n.n), table).to.equal(0);
    }
    const [[tokens]] = await db.pool.query<any[]>(`SELECT GROUP_CONCAT(session_key) AS k FROM ${t('sessions')}`);
    expect(tokens.k).to.equal('rt-other');
    const [tasks] = await db.pool.query<any[]>(`SELECT task_data FROM ${t('background_tasks')}`);
    expect(tasks.map((x) => JSON.parse(x.task_data).user_ids)).to.deep.equal([[6]]);
    const [tables] = await db.pool.query<any[]>(
      `SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE ?`,
      [db.name, `${db.prefix}slbp\\_%`],
    );
    for (const { n } of tables) {
      const [cols] = await db.pool.query<any[]>(
        `SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND DATA_TYPE IN ('varchar', 'text', 'longtext', 'char')`,
        [db.name, n],
      );
      if (!cols.length) continue;
      const [[hit]] = await db.pool.query<any[]>(
        `SELECT COUNT(*) AS n FROM \`${n}\` WHERE ${cols.map((c) => `\`${c.c}\` LIKE ? OR \`${c.c}\` LIKE ? OR \`${c.c}\` LIKE ?`).join(' OR ')}`,
        cols.flatMap(() => [`%${EMAIL}%`, '%Student Three%', '%203.0.113.9%']),
      );
      expect(Number(hit.n), `${n} still names the person`).to.equal(0);
    }
    const [[meta]] = await db.pool.query<any[]>(
      `SELECT metadata FROM ${t('transactions')} WHERE JSON_VALUE(metadata, '$.order_number') = 77`,
    );
    const kept = JSON.parse(meta.metadata);
    expect(kept).to.include({ source: 'manual', order_number: 77 }).and.have.property('personal_data_erased_at');
    expect(kept).to.not.have.any.keys('notes', 'email', 'ip');
    const [[log]] = await db.pool.query<any[]>(`SELECT payload FROM ${t('webhook_logs')} WHERE payload LIKE '%Spanish A1%'`);
    const redacted = JSON.parse(log.payload);
    expect(redacted.data.attributes).to.include({
      user_name: '[erased]',
      user_email: '[erased]',
      urls: '[erased]',
      total: 4900,
      currency: 'USD',
    });
    expect(redacted.meta.custom_data).to.equal('[erased]');
    const [[other]] = await db.pool.query<any[]>(`SELECT COUNT(*) AS n FROM ${t('webhook_logs')} WHERE payload LIKE '%someone@else.test%'`);
    expect(Number(other.n)).to.equal(1);

    // Accounting is intact: every amount, status, currency and date, in SQL and through the API.
    expect(await revenueTotals()).to.deep.equal(before);
    expect(
      (await adminCall(sc.url, 'GET', '/analytics/revenue?period=custom&date_from=2020-01-01&date_to=2030-12-31')).body.totals,
    ).to.deep.equal(apiBefore);

    const again = await adminCall(sc.url, 'POST', '/privacy/erase', { email: EMAIL });
    expect(again.body).to.include({ items_removed: false, items_retained: false });
    expect((await adminCall(sc.url, 'POST', '/privacy/export', { email: EMAIL, page: 1 })).body.items).to.deep.equal([]);
  });

  it('the namespace documents both routes', async () => {
    const index = await call(`${sc.url}${NS}`);
    expect(Object.keys(index.body.routes)).to.include.members([
      `${NS.replace('/wp-json', '')}/privacy/export`,
      `${NS.replace('/wp-json', '')}/privacy/erase`,
    ]);
  });
});
