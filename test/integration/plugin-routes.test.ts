import { expect } from 'chai';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { phpSerialize } from '../../src/data/php-serialize.ts';
import { ADMIN_ID, asUser, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { adminCall } from '../helpers/backup.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, expectRestError } from '../helpers/http.ts';
import { NS, startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';

/** The behaviours of the plugin's routes beyond their shapes (test/integration/plugin-compat.test.ts has those). */
describe("the plugin's routes behave like the plugin's (real MariaDB and Redis)", () => {
  let db: TestDb;
  let sc: InProcessSidecar;
  let site: string;
  const option = async (name: string, value: unknown) => {
    await db.pool.query(`DELETE FROM ${db.prefix}options WHERE option_name = ?`, [name]);
    if (value !== undefined)
      await db.pool.query(`INSERT INTO ${db.prefix}options (option_name, option_value, autoload) VALUES (?, ?, 'yes')`, [
        name,
        typeof value === 'string' ? value : phpSerialize(value),
      ]);
    await sc.container.settings.refresh();
  };
  const post = (p: string, body: unknown, headers: Record<string, string> = {}) =>
    call(`${sc.url}${p}`, { method: 'POST', json: body, headers });

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    // A WordPress site on disk: wp-config.php beside wp-settings.php, its version.php and uploads.
    site = await mkdtemp(path.join(os.tmpdir(), 'slbp-site-'));
    await mkdir(path.join(site, 'wp-includes'), { recursive: true });
    await mkdir(path.join(site, 'wp-content', 'uploads', '2026', '11'), { recursive: true });
    await writeFile(path.join(site, 'wp-settings.php'), '<?php\n');
    await writeFile(path.join(site, 'wp-includes', 'version.php'), "<?php\n$wp_version = '6.1.9';\n$wp_db_version = 53496;\n");
    await writeFile(path.join(site, 'wp-content', 'uploads', '2026', '11', 'cover.jpg'), 'jpeg bytes');
    await writeFile(
      path.join(site, 'wp-config.php'),
      `<?php\ndefine( 'DB_NAME', '${db.name}' );\n$table_prefix = '${db.prefix}';\ndefine( 'WP_CONTENT_DIR', dirname( __FILE__ ) . '/wp-content' );\nrequire_once ABSPATH . 'wp-settings.php';\n`,
    );
    sc = await startSidecar(db, {
      env: { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET, SLBP_WP_CONFIG: path.join(site, 'wp-config.php'), SLBP_METRICS_CACHE_SEC: '0' },
    });
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
    if (site) await rm(site, { recursive: true, force: true });
  });

  describe('alerts', () => {
    it("evaluates the plugin's three built-in rules while slbp_alert_config was never saved", async () => {
      await option('slbp_alert_config', undefined);
      const shown = await adminCall(sc.url, 'GET', '/alerts/config');
      expect(Object.keys(shown.body.config)).to.deep.equal([
        'high_memory_usage',
        'database_connection_failure',
        'high_failed_transactions',
      ]);
      await db.pool.query(`DELETE FROM ${db.prefix}slbp_alerts`);
      await db.pool.query(
        `INSERT INTO ${db.prefix}slbp_transactions (user_id, order_id, transaction_id, payment_gateway, amount, currency, status, created_at, updated_at)
         SELECT 3, CONCAT('builtin-', seq), CONCAT('builtin_tx_', seq), 'lemon_squeezy', '9.99', 'USD', 'failed', UTC_TIMESTAMP(), UTC_TIMESTAMP() FROM seq_1_to_11`,
      );
      await sc.container.monitoring.alertJob.runNow(new Date());
      const [rows] = await db.pool.query<any>(`SELECT alert_name, severity, threshold_value FROM ${db.prefix}slbp_alerts`);
      expect(rows).to.deep.include({ alert_name: 'high_failed_transactions', severity: 'error', threshold_value: 10 });
      await db.pool.query(`DELETE FROM ${db.prefix}slbp_transactions WHERE order_id LIKE 'builtin-%'`);
    });

    it("POST takes the plugin's body (the rule map itself, its required fields only) and answers as the plugin did", async () => {
      const rules = {
        big_memory: { enabled: true, metric: 'system.memory_usage', condition: 'greater_than', threshold: 1e12, severity: 'info' },
      };
      const res = await adminCall(sc.url, 'POST', '/alerts/config', rules);
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ success: true, message: 'Alert configuration updated successfully' });
      expect(res.body.config.big_memory).to.include({ threshold: 1e12, cooldown: 0 });
      expect(Object.keys((await adminCall(sc.url, 'GET', '/alerts/config')).body.config)).to.deep.equal(['big_memory']);
      const bad = await adminCall(sc.url, 'POST', '/alerts/config', { big_memory: { ...rules.big_memory, severity: 'loud' } });
      expectRestError(bad, 'rest_invalid_param', 400);
      expect(bad.body.success).to.equal(false);
    });
  });

  it('/health/detailed reads the WordPress version from the site and says where each value came from', async () => {
    const res = await adminCall(sc.url, 'GET', '/health/detailed');
    expect(res.body.system_info).to.include({ wordpress_version: '6.1.9', plugin_version: sc.container.config.version });
    expect(res.body.system_info.sources.wordpress_version).to.equal('wp-includes/version.php');
    expect(res.body.performance_metrics.response_time).to.be.a('number');
    expect(res.body.performance_metrics.response_time_percentiles).to.include.keys('p50', 'p95', 'p99');
    expect(res.body.service_checks.external_apis.apis.lemon_squeezy.response_time).to.be.a('number');
  });

  describe('backups', () => {
    it('finds the uploads directory from the site (wp-config.php, then the upload_path option) for the files component', async () => {
      const res = await adminCall(sc.url, 'POST', '/backup/create', { components: ['files'] });
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ success: true });
      expect(res.body.backup_info.files).to.have.keys('files');
      // upload_path moves uploads: tried first, and while it names no directory the next place is used.
      await option('upload_path', path.join(site, 'moved-uploads'));
      try {
        const fallback = await adminCall(sc.url, 'POST', '/backup/create', { components: ['files'] });
        expect(fallback.status).to.equal(200);
        expect(fallback.body.success).to.equal(true);
        await mkdir(path.join(site, 'moved-uploads'));
        const moved = await adminCall(sc.url, 'POST', '/backup/create', { components: ['files'] });
        expect(moved.body.success).to.equal(true);
        await rm(path.join(site, 'wp-content'), { recursive: true });
        await rm(path.join(site, 'moved-uploads'), { recursive: true });
        const none = await adminCall(sc.url, 'POST', '/backup/create', { components: ['database', 'files'] });
        expect(none.status).to.equal(200);
        expect(none.body).to.include({ success: false });
        expect(none.body.backup_info.status).to.equal('failed');
        expect(none.body.message).to.include('Failed to create files archive').and.include(path.join(site, 'moved-uploads'));
      } finally {
        await option('upload_path', undefined);
      }
    });

    it("restore and delete take the plugin's backup_id and answer any id that names no backup the plugin's way", async () => {
      for (const id of ['nope', 'backup_2020-01-01_00-00-00_MISSING0']) {
        const restored = await adminCall(sc.url, 'POST', `/backup/restore/${id}`, {});
        expect([restored.status, restored.body.success, restored.body.message]).to.deep.equal([200, false, 'Backup not found']);
        const deleted = await adminCall(sc.url, 'DELETE', `/backup/delete/${id}`);
        expect([deleted.status, deleted.body.success, deleted.body.message]).to.deep.equal([200, false, 'Backup not found']);
      }
      const index = await call(`${sc.base}`);
      expect(Object.keys(index.body.routes)).to.include('/skylearn-billing-pro/v1/backup/restore/(?P<backup_id>[\\w.-]+)');
    });
  });

  describe('integration webhooks, served without the plugin', () => {
    it('the generic webhook answers {success: true, data: null}; with slbp_webhook_api_key set, only the right X-SLBP-API-Key gets in', async () => {
      const open = await post('/wp-json/slbp/v1/webhook', { event: 'test' });
      expect([open.status, open.body]).to.deep.equal([200, { success: true, data: null }]);
      await option('slbp_webhook_api_key', 'key-0123456789');
      try {
        expectRestError(await post('/wp-json/slbp/v1/webhook', {}), 'rest_forbidden', 401);
        expectRestError(await post('/wp-json/slbp/v1/webhook', {}, { 'X-SLBP-API-Key': 'key-wrong' }), 'rest_forbidden', 401);
        expect((await post('/wp-json/slbp/v1/webhook', {}, { 'X-SLBP-API-Key': 'key-0123456789' })).status).to.equal(200);
      } finally {
        await option('slbp_webhook_api_key', undefined);
      }
    });

    it('an integration not active in slbp_integrations_settings is 404; Mailchimp and Zapier do what the plugin did', async () => {
      const inactive = await post('/wp-json/slbp/v1/webhook/zapier', { action: 'create_user', email: 'x@example.com' });
      expect([inactive.status, inactive.body]).to.deep.equal([404, { error: 'Integration not found or not active' }]);
      await option('slbp_integrations_settings', { mailchimp: { enabled: true }, zapier: { enabled: '1' }, slack: { enabled: true } });
      expect((await post('/wp-json/slbp/v1/webhook/slack', {})).status).to.equal(404);

      const [[student]] = await db.pool.query<any>(`SELECT ID, user_email FROM ${db.prefix}users WHERE ID = 3`);
      const unsub = await post('/wp-json/slbp/v1/webhook/mailchimp', { type: 'unsubscribe', data: { email: student.user_email } });
      expect([unsub.status, unsub.body]).to.deep.equal([200, { success: true, data: true }]);
      const meta = async (userId: number, key: string) =>
        (
          (
            await db.pool.query<any>(`SELECT meta_value FROM ${db.prefix}usermeta WHERE user_id = ? AND meta_key = ?`, [userId, key])
          )[0] as any[]
        ).map((r) => r.meta_value);
      expect(await meta(3, 'slbp_mailchimp_unsubscribed')).to.deep.equal(['1']);

      const created = await post('/wp-json/slbp/v1/webhook/zapier', {
        action: 'create_user',
        email: 'zap.buyer@example.com',
        first_name: 'Zap',
      });
      expect([created.status, created.body]).to.deep.equal([200, { success: true, data: true }]);
      const [[user]] = await db.pool.query<any>(`SELECT ID, user_login FROM ${db.prefix}users WHERE user_email = 'zap.buyer@example.com'`);
      expect(user.user_login).to.equal('zap.buyer@example.com');
      expect(await meta(user.ID, 'first_name')).to.deep.equal(['Zap']);
      const again = await post('/wp-json/slbp/v1/webhook/zapier', { action: 'create_user', email: 'zap.buyer@example.com' });
      expect([again.status, again.body]).to.deep.equal([400, { error: 'User with this email already exists.' }]);

      const enrolled = await post('/wp-json/slbp/v1/webhook/zapier', {
        action: 'enroll_user',
        email: 'zap.buyer@example.com',
        course_id: 77,
      });
      expect(enrolled.body).to.deep.equal({ success: true, data: true });
      expect(await meta(user.ID, 'course_77_access_from')).to.have.length(1);

      const [[sub]] = await db.pool.query<any>(
        `SELECT subscription_id FROM ${db.prefix}slbp_subscriptions WHERE status = 'active' LIMIT 1`,
      );
      const updated = await post('/wp-json/slbp/v1/webhook/zapier', {
        action: 'update_subscription',
        subscription_id: sub.subscription_id,
        status: 'paused',
      });
      expect(updated.body).to.deep.equal({ success: true, data: true });
      const [[row]] = await db.pool.query<any>(`SELECT status FROM ${db.prefix}slbp_subscriptions WHERE subscription_id = ?`, [
        sub.subscription_id,
      ]);
      expect(row.status).to.equal('paused');
      const missing = await post('/wp-json/slbp/v1/webhook/zapier', { action: 'update_subscription', status: 'active' });
      expect([missing.status, missing.body]).to.deep.equal([400, { error: 'Subscription ID is required.' }]);
      expect((await post('/wp-json/slbp/v1/webhook/zapier', { action: 'dance' })).body).to.deep.equal({ success: true, data: false });

      // The Lemon Squeezy webhook keeps its own route.
      expect((await post('/wp-json/slbp/v1/webhook/lemon_squeezy', { meta: {} })).body).to.deep.equal({ error: 'Missing signature' });
    });
  });

  it('an unknown dashboard timeframe is answered for 1 hour, named as asked', async () => {
    const res = await call(`${sc.base}/metrics/dashboard?timeframe=90m`, asUser(ADMIN_ID, 'GET', `${NS}/metrics/dashboard?timeframe=90m`));
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ timeframe: '90m', timeframe_applied: '1h' });
  });
});
