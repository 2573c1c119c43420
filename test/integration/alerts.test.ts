import { expect } from 'chai';
import { phpSerialize } from '../../src/data/php-serialize.ts';
import { ADMIN_ID, asUser, STUDENT_ID, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, expectRestError } from '../helpers/http.ts';
import { startReceiver } from '../helpers/monitoring.ts';
import { NS, startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';

const TOKEN = 'metrics-token-for-alert-tests';
const auth = { headers: { Authorization: `Bearer ${TOKEN}` } };
const T0 = Date.parse('2030-01-01T10:00:00Z');
const at = (sec: number) => new Date(T0 + sec * 1000);

describe('alerts: evaluation, cooldown, notifications and the routes (real MariaDB and Redis)', () => {
  let db: TestDb;
  let sc: InProcessSidecar;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const failed = (n: number) =>
    db.pool.query(
      `INSERT INTO ${db.prefix}slbp_transactions (user_id, order_id, transaction_id, payment_gateway, amount, currency, status, created_at, updated_at)
     SELECT 3, CONCAT('alert-test-', seq), CONCAT('alert_tx_', seq), 'lemon_squeezy', '9.99', 'USD', 'failed', UTC_TIMESTAMP(), UTC_TIMESTAMP() FROM seq_1_to_${n}`,
    );
  const clearFailed = () =>
    db.pool.query(`UPDATE ${db.prefix}slbp_transactions SET status = 'completed' WHERE order_id LIKE 'alert-test-%'`);
  const rows = async () =>
    (await db.pool.query<any>(`SELECT * FROM ${db.prefix}slbp_alerts WHERE alert_name = 'many_failed_payments' ORDER BY id`))[0] as any[];

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    receiver = await startReceiver();
    // Demo data has no failed transaction in the last hour; the test adds them.
    await db.pool.query(
      `DELETE FROM ${db.prefix}slbp_transactions WHERE status = 'failed' AND created_at >= UTC_TIMESTAMP() - INTERVAL 2 HOUR`,
    );
    const config = {
      many_failed_payments: {
        enabled: true,
        metric: 'business.failed_transactions_1h',
        condition: 'greater_than',
        threshold: 2,
        severity: 'error',
        message: 'High number of failed transactions: %.0f in the last hour (threshold: %.0f)',
        cooldown: 600,
        email_recipients: [],
        webhook_url: `${receiver.url}/hook`,
        slack_webhook: `${receiver.url}/slack`,
      },
      disabled_rule: {
        enabled: false,
        metric: 'system.memory_usage',
        condition: 'greater_than',
        threshold: 1,
        severity: 'warning',
        message: 'never',
        cooldown: 0,
        email_recipients: [],
        webhook_url: `${receiver.url}/hook`,
        slack_webhook: '',
      },
    };
    await db.pool.query(`UPDATE ${db.prefix}options SET option_value = ? WHERE option_name = 'slbp_alert_config'`, [phpSerialize(config)]);
    sc = await startSidecar(db, { env: { SLBP_METRICS_TOKEN: TOKEN, SLBP_METRICS_CACHE_SEC: '0', SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET } });
  });
  after(async () => {
    await sc?.stop();
    await receiver?.close();
    await db?.drop();
  });

  it('fires once while the condition holds, notifies webhook and Slack, and resolves when it clears', async () => {
    const job = sc.container.monitoring.alertJob;
    await job.runNow(at(0));
    expect(await rows()).to.have.length(0);
    expect(receiver.bodies).to.have.length(0);

    await failed(3);
    await job.runNow(at(60));
    let r = await rows();
    expect(r).to.have.length(1);
    expect(r[0]).to.include({
      status: 'active',
      metric_name: 'business.failed_transactions_1h',
      severity: 'error',
      threshold_value: 2,
      current_value: 3,
      resolved_at: null,
    });
    expect(r[0].message).to.equal('High number of failed transactions: 3 in the last hour (threshold: 2)');
    const hook = receiver.bodies.filter((b) => b.path === '/hook');
    const slack = receiver.bodies.filter((b) => b.path === '/slack');
    expect(hook).to.have.length(1);
    expect(hook[0]!.body).to.include({
      alert_name: 'many_failed_payments',
      status: 'active',
      severity: 'error',
      current_value: 3,
      threshold: 2,
    });
    expect(slack).to.have.length(1);
    expect(slack[0]!.body.text).to.include('many_failed_payments').and.include('3 in the last hour');

    // Still holding a minute later (one more failure): same row, value updated, no new notification.
    await failed(1);
    await job.runNow(at(120));
    r = await rows();
    expect(r).to.have.length(1);
    expect(r[0]).to.include({ status: 'active', current_value: 4 });
    expect(receiver.bodies).to.have.length(2);

    const listed = await call(`${sc.base}/alerts`, auth);
    expect(listed.status).to.equal(200);
    expect(listed.body).to.include({ total: 1, status: 'active' });
    // The plugin's row shape: strings, dates in the site's time (America/New_York), the UTC instant beside.
    expect(listed.body.alerts[0]).to.include({
      alert_name: 'many_failed_payments',
      status: 'active',
      threshold_value: '2',
      current_value: '4',
      triggered_at: '2030-01-01 05:01:00',
      triggered_at_gmt: '2030-01-01T10:01:00Z',
      resolved_at: null,
    });

    await clearFailed();
    await job.runNow(at(180));
    r = await rows();
    expect(r).to.have.length(1);
    expect(r[0].status).to.equal('resolved');
    expect(r[0].resolved_at).to.equal('2030-01-01 10:03:00');
    expect(receiver.bodies.filter((b) => b.path === '/hook').map((b) => b.body.status)).to.deep.equal(['active', 'resolved']);
    expect((await call(`${sc.base}/alerts`, auth)).body).to.include({ total: 0 });
    const resolved = await call(`${sc.base}/alerts?status=resolved`, auth);
    expect(resolved.body).to.include({ total: 1, status: 'resolved' });
    expect(resolved.body.alerts[0]).to.include({ resolved_at: '2030-01-01 05:03:00', resolved_at_gmt: '2030-01-01T10:03:00Z' });
  });

  it('respects the cooldown before firing again, then fires a new alert', async () => {
    const job = sc.container.monitoring.alertJob;
    await db.pool.query(`UPDATE ${db.prefix}slbp_transactions SET status = 'failed' WHERE order_id LIKE 'alert-test-%'`);
    // Fired at 10:01 with a 600 s cooldown: 10:05 is too soon.
    await job.runNow(at(300));
    expect((await rows()).filter((x) => x.status === 'active')).to.have.length(0);
    await job.runNow(at(661));
    const r = await rows();
    expect(r).to.have.length(2);
    expect(r[1]).to.include({ status: 'active' });
    const all = await call(`${sc.base}/alerts?status=all`, auth);
    expect(all.body).to.include({ total: 2, status: 'all' });
    await clearFailed();
  });

  it('runs an evaluation slot once across nodes (a second run in the same minute is skipped)', async () => {
    await db.pool.query(`UPDATE ${db.prefix}slbp_transactions SET status = 'failed' WHERE order_id LIKE 'alert-test-%'`);
    await db.pool.query(`DELETE FROM ${db.prefix}slbp_alerts`);
    // 10:11:05 is in the slot of the 10:11:01 evaluation, which already ran: nothing happens.
    await sc.container.monitoring.alertJob.runNow(at(665));
    expect(await rows()).to.have.length(0);
    // The next minute is a new slot.
    await sc.container.monitoring.alertJob.runNow(at(725));
    expect(await rows()).to.have.length(1);
    await clearFailed();
    await db.pool.query(`DELETE FROM ${db.prefix}slbp_alerts`);
  });

  it('/alerts validates status and needs monitoring access', async () => {
    expectRestError(await call(`${sc.base}/alerts?status=open`, auth), 'rest_invalid_param', 400);
    expectRestError(await call(`${sc.base}/alerts`), 'rest_forbidden', 401);
  });

  it('/alerts/config: admins read and replace it; a bad entry is a 400 naming it; others are refused', async () => {
    const path = `${NS}/alerts/config`;
    const got = await call(`${sc.url}${path}`, asUser(ADMIN_ID, 'GET', path));
    expect(got.status).to.equal(200);
    expect(Object.keys(got.body.config)).to.deep.equal(['many_failed_payments', 'disabled_rule']);
    expect(got.body.config.many_failed_payments).to.include({ metric: 'business.failed_transactions_1h', cooldown: 600 });

    expectRestError(await call(`${sc.url}${path}`, { ...auth }), 'rest_forbidden', 401);
    expectRestError(await call(`${sc.url}${path}`, asUser(STUDENT_ID, 'GET', path)), 'rest_forbidden', 403);

    const bad = {
      config: { ...got.body.config, broken_rule: { ...got.body.config.disabled_rule, condition: 'bigger', threshold: 'ten' } },
    };
    const res = await call(`${sc.url}${path}`, asUser(ADMIN_ID, 'POST', path, bad));
    expectRestError(res, 'rest_invalid_param', 400);
    expect(Object.keys(res.body.data.params)).to.include.members(['config.broken_rule.condition', 'config.broken_rule.threshold']);
    const unknownMetric = { config: { only: { ...got.body.config.disabled_rule, metric: 'system.opcache_magic' } } };
    expectRestError(await call(`${sc.url}${path}`, asUser(ADMIN_ID, 'POST', path, unknownMetric)), 'rest_invalid_param', 400);
    // Nothing changed after the refused posts.
    expect(Object.keys((await call(`${sc.url}${path}`, asUser(ADMIN_ID, 'GET', path))).body.config)).to.have.length(2);

    const next = { config: { memory: { ...got.body.config.disabled_rule, enabled: true, threshold: 1e12 } } };
    const saved = await call(`${sc.url}${path}`, asUser(ADMIN_ID, 'POST', path, next));
    expect(saved.status).to.equal(200);
    expect(saved.body.success).to.equal(true);
    const after = await call(`${sc.url}${path}`, asUser(ADMIN_ID, 'GET', path));
    expect(after.body.config).to.deep.equal(next.config);
    // Stored as PHP serialize() so the plugin still reads it.
    const [[opt]] = await db.pool.query<any>(`SELECT option_value FROM ${db.prefix}options WHERE option_name = 'slbp_alert_config'`);
    expect(opt.option_value).to.match(/^a:1:\{s:6:"memory";a:10:\{/);
  });
});
