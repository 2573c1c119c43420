import { execFile } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { DEMO_WEBHOOK_SECRET } from '../../scripts/lib/demo-data.ts';
import { projectRoot } from '../../src/config/load.ts';
import { orderData, webhookBody } from '../fixtures/lemon-squeezy.ts';
import { call } from '../helpers/http.ts';
import { freePort } from '../helpers/mariadb-instance.ts';
import { cleanRedisPrefix, testRedisPrefix } from '../helpers/redis.ts';
import { seedBilling } from '../helpers/shim-fixtures.ts';
import { NS, type ChildSidecar } from '../helpers/sidecar.ts';
import { installWordPress, spawnSiteSidecar, type WordPressSite } from '../helpers/wordpress.ts';
import { CHROMIUM_ARGS, logInToWordPress, PHP_PROBLEM, seriousViolations, watchConsole } from '../helpers/admin-pages.ts';

const run = promisify(execFile);
const ARTIFACTS = path.join(projectRoot, 'var', 'test-artifacts', 'admin-pages');
const VIEWPORTS = [
  { width: 1280, height: 900 },
  { width: 390, height: 844 },
];
const BUYER_EMAIL = 'ada.buyer@example.test';
const sql = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');

/**
 * The store owner's Billing pages in a real WordPress (Debian's 6.1, php -S) with the sidecar and
 * headless Chromium: every page at two sizes without PHP notices, console errors or serious axe
 * violations; the Overview equal to the API; the actions through the pages, each refused without
 * its nonce or the capability; WordPress's own personal data exporter and eraser.
 */
describe('the Billing pages in WordPress (headless Chromium)', function () {
  this.timeout(300_000);
  const secret = randomBytes(24).toString('hex');
  const redisPrefix = testRedisPrefix();
  let wp: WordPressSite;
  let sidecar: ChildSidecar;
  let browser: Browser;
  let admin: BrowserContext;
  let student: BrowserContext;
  let buyerId: number;
  const t = (name: string) => `${wp.prefix}slbp_${name}`;
  const api = (route: string, init: RequestInit = {}) =>
    call(`${wp.url}${NS}${route}`, {
      ...init,
      headers: { Authorization: wp.adminAuth, ...(init.headers as Record<string, string> | undefined) },
    });
  const pageUrl = (slug: string, args = '') => `${wp.url}/wp-admin/admin.php?page=${slug}${args}`;

  async function login(user: string, password: string): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: VIEWPORTS[0], acceptDownloads: true });
    await logInToWordPress(context, wp.url, user, password);
    return context;
  }

  /** Seeds what the Overview shows: payments today, this week and month, a failed one, every subscription state, an alert. */
  async function seedOverview(): Promise<void> {
    const now = Date.now();
    const rows: unknown[][] = [];
    const add = (agoH: number, amount: string, currency: string, status: string) => {
      const at = sql(new Date(now - agoH * 3_600_000));
      rows.push([wp.studentId, `ov-${rows.length}`, `ov-${rows.length}`, 'lemon_squeezy', amount, currency, status, at, at]);
    };
    add(0.2, '19.00', 'USD', 'completed');
    add(0.3, '9.50', 'EUR', 'completed');
    add(1, '5.00', 'USD', 'refunded');
    add(2, '42.00', 'USD', 'failed');
    add(50, '29.00', 'USD', 'completed');
    add(80, '15.00', 'EUR', 'completed');
    add(24 * 20, '99.00', 'USD', 'completed');
    add(24 * 200, '149.00', 'EUR', 'completed');
    await wp.pool.query(
      `INSERT INTO ${t('transactions')} (user_id, order_id, transaction_id, payment_gateway, amount, currency, status, created_at, updated_at) VALUES ?`,
      [rows],
    );
    const subs = ['active', 'active', 'on_trial', 'past_due', 'paused', 'cancelled', 'expired'].map((status, i) => [
      wp.studentId,
      `sub-${i}`,
      'lemon_squeezy',
      'variant_1',
      status,
      '29.00',
      'USD',
      'monthly',
      ['active', 'on_trial', 'past_due'].includes(status) ? sql(new Date(now + 10 * 86_400_000)) : null,
      status === 'cancelled' ? sql(new Date(now + 5 * 86_400_000)) : status === 'expired' ? sql(new Date(now - 5 * 86_400_000)) : null,
      sql(new Date(now - (i + 1) * 86_400_000)),
      sql(new Date(now - (i + 1) * 86_400_000)),
    ]);
    await wp.pool.query(
      `INSERT INTO ${t('subscriptions')} (user_id, subscription_id, payment_gateway, plan_id, status, amount, currency, billing_cycle, next_billing_date, expires_at, created_at, updated_at) VALUES ?`,
      [subs],
    );
    // The test site is offline: Gravatar images in the toolbar would only fail to load.
    await wp.pool.query(`UPDATE ${wp.prefix}options SET option_value = '' WHERE option_name = 'show_avatars'`);
    await wp.pool.query(
      `INSERT INTO ${t('alerts')} (alert_name, metric_name, threshold_value, current_value, severity, status, message, triggered_at) VALUES ('high_failed_transactions', 'business.failed_transactions_1h', 10, 12, 'error', 'active', 'High number of failed transactions: 12 in the last hour', UTC_TIMESTAMP())`,
    );
  }

  before(async () => {
    const port = await freePort();
    const sidecarUrl = `http://127.0.0.1:${port}`;
    wp = await installWordPress({ sidecarUrl, secret, timeoutSec: 5 });
    await seedBilling(wp);
    await seedOverview();
    sidecar = await spawnSiteSidecar(wp, port, redisPrefix);
    // A buyer who pays through Lemon Squeezy: a WordPress user, then a signed webhook through WordPress.
    const created = await call(`${wp.url}/wp-json/wp/v2/users`, {
      method: 'POST',
      headers: { Authorization: wp.adminAuth, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        username: 'ada',
        email: BUYER_EMAIL,
        password: `ada-${randomBytes(6).toString('hex')}`,
        name: 'Ada Buyer',
        roles: ['subscriber'],
      }),
    });
    expect(created.status, created.text).to.equal(201);
    buyerId = created.body.id;
    const body = JSON.stringify(
      webhookBody('order_created', orderData({ id: 4242, email: BUYER_EMAIL, name: 'Ada Buyer', productId: 900001, total: 4900 }), {
        user_id: String(buyerId),
      }),
    );
    const hook = await call(`${wp.url}/wp-json/slbp/v1/webhook/lemon_squeezy`, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/json', 'X-Signature': createHmac('sha256', DEMO_WEBHOOK_SECRET).update(body).digest('hex') },
    });
    expect(hook.body, hook.text).to.deep.equal({ received: true, processed: true });
    // The student signs in with a password the test knows (set the WordPress way).
    const studentPassword = `student-${randomBytes(6).toString('hex')}`;
    expect(
      (
        await call(`${wp.url}/wp-json/wp/v2/users/${wp.studentId}`, {
          method: 'POST',
          headers: { Authorization: wp.adminAuth, 'Content-Type': 'application/json' },
          body: JSON.stringify({ password: studentPassword }),
        })
      ).status,
    ).to.equal(200);
    await rm(ARTIFACTS, { recursive: true, force: true });
    await mkdir(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 60_000 });
    admin = await login('admin', wp.adminPassword);
    student = await login('student', studentPassword);
  });

  after(async () => {
    await browser?.close();
    await sidecar?.stop();
    await wp?.destroy();
    await cleanRedisPrefix(redisPrefix);
  });

  it('every page loads at 1280×900 and 390×844 without PHP notices, console errors or serious accessibility violations', async () => {
    const pages: [string, string][] = [
      ['overview', pageUrl('slbp-billing')],
      ['transactions', pageUrl('slbp-billing-transactions')],
      ['subscriptions', pageUrl('slbp-billing-subscriptions')],
      ['subscription-cancel', pageUrl('slbp-billing-subscriptions', '&confirm=cancel&subscription=1')],
      ['backups', pageUrl('slbp-billing-backups')],
      ['api-keys', pageUrl('slbp-billing-api-keys')],
      ['system', pageUrl('slbp-billing-system')],
      ['dashboard', `${wp.url}/wp-admin/index.php`],
    ];
    const [[sub]] = await wp.pool.query<any[]>(`SELECT id FROM ${t('subscriptions')} WHERE status = 'active' ORDER BY id LIMIT 1`);
    pages[3]![1] = pageUrl('slbp-billing-subscriptions', `&confirm=cancel&subscription=${sub.id}`);
    for (const viewport of VIEWPORTS) {
      for (const [name, url] of pages) {
        const page = await admin.newPage();
        await page.setViewportSize(viewport);
        const consoleErrors = watchConsole(page);
        const res = await page.goto(url);
        expect(res?.status(), `${name} ${viewport.width}`).to.equal(200);
        const html = await page.content();
        expect(html, `${name}: PHP notice`).to.not.match(PHP_PROBLEM);
        expect(html, `${name}: sidecar unreachable`).to.not.include('could not be read');
        const shot = path.join(ARTIFACTS, `${name}-${viewport.width}x${viewport.height}.png`);
        await page.screenshot({ path: shot, fullPage: true });
        const violations = await seriousViolations(page, name === 'dashboard' ? '#slbp_billing_today' : '#wpbody-content');
        expect(violations, `${name} at ${viewport.width}px: ${JSON.stringify(violations, null, 1)}`).to.deep.equal([]);
        expect(consoleErrors, `${name}: console errors`).to.deep.equal([]);
        await page.close();
      }
    }
    console.log(`      screenshots: ${ARTIFACTS}`);
    const log = await readFile(wp.debugLog, 'utf8').catch(() => '');
    expect(
      log.split('\n').filter((l) => /PHP (Notice|Warning|Deprecated|Fatal)/.test(l)),
      'debug.log',
    ).to.deep.equal([]);
  });

  it("the Overview's figures equal the API's for the same periods, and the 12-month chart has one point per month", async () => {
    const page = await admin.newPage();
    await page.goto(pageUrl('slbp-billing'));
    const cells = await page.$$eval('.slbp-revenue td[data-period]', (tds) =>
      tds.map((td) => ({ ...(td as unknown as { dataset: Record<string, string> }).dataset })),
    );
    const d30 = (await api('/analytics/revenue?period=30d')).body;
    const today = d30.series.at(-1).date;
    const byPeriod: Record<string, any> = {
      today: (await api(`/analytics/revenue?period=custom&date_from=${today}&date_to=${today}`)).body.totals,
      '7d': (await api('/analytics/revenue?period=7d')).body.totals,
      '30d': d30.totals,
    };
    expect(cells.length).to.be.at.least(6);
    for (const c of cells) {
      const totals = byPeriod[c.period!];
      for (const k of ['net', 'gross', 'refunds'] as const)
        expect(Number(c[k]), `${c.period} ${c.currency} ${k}`).to.equal(totals[k][c.currency!] ?? 0);
    }
    // Today in USD: 19.00 paid and 5.00 refunded (gross counts the refunded payment, refunds take it back out).
    expect(cells.find((c) => c.period === 'today' && c.currency === 'USD')).to.include({ gross: '24', refunds: '5', net: '19' });
    expect(Number(cells.find((c) => c.period === 'today' && c.currency === 'EUR')!.net)).to.equal(9.5);

    const m12 = (await api('/analytics/revenue?period=12m')).body;
    for (const cur of Object.keys(m12.totals.gross)) {
      const points = await page.$$eval(`#slbp-chart-revenue-${cur.toLowerCase()} circle.slbp-chart__point`, (cs) =>
        cs.map((c) => Number(c.getAttribute('data-value'))),
      );
      expect(points, `${cur} chart`).to.have.length(12);
      expect(points, `${cur} chart values`).to.deep.equal(m12.series.map((s: any) => s.net[cur] ?? 0));
      const table = await page.$$eval(`#slbp-revenue-12m td[data-currency="${cur}"]`, (tds) =>
        tds.map((td) => Number(td.getAttribute('data-value'))),
      );
      expect(table, `${cur} table`).to.deep.equal(points);
    }
    const subs = (await api('/analytics/subscriptions')).body.by_status;
    const states = await page.$$eval('#slbp-subscriptions-by-state tbody tr', (trs) =>
      trs.map((tr) => [tr.querySelector('th')!.textContent, Number(tr.querySelector('td')!.getAttribute('data-value'))]),
    );
    expect(Object.fromEntries(states)).to.include({
      Active: subs.active,
      'On trial': subs.on_trial,
      'Past due': subs.past_due,
      Paused: subs.paused,
      Cancelled: subs.cancelled,
      Expired: subs.expired,
    });
    expect(await page.locator('#slbp-chart-subscriptions rect').count()).to.equal(states.length);
    expect(await page.getAttribute('#slbp-failed-24h', 'data-count')).to.equal('1');
    expect(await page.getAttribute('#slbp-last-webhook', 'data-event')).to.equal('order_created');
    expect(await page.getAttribute('#slbp-last-webhook', 'data-status')).to.equal('processed');
    expect(await page.textContent('.slbp-alerts')).to.include('High number of failed transactions');
    await page.close();

    const dash = await admin.newPage();
    await dash.goto(`${wp.url}/wp-admin/index.php`);
    expect(Number(await dash.getAttribute('#slbp-widget-today li[data-currency="USD"]', 'data-net'))).to.equal(byPeriod.today.net.USD);
    expect(await dash.textContent('#slbp_billing_today')).to.include('High number of failed transactions');
    await dash.close();
  });

  it('a subscriber gets none of the pages and no widget', async () => {
    const page = await student.newPage();
    for (const slug of [
      'slbp-billing',
      'slbp-billing-transactions',
      'slbp-billing-subscriptions',
      'slbp-billing-backups',
      'slbp-billing-api-keys',
      'slbp-billing-system',
    ]) {
      const res = await page.goto(pageUrl(slug));
      expect(res?.status(), slug).to.equal(403);
      expect(await page.content(), slug).to.not.include('slbp-billing"');
    }
    await page.goto(`${wp.url}/wp-admin/index.php`);
    expect(await page.locator('#slbp_billing_today').count()).to.equal(0);
    expect(await page.locator('#adminmenu a[href*="slbp-billing"]').count()).to.equal(0);
    await page.close();
  });

  it('lists filter by status, currency, dates and email, link each row to its WordPress user, and page', async () => {
    const page = await admin.newPage();
    await page.goto(pageUrl('slbp-billing-transactions', `&s=${encodeURIComponent(BUYER_EMAIL)}`));
    const rows = page.locator('table.transactions tbody tr');
    expect(await rows.count()).to.equal(1);
    expect(await rows.first().locator('td.column-user a').getAttribute('href')).to.include(`user-edit.php?user_id=${buyerId}`);
    await page.goto(pageUrl('slbp-billing-transactions', '&currency=EUR&status=completed'));
    const [[eur]] = await wp.pool.query<any[]>(
      `SELECT COUNT(*) AS n FROM ${t('transactions')} WHERE currency = 'EUR' AND status IN ('completed', 'paid')`,
    );
    expect(await page.textContent('.tablenav.top .displaying-num')).to.include(`${eur.n} item`);
    const today = new Date().toISOString().slice(0, 10);
    await page.goto(pageUrl('slbp-billing-transactions', `&status=failed&from=${today}&to=${today}`));
    expect(await page.locator('table.transactions tbody tr').count()).to.equal(1);
    await page.goto(pageUrl('slbp-billing-transactions', '&orderby=amount&order=desc'));
    expect(await page.locator('table.transactions tbody tr').count()).to.equal(20);
    expect(await page.locator('.tablenav.top .next-page').count()).to.equal(1);
    await page.goto(pageUrl('slbp-billing-subscriptions', '&status=past_due'));
    expect(await page.locator('table.subscriptions tbody tr').count()).to.equal(1);
    await page.close();
  });

  it('cancels and resumes a subscription through the confirmation screen; without the nonce or the capability it is refused', async () => {
    const [[sub]] = await wp.pool.query<any[]>(`SELECT id FROM ${t('subscriptions')} WHERE status = 'active' ORDER BY id LIMIT 1`);
    const status = async () => (await wp.pool.query<any[]>(`SELECT status FROM ${t('subscriptions')} WHERE id = ?`, [sub.id]))[0][0].status;
    const page = await admin.newPage();
    await page.goto(pageUrl('slbp-billing-subscriptions', '&status=active'));
    const cancelHref = await page
      .locator(`table.subscriptions .row-actions .cancel a[href*="subscription=${sub.id}"]`)
      .getAttribute('href');
    await refusals(
      page,
      'POST',
      '/wp-admin/admin-post.php',
      { action: 'slbp_subscription_cancel', subscription: String(sub.id) },
      `slbp_subscription_cancel:${sub.id}`,
      async () => expect(await status()).to.equal('active'),
    );
    await page.goto(new URL(cancelHref!, wp.url).toString());
    await Promise.all([
      page.waitForURL(/page=slbp-billing-subscriptions(?!.*confirm)/),
      page.click('input[type=submit][value="Cancel subscription"]'),
    ]);
    expect(await page.textContent('.slbp-notice')).to.include('cancelled');
    expect(await status()).to.equal('cancelled');

    await page.goto(pageUrl('slbp-billing-subscriptions', '&status=cancelled'));
    const resumeHref = await page
      .locator(`table.subscriptions .row-actions .resume a[href*="subscription=${sub.id}"]`)
      .getAttribute('href');
    await refusals(
      page,
      'POST',
      '/wp-admin/admin-post.php',
      { action: 'slbp_subscription_resume', subscription: String(sub.id) },
      `slbp_subscription_resume:${sub.id}`,
      async () => expect(await status()).to.equal('cancelled'),
    );
    await page.goto(new URL(resumeHref!, wp.url).toString());
    await Promise.all([
      page.waitForURL(/page=slbp-billing-subscriptions(?!.*confirm)/),
      page.click('input[type=submit][value="Resume subscription"]'),
    ]);
    expect(await page.textContent('.slbp-notice')).to.include('resumed');
    expect(await status()).to.equal('active');
    await page.close();
  });

  it('creates an API key (shown once) and revokes it; without the nonce or the capability both are refused', async () => {
    const count = async () => Number((await wp.pool.query<any[]>(`SELECT COUNT(*) AS n FROM ${t('api_keys')}`))[0][0].n);
    const page = await admin.newPage();
    await page.goto(pageUrl('slbp-billing-api-keys'));
    await refusals(
      page,
      'POST',
      '/wp-admin/admin.php?page=slbp-billing-api-keys',
      { name: 'sneaky', user: 'admin', 'permissions[]': 'admin', rate_limit: '10' },
      'slbp_api_key_create:',
      async () => expect(await count()).to.equal(0),
    );
    await page.fill('#slbp-key-name', 'Reporting dashboard');
    await page.fill('#slbp-key-user', 'student');
    await page.uncheck('#slbp-perm-read');
    await page.check('#slbp-perm-read_billing');
    await page.fill('#slbp-key-rate', '120');
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('input[type=submit][value="Create API key"]')]);
    const key = await page.inputValue('#slbp-new-key');
    expect(key).to.match(/^slbp_/);
    expect(await page.content()).to.not.match(PHP_PROBLEM);
    const verify = await call(`${sidecar.base}/auth/verify`, { headers: { 'X-API-Key': key } });
    expect(verify.body).to.include({ valid: true, user_id: wp.studentId });
    await page.goto(pageUrl('slbp-billing-api-keys'));
    expect(await page.locator('#slbp-new-key').count(), 'the key is shown once').to.equal(0);
    expect(await page.content()).to.not.include(key);
    const row = page.locator('table.api-keys tbody tr', { hasText: 'Reporting dashboard' });
    expect(await row.locator('td.column-permissions').textContent()).to.equal('read_billing');
    const [[stored]] = await wp.pool.query<any[]>(`SELECT id, api_key FROM ${t('api_keys')} WHERE name = 'Reporting dashboard'`);
    expect(await row.locator('td.column-fingerprint').textContent()).to.equal(`${stored.api_key.slice(0, 8)}…${stored.api_key.slice(-4)}`);

    await refusals(
      page,
      'GET',
      '/wp-admin/admin-post.php',
      { action: 'slbp_api_key_revoke', key: String(stored.id) },
      `slbp_api_key_revoke:${stored.id}`,
      async () => expect((await call(`${sidecar.base}/auth/verify`, { headers: { 'X-API-Key': key } })).status).to.equal(200),
    );
    const revoke = await row.locator('.row-actions .delete a').getAttribute('href');
    await page.goto(new URL(revoke!, wp.url).toString());
    expect(await page.textContent('.slbp-notice')).to.include('revoked');
    expect((await call(`${sidecar.base}/auth/verify`, { headers: { 'X-API-Key': key } })).status).to.equal(401);
    await page.close();
  });

  it('creates, verifies, downloads and restores a backup through the pages; each action is refused without the nonce or the capability', async () => {
    const backups = async () => (await api('/backup/list')).body.backups as any[];
    const page = await admin.newPage();
    await page.goto(pageUrl('slbp-billing-backups'));
    await refusals(
      page,
      'POST',
      '/wp-admin/admin-post.php',
      { action: 'slbp_backup_create', 'components[]': 'config' },
      'slbp_backup_create:',
      async () => expect(await backups()).to.have.length(0),
    );
    await page.uncheck('#slbp-create-database');
    await Promise.all([page.waitForURL(/page=slbp-billing-backups/), page.click('input[type=submit][value="Create backup"]')]);
    expect(await page.textContent('.slbp-notice')).to.include('started');
    let id = '';
    for (let i = 0; i < 100 && !id; i++) {
      const done = (await backups()).find((b) => b.status === 'completed');
      if (done) id = done.id;
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(id, 'the backup completed').to.not.equal('');
    await page.goto(pageUrl('slbp-billing-backups'));
    const row = page.locator('table.backups tbody tr', { hasText: id });
    expect(await row.locator('[data-state]').getAttribute('data-state')).to.equal('unverified');

    await refusals(
      page,
      'GET',
      '/wp-admin/admin-post.php',
      { action: 'slbp_backup_verify', backup: id },
      `slbp_backup_verify:${id}`,
      async () => expect((await backups())[0].verification.state).to.equal('unverified'),
    );
    await page.goto(new URL((await row.locator('.row-actions .verify a').getAttribute('href'))!, wp.url).toString());
    expect(await page.textContent('.slbp-notice')).to.include('verified');
    expect(await page.locator('table.backups tbody tr', { hasText: id }).locator('[data-state]').getAttribute('data-state')).to.equal(
      'verified',
    );

    const manifest = (await api(`/backup/${id}`)).body.backup_info.manifest;
    await refusals(
      page,
      'GET',
      '/wp-admin/admin-post.php',
      { action: 'slbp_backup_download', backup: id, component: 'config' },
      `slbp_backup_download:${id}`,
      async () => undefined,
    );
    // By keyboard: the row actions show when one of their links has focus.
    await page.locator('table.backups tbody tr', { hasText: id }).locator('.row-actions .download-config a').focus();
    const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    const saved = path.join(ARTIFACTS, 'downloaded-config');
    await download.saveAs(saved);
    expect(
      createHash('sha256')
        .update(await readFile(saved))
        .digest('hex'),
    ).to.equal(manifest.files.config.sha256);
    expect(download.suggestedFilename()).to.equal(`${id}-${manifest.files.config.name}`);

    await refusals(
      page,
      'POST',
      '/wp-admin/admin-post.php',
      { action: 'slbp_backup_restore', backup: id, 'components[]': 'config', confirm_database: wp.dbName },
      `slbp_backup_restore:${id}`,
      async () => expect((await backups()).some((b) => b.type === 'pre_restore')).to.equal(false),
    );
    await page.goto(pageUrl('slbp-billing-backups', `&restore=${id}`));
    expect(await page.textContent('#slbp-restore-database')).to.equal(wp.dbName);
    await page.fill('#slbp-confirm-database', 'not-the-database');
    await Promise.all([page.waitForURL(/restore=/), page.click('input[type=submit][value="Restore this backup"]')]);
    expect(await page.textContent('.slbp-notice')).to.include('Nothing was restored');
    expect((await backups()).some((b) => b.type === 'pre_restore')).to.equal(false);
    await page.fill('#slbp-confirm-database', wp.dbName);
    await Promise.all([
      page.waitForURL(/page=slbp-billing-backups(?!.*restore)/),
      page.click('input[type=submit][value="Restore this backup"]'),
    ]);
    expect(await page.textContent('.slbp-notice')).to.include('restored');
    expect((await backups()).some((b) => b.type === 'pre_restore')).to.equal(true);
    expect(await page.content()).to.not.match(PHP_PROBLEM);
    await page.close();
  });

  it("WordPress's exporter returns the buyer's billing data; its eraser leaves nothing that names them and revenue unchanged", async () => {
    const page = await admin.newPage();
    // Tools → Export Personal Data: a request without the confirmation email, then "Download personal data".
    await page.goto(`${wp.url}/wp-admin/export-personal-data.php`);
    await page.fill('#username_or_email_for_privacy_request', BUYER_EMAIL);
    await page.uncheck('#send_confirmation_email');
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#submit')]);
    await page.locator('.export-personal-data-idle .export-personal-data-handle').first().focus();
    const [zip] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.keyboard.press('Enter')]);
    const zipFile = path.join(ARTIFACTS, 'personal-data-export.zip');
    await zip.saveAs(zipFile);
    const { stdout } = await run('unzip', ['-p', zipFile, 'export.json'], { maxBuffer: 16 << 20 });
    const exported = JSON.parse(stdout);
    const text = JSON.stringify(exported);
    expect(text).to.include('4242').and.include('Payments').and.include('49');

    const totalsBefore = (await api('/analytics/revenue?period=12m')).body.totals;
    await page.goto(`${wp.url}/wp-admin/erase-personal-data.php`);
    await page.fill('#username_or_email_for_privacy_request', BUYER_EMAIL);
    await page.uncheck('#send_confirmation_email');
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#submit')]);
    await page.locator('.remove-personal-data-idle .remove-personal-data-handle').first().focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('.request-results .notice', { timeout: 60_000 });
    const results = await page.textContent('.request-results');
    expect(results).to.include('kept for accounting');
    for (const table of ['transactions', 'subscriptions', 'enrollment_logs', 'notifications', 'api_keys', 'api_logs']) {
      const [[n]] = await wp.pool.query<any[]>(`SELECT COUNT(*) AS n FROM ${t(table)} WHERE user_id = ?`, [buyerId]);
      expect(Number(n.n), table).to.equal(0);
    }
    const [tables] = await wp.pool.query<any[]>(
      `SELECT TABLE_NAME AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME LIKE ?`,
      [wp.dbName, `${wp.prefix}slbp\\_%`],
    );
    for (const { n } of tables) {
      const [cols] = await wp.pool.query<any[]>(
        `SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND DATA_TYPE IN ('varchar', 'text', 'longtext', 'char')`,
        [wp.dbName, n],
      );
      if (!cols.length) continue;
      const [[hit]] = await wp.pool.query<any[]>(
        `SELECT COUNT(*) AS n FROM \`${n}\` WHERE ${cols.map((c) => `\`${c.c}\` LIKE ? OR \`${c.c}\` LIKE ?`).join(' OR ')}`,
        cols.flatMap(() => [`%${BUYER_EMAIL}%`, '%Ada Buyer%']),
      );
      expect(Number(hit.n), `${n} still names the buyer`).to.equal(0);
    }
    const [[kept]] = await wp.pool.query<any[]>(
      `SELECT user_id, amount, currency, status FROM ${t('transactions')} WHERE order_id = '4242'`,
    );
    expect(kept).to.deep.equal({ user_id: 0, amount: '49.00', currency: 'USD', status: 'completed' });
    expect((await api('/analytics/revenue?period=12m')).body.totals).to.deep.equal(totalsBefore);
    await page.close();
  });

  /**
   * The request an action's form or link sends, refused twice: as the administrator without the
   * nonce, and as a subscriber with a valid nonce of their own (403 both times); `unchanged` then
   * checks nothing happened.
   */
  async function refusals(
    adminPage: Page,
    method: 'GET' | 'POST',
    target: string,
    fields: Record<string, string>,
    nonceAction: string,
    unchanged: () => Promise<unknown>,
  ): Promise<void> {
    const send = async (p: Page, nonce: string | null) =>
      p.evaluate(
        async ({ method, target, fields, nonce }) => {
          const body = new URLSearchParams(fields);
          if (nonce) body.set('_wpnonce', nonce);
          const res =
            method === 'GET'
              ? await fetch(`${target}${target.includes('?') ? '&' : '?'}${body}`, { redirect: 'manual' })
              : await fetch(target, { method, body, redirect: 'manual' });
          return res.status;
        },
        { method, target, fields, nonce },
      );
    expect(await send(adminPage, null), `${nonceAction} without a nonce`).to.equal(403);
    await unchanged();
    const sp = await student.newPage();
    await sp.goto(`${wp.url}/wp-admin/profile.php`);
    const nonce = await (await sp.request.get(`${wp.url}/?slbp_test_nonce=${encodeURIComponent(nonceAction)}`)).text();
    expect(nonce).to.match(/^[0-9a-f]{10}$/);
    expect(await send(sp, nonce), `${nonceAction} as a subscriber`).to.equal(403);
    await sp.close();
    await unchanged();
  }
});
