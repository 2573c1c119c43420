import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { ADMIN_ID, asUser, STUDENT_ID, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { adminCall } from '../helpers/backup.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, expectRestError } from '../helpers/http.ts';
import { NS, startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';

const sql = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');
const cents = (v: unknown) => Math.round(Number(v ?? 0) * 100);

/** The sidecar routes behind the store owner's pages: overview, list filters, API keys, backups' files. */
describe('store owner routes: overview, filters, API keys, backup verification and download', () => {
  let db: TestDb;
  let sc: InProcessSidecar;
  const get = (p: string) => adminCall(sc.url, 'GET', p);
  const tx = () => `${db.prefix}slbp_transactions`;

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    const now = Date.now();
    // Failed payments 2 h, 3 days and 10 days ago, in two currencies; a logged webhook; an active alert.
    for (const [ago, amount, currency] of [
      [2 * 3600, '11.00', 'USD'],
      [3 * 86400, '7.50', 'EUR'],
      [10 * 86400, '99.00', 'USD'],
    ] as const) {
      await db.pool.query(
        `INSERT INTO ${tx()} (user_id, order_id, transaction_id, payment_gateway, amount, currency, status, created_at, updated_at) VALUES (4, ?, ?, 'lemon_squeezy', ?, ?, 'failed', ?, ?)`,
        [`fail-${ago}`, `fail-${ago}`, amount, currency, sql(new Date(now - ago * 1000)), sql(new Date(now - ago * 1000))],
      );
    }
    await db.pool
      .query(`INSERT INTO ${db.prefix}slbp_webhook_logs (webhook_id, event, payload, response_code, response_body, status, created_at) VALUES
      (0, 'order_created', '{}', 200, '{}', 'processed', UTC_TIMESTAMP() - INTERVAL 1 HOUR), (0, 'subscription_updated', '{}', 200, '{}', 'duplicate', UTC_TIMESTAMP()), (7, 'order_created', '{}', 200, '{}', 'delivered', UTC_TIMESTAMP())`);
    await db.pool
      .query(`INSERT INTO ${db.prefix}slbp_alerts (alert_name, metric_name, threshold_value, current_value, severity, status, message, triggered_at) VALUES
      ('high_failed_transactions', 'business.failed_transactions_1h', 10, 12, 'error', 'active', 'High number of failed transactions: 12', UTC_TIMESTAMP())`);
    sc = await startSidecar(db, { env: { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET } });
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  it('the overview equals /analytics/revenue for today, 7 and 30 days and per month, and counts what no report has', async () => {
    const res = await get('/analytics/overview');
    expect(res.status, res.text).to.equal(200);
    const o = res.body;
    const [d30, d7, m12] = [
      (await get('/analytics/revenue?period=30d')).body,
      (await get('/analytics/revenue?period=7d')).body,
      (await get('/analytics/revenue?period=12m')).body,
    ];
    const today = d30.series.at(-1).date;
    const d1 = (await get(`/analytics/revenue?period=custom&date_from=${today}&date_to=${today}`)).body;
    for (const [label, mine, api] of [
      ['today', o.revenue.today, d1.totals],
      ['7d', o.revenue['7d'], d7.totals],
      ['30d', o.revenue['30d'], d30.totals],
    ] as const) {
      for (const k of ['gross', 'refunds', 'net'] as const) expect(mine[k], `${label} ${k}`).to.deep.equal(api[k]);
      expect(mine.transactions, `${label} transactions`).to.equal(api.transactions);
    }
    expect(o.revenue_12m.series).to.have.length(12);
    expect(o.revenue_12m.series.map((s: any) => s.month)).to.deep.equal(m12.series.map((s: any) => s.date.slice(0, 7)));
    expect(o.revenue_12m.series.map((s: any) => s.net)).to.deep.equal(m12.series.map((s: any) => s.net));
    expect(o.mrr).to.deep.equal(d30.mrr);
    expect(o.currencies).to.include.members(Object.keys(m12.totals.gross));

    const [byStatus] = await db.pool.query<any[]>(
      `SELECT IF(status = 'trialing', 'on_trial', status) AS s, COUNT(*) AS n FROM ${db.prefix}slbp_subscriptions GROUP BY 1`,
    );
    for (const r of byStatus) expect(o.subscriptions.by_status[r.s], r.s).to.equal(Number(r.n));
    expect(o.subscriptions.by_status).to.include.keys('active', 'on_trial', 'past_due', 'paused', 'cancelled', 'expired');

    const [[f]] = await db.pool.query<any[]>(
      `SELECT SUM(created_at >= UTC_TIMESTAMP() - INTERVAL 1 DAY) AS d1, COUNT(*) AS d7 FROM ${tx()} WHERE status = 'failed' AND created_at >= UTC_TIMESTAMP() - INTERVAL 7 DAY`,
    );
    expect(o.failed_payments['24h'].count).to.equal(Number(f.d1));
    expect(o.failed_payments['7d'].count).to.equal(Number(f.d7));
    expect(cents(o.failed_payments['24h'].amount.USD)).to.be.at.least(1100);
    expect(o.failed_payments['7d'].amount).to.have.property('EUR');

    expect(o.last_webhook).to.include({ event: 'subscription_updated', status: 'duplicate', response_code: 200 });
    expect(o.alerts.total).to.equal(1);
    expect(o.alerts.items[0]).to.include({ alert_name: 'high_failed_transactions', severity: 'error' });

    expectRestError(
      await call(`${sc.base}/analytics/overview`, asUser(STUDENT_ID, 'GET', `${NS}/analytics/overview`)),
      'rest_forbidden',
      403,
    );
  });

  it('transactions and subscriptions filter by currency, gateway id and creation dates', async () => {
    const eur = await get('/transactions?currency=eur&per_page=100');
    expect(eur.status, eur.text).to.equal(200);
    const [[n]] = await db.pool.query<any[]>(`SELECT COUNT(*) AS n FROM ${tx()} WHERE currency = 'EUR'`);
    expect(eur.headers.get('x-wp-total')).to.equal(String(n.n));
    expect(eur.body.every((t: any) => t.currency === 'EUR')).to.equal(true);

    const [[one]] = await db.pool.query<any[]>(`SELECT id, order_id, transaction_id FROM ${tx()} ORDER BY id LIMIT 1 OFFSET 7`);
    for (const term of [one.order_id, one.transaction_id]) {
      const found = await get(`/transactions?search=${encodeURIComponent(term)}`);
      expect(
        found.body.map((t: any) => t.id),
        term,
      ).to.deep.equal([one.id]);
    }

    const [[sub]] = await db.pool.query<any[]>(
      `SELECT id, subscription_id, currency, created_at FROM ${db.prefix}slbp_subscriptions ORDER BY id LIMIT 1 OFFSET 3`,
    );
    expect((await get(`/subscriptions?search=${sub.subscription_id}`)).body.map((s: any) => s.id)).to.deep.equal([sub.id]);
    const at = new Date(`${sub.created_at.replace(' ', 'T')}Z`);
    const around = await get(
      `/subscriptions?currency=${sub.currency}&after=${encodeURIComponent(new Date(at.getTime() - 1000).toISOString())}&before=${encodeURIComponent(new Date(at.getTime() + 1000).toISOString())}&per_page=100`,
    );
    expect(around.body.map((s: any) => s.id)).to.include(sub.id);
    expect(around.body.every((s: any) => s.currency === sub.currency)).to.equal(true);
    expectRestError(await get('/transactions?currency=dollars'), 'rest_invalid_param', 400);
  });

  it('API keys: created once for a user, listed by fingerprint, revoked at once; administrators only', async () => {
    const created = await adminCall(sc.url, 'POST', '/api-keys', {
      user: 'student1',
      name: 'mobile app',
      permissions: ['read_billing'],
      rate_limit: 60,
      expires_at: '2099-12-31',
    });
    expect(created.status, created.text).to.equal(201);
    const { key, api_key: item } = created.body;
    expect(key).to.match(/^slbp_/);
    expect(item).to.include({
      user_id: STUDENT_ID,
      name: 'mobile app',
      rate_limit: 60,
      status: 'active',
      expires_at: '2099-12-31T23:59:59Z',
    });
    expect(item.permissions).to.deep.equal(['read_billing']);
    const [[row]] = await db.pool.query<any[]>(`SELECT api_key FROM ${db.prefix}slbp_api_keys WHERE id = ?`, [item.id]);
    expect(row.api_key).to.equal(createHash('sha256').update(key).digest('hex'));

    const mine = await call(`${sc.base}/transactions?per_page=1`, { headers: { 'X-API-Key': key } });
    expect(mine.status, mine.text).to.equal(200);

    const list = await get('/api-keys?per_page=100');
    expect(list.status).to.equal(200);
    const listed = list.body.find((k: any) => k.id === item.id);
    expect(listed.fingerprint).to.equal(`${row.api_key.slice(0, 8)}…${row.api_key.slice(-4)}`);
    expect(list.text).to.not.include(row.api_key).and.not.include(key);
    expect(listed.last_used_at).to.be.a('string');

    const bad = await adminCall(sc.url, 'POST', '/api-keys', { user: 'no-such-user', name: 'x', permissions: ['read'] });
    expectRestError(bad, 'rest_invalid_param', 400);
    expect(bad.body.data.params).to.have.key('user');
    expectRestError(
      await call(
        `${sc.base}/api-keys`,
        asUser(STUDENT_ID, 'POST', `${NS}/api-keys`, { user: STUDENT_ID, name: 'x', permissions: ['admin'] }),
      ),
      'rest_forbidden',
      403,
    );

    const revoked = await adminCall(sc.url, 'DELETE', `/api-keys/${item.id}`);
    expect(revoked.status, revoked.text).to.equal(200);
    expect(revoked.body.api_key.status).to.equal('revoked');
    expectRestError(await call(`${sc.base}/transactions?per_page=1`, { headers: { 'X-API-Key': key } }), 'slbp_invalid_api_key', 401);
    expectRestError(await adminCall(sc.url, 'DELETE', '/api-keys/999999'), 'slbp_api_key_not_found', 404);
  });

  it('backups are verified on demand (the list shows the state) and downloaded byte for byte', async () => {
    const made = await adminCall(sc.url, 'POST', '/backup/create', { components: ['database', 'config'] });
    expect(made.status, made.text).to.equal(200);
    const id = made.body.backup_id as string;
    const state = async () => (await get('/backup/list')).body.backups.find((b: any) => b.id === id).verification;
    expect(await state()).to.deep.equal({ state: 'unverified', verified_at: null });

    const ok = await adminCall(sc.url, 'POST', `/backup/verify/${id}`, {});
    expect(ok.status, ok.text).to.equal(200);
    expect(ok.body.verification.state).to.equal('verified');
    expect(ok.body.verification.files).to.have.length(2);
    expect((await state()).state).to.equal('verified');

    const manifest = (await get(`/backup/${id}`)).body.backup_info.manifest;
    const file = path.join(sc.container.backup.store.root, id, manifest.files.database.name);
    const down = await fetch(
      `${sc.base}/backup/download/${id}?component=database`,
      asUser(ADMIN_ID, 'GET', `${NS}/backup/download/${id}?component=database`),
    );
    expect(down.status).to.equal(200);
    expect(down.headers.get('content-type')).to.equal('application/octet-stream');
    expect(down.headers.get('content-disposition')).to.equal(`attachment; filename="${id}-${manifest.files.database.name}"`);
    expect(down.headers.get('x-slbp-sha256')).to.equal(manifest.files.database.sha256);
    const bytes = Buffer.from(await down.arrayBuffer());
    expect(bytes.equals(await readFile(file))).to.equal(true);
    expect(createHash('sha256').update(bytes).digest('hex')).to.equal(manifest.files.database.sha256);
    expectRestError(await get(`/backup/download/${id}`), 'rest_missing_callback_param', 400);
    expectRestError(await get('/backup/download/backup_2020-01-01_00-00-00_EXAMPLE0?component=database'), 'slbp_backup_not_found', 404);
    expectRestError(
      await call(
        `${sc.base}/backup/download/${id}?component=database`,
        asUser(STUDENT_ID, 'GET', `${NS}/backup/download/${id}?component=database`),
      ),
      'rest_forbidden',
      403,
    );

    // A file changed on disk fails verification, and the list says so.
    const original = await readFile(file);
    await writeFile(file, Buffer.concat([original, Buffer.from('x')]));
    const failed = await adminCall(sc.url, 'POST', `/backup/verify/${id}`, {});
    expect(failed.body.success).to.equal(false);
    expect(failed.body.verification.state).to.equal('failed');
    expect((await state()).state).to.equal('failed');
    await writeFile(file, original);
  });

  it('/health/detailed counts the nodes listening on the invalidation bus', async () => {
    const res = await get('/health/detailed');
    expect(res.body.service_checks.nodes).to.include({ healthy: true, listening: 1 });
    expect(res.body.service_checks.nodes.this_node.instance_id).to.equal(res.body.instance_id);
  });
});
