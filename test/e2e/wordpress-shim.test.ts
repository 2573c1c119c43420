import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { chromium } from 'playwright-core';
import { projectRoot } from '../../src/config/load.ts';
import { waitFor } from '../helpers/backup.ts';
import { call, expectRestError } from '../helpers/http.ts';
import type { RecordedRequest, RecordingProxy } from '../helpers/recording-proxy.ts';
import { expectTransactionsForwarded, getFrom, setHealthCheckIps } from '../helpers/shim-fixtures.ts';
import { NS, type ChildSidecar } from '../helpers/sidecar.ts';
import { startShimSite, UNCONFIGURED_HEADER, type ShimSite, type WordPressSite } from '../helpers/wordpress.ts';

const TIMEOUT_SEC = 2;
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const PHP_PROBLEM =
  /<b>(Notice|Warning|Deprecated|Fatal error|Parse error)<\/b>:|(PHP )?(Notice|Warning|Deprecated|Fatal error): .* in \/.* on line \d+/;

describe('the WordPress shim plugin, through a real WordPress', function () {
  this.timeout(120_000);
  let site: ShimSite;
  let wp: WordPressSite;
  let sidecar: ChildSidecar;
  let proxy: RecordingProxy;
  let sidecarUrl: string;
  let secret: string;

  const viaWp = (route: string, auth?: string, init: RequestInit = {}) =>
    call(`${wp.url}${route}`, {
      ...init,
      headers: { ...(auth ? { Authorization: auth } : {}), ...(init.headers as Record<string, string> | undefined) },
    });
  const lastTo = (pathPrefix: string): RecordedRequest => {
    const found = proxy.requests.filter((r) => r.url.startsWith(pathPrefix)).at(-1);
    expect(found, `a request to ${pathPrefix}`).to.not.equal(undefined);
    return found!;
  };

  before(async () => {
    // The shim talks to the sidecar through a recorder, so the test sees exactly what it sent.
    site = await startShimSite({ timeoutSec: TIMEOUT_SEC });
    ({ wp, sidecar, proxy, sidecarUrl, secret } = site);
  });

  after(async () => {
    await site?.stop();
  });

  it('forwards /wp-json/ calls with the user WordPress authenticated (Application Passwords)', async () => {
    const admin = await viaWp(`${NS}/health/detailed`, wp.adminAuth);
    expect(admin.status, admin.text).to.equal(200);
    expect(admin.body.status).to.be.oneOf(['healthy', 'degraded']);
    expect(admin.body.system_info.node_version).to.match(/^v\d+/);
    expect(admin.headers.get('x-request-id')).to.be.a('string').and.not.empty;
    const sent = lastTo(`${NS}/health/detailed`);
    expect(sent.headers['x-slbp-user']).to.equal(String(wp.adminId));
    expect(sent.headers['x-slbp-client-ip']).to.equal('127.0.0.1');

    expectRestError(await viaWp(`${NS}/health/detailed`, wp.studentAuth), 'rest_forbidden', 403);
    expect(lastTo(`${NS}/health/detailed`).headers['x-slbp-user']).to.equal(String(wp.studentId));

    expectRestError(await viaWp(`${NS}/health/detailed`), 'rest_forbidden', 401);
    expect(lastTo(`${NS}/health/detailed`).headers['x-slbp-signature']).to.equal(undefined);

    // A wrong Application Password leaves WordPress's caller anonymous (as wp/v2/users/me
    // shows), so nothing signed reaches the sidecar and the admin route stays closed.
    const wrong = `Basic ${Buffer.from('admin:wrong wrong wrong').toString('base64')}`;
    expect((await viaWp('/wp-json/wp/v2/users/me', wrong)).status).to.equal(401);
    expectRestError(await viaWp(`${NS}/health/detailed`, wrong), 'rest_forbidden', 401);
    expect(lastTo(`${NS}/health/detailed`).headers['x-slbp-signature']).to.equal(undefined);
  });

  it("GET /transactions through WordPress equals the sidecar's direct answer; a subscriber sees only their rows", async () => {
    await expectTransactionsForwarded(wp, sidecarUrl, secret);
  });

  it('answers the namespace index and /live exactly as the sidecar does', async () => {
    const index = await viaWp(`${NS}`, wp.adminAuth);
    const direct = await call(`${sidecarUrl}${NS}`);
    expect(index.status, index.text).to.equal(200);
    expect(index.body).to.deep.equal(direct.body);
    expect(Object.keys(index.body.routes)).to.include(`${NS.replace('/wp-json', '')}/live`);

    const live = await viaWp(`${NS}/live`);
    const liveDirect = await call(`${sidecarUrl}${NS}/live`);
    expect(live.status).to.equal(200);
    expect(live.body.alive).to.equal(true);
    expect(live.body.instance_id).to.equal(liveDirect.body.instance_id);
  });

  it('forwards ?rest_route= requests, signing the query in a canonical order', async () => {
    const route = encodeURIComponent(`${NS.replace('/wp-json', '')}/health/detailed`);
    const admin = await viaWp(`/?rest_route=${route}&zeta=1&alpha=a%20b&list[]=2&list[]=1`, wp.adminAuth);
    expect(admin.status, admin.text).to.equal(200);
    expect(admin.body.status).to.be.oneOf(['healthy', 'degraded']);
    expect(lastTo(`${NS}/health/detailed`).url).to.equal(`${NS}/health/detailed?alpha=a%20b&list%5B%5D=2&list%5B%5D=1&zeta=1`);
    expectRestError(await viaWp(`/?rest_route=${route}`, wp.studentAuth), 'rest_forbidden', 403);
    expectRestError(await viaWp(`/?rest_route=${route}`), 'rest_forbidden', 401);
  });

  it("forwards the plugin's integration webhooks with their X-SLBP-API-Key, so they answer without the plugin", async () => {
    const generic = await viaWp('/wp-json/slbp/v1/webhook', undefined, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-SLBP-API-Key': 'zap-key' },
      body: JSON.stringify({ event: 'ping' }),
    });
    expect([generic.status, generic.body], generic.text).to.deep.equal([200, { success: true, data: null }]);
    expect(lastTo('/wp-json/slbp/v1/webhook').headers['x-slbp-api-key']).to.equal('zap-key');
    const zapier = await viaWp('/wp-json/slbp/v1/webhook/zapier', undefined, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ action: 'create_user' }),
    });
    expect([zapier.status, zapier.body], zapier.text).to.deep.equal([404, { error: 'Integration not found or not active' }]);
    expect(lastTo('/wp-json/slbp/v1/webhook/zapier').method).to.equal('POST');
  });

  it("supersedes the original plugin's same-named routes, the webhook included", async () => {
    // test/fixtures/wordpress/original-plugin-routes.php registers these like the PHP plugin does.
    const health = await viaWp(`${NS}/health`);
    expect(health.body.served_by).to.equal(undefined);
    expect(health.body.status, health.text).to.be.oneOf(['healthy', 'degraded']);
    expect(health.body.instance_id).to.equal((await call(`${sidecarUrl}${NS}/health`)).body.instance_id);
    expect((await viaWp(`${NS}/transactions/1`, wp.adminAuth)).body.served_by).to.equal(undefined);

    const payload = JSON.stringify({ meta: { event_name: 'order_created' }, data: { id: '1' } });
    const hook = await viaWp('/wp-json/slbp/v1/webhook/lemon_squeezy', undefined, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Signature': 'ab'.repeat(32), 'X-Event-Name': 'order_created' },
      body: payload,
    });
    expect(hook.body.served_by, hook.text).to.equal(undefined);
    const sent = lastTo('/wp-json/slbp/v1/webhook/lemon_squeezy');
    expect(sent.body.toString('utf8')).to.equal(payload);
    expect(sent.headers['x-signature']).to.equal('ab'.repeat(32));
    expect(sent.headers['content-type']).to.equal('application/json');
    expect(sent.headers['x-slbp-signature']).to.equal(undefined);

    // An unconfigured shim does nothing: the original plugin's routes answer, nothing is forwarded.
    const before = proxy.requests.length;
    const unconfigured = await viaWp(`${NS}/health`, undefined, { headers: { [UNCONFIGURED_HEADER]: '1' } });
    expect(unconfigured.body.served_by).to.equal('original-plugin');
    expect(proxy.requests.length).to.equal(before);
  });

  it("the sidecar's address allowlists see the visitor's address, not the WordPress host's", async () => {
    // WordPress and the sidecar share 127.0.0.1; a visitor from 127.0.0.2 must not inherit
    // WordPress's place on the health-check allowlist, signed in or not.
    await setHealthCheckIps(wp, sidecarUrl, ['127.0.0.1']);
    try {
      const route = `${wp.url}${NS}/health/detailed`;
      expect((await getFrom('127.0.0.2', route, { Authorization: wp.studentAuth })).status).to.equal(403);
      expect((await getFrom('127.0.0.2', route)).status).to.equal(401);
      expect(lastTo(`${NS}/health/detailed`).headers['x-forwarded-for']).to.equal('127.0.0.2');
      expect((await getFrom('127.0.0.1', route)).status).to.equal(200);
    } finally {
      await setHealthCheckIps(wp, sidecarUrl, []);
    }
  });

  it("passes the sidecar's errors through in WordPress's shape", async () => {
    const missing = await viaWp(`${NS}/no-such-route`, wp.adminAuth);
    expectRestError(missing, 'rest_no_route', 404);
  });

  it('a shim request tampered with or replayed, sent straight to the sidecar, is refused', async () => {
    const posted = await viaWp(`${NS}/cache/invalidate`, wp.adminAuth, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ tags: [`user:${wp.adminId}`] }),
    });
    expect(posted.status, posted.text).to.not.equal(401);
    const original = lastTo(`${NS}/cache/invalidate`);
    expect(original.headers['x-slbp-signature']).to.match(/^[a-f0-9]{64}$/);
    const headers = Object.fromEntries(
      ['content-type', 'x-slbp-user', 'x-slbp-timestamp', 'x-slbp-nonce', 'x-slbp-signature'].map((h) => [h, String(original.headers[h])]),
    );
    const send = (body: string, extra: Record<string, string> = {}, url = original.url) =>
      call(`${sidecarUrl}${url}`, { method: 'POST', headers: { ...headers, ...extra }, body });

    expectRestError(await send(original.body.toString('utf8')), 'slbp_replayed_request', 401);
    expectRestError(await send(JSON.stringify({ all: true })), 'slbp_invalid_signature', 401);
    expectRestError(await send(original.body.toString('utf8'), { 'x-slbp-user': '0' }), 'slbp_invalid_signature', 401);
    expectRestError(await send(original.body.toString('utf8'), {}, `${original.url}?all=1`), 'slbp_invalid_signature', 401);

    // The same for a GET the shim signed for the administrator: replayed, or as someone else.
    const get = proxy.requests.filter((r) => r.method === 'GET' && r.headers['x-slbp-user'] === String(wp.adminId)).at(-1)!;
    const getHeaders = Object.fromEntries(
      ['x-slbp-user', 'x-slbp-timestamp', 'x-slbp-nonce', 'x-slbp-signature'].map((h) => [h, String(get.headers[h])]),
    );
    expectRestError(await call(`${sidecarUrl}${get.url}`, { headers: getHeaders }), 'slbp_replayed_request', 401);
  });

  it('times out with 504 slbp_sidecar_unavailable when the sidecar stops answering', async () => {
    proxy.mode = 'hang';
    try {
      const started = Date.now();
      const res = await viaWp(`${NS}/live`, wp.adminAuth);
      const ms = Date.now() - started;
      console.log(`      hanging sidecar: WordPress answered ${res.status} after ${ms} ms (configured timeout ${TIMEOUT_SEC} s)`);
      expectRestError(res, 'slbp_sidecar_unavailable', 504);
    } finally {
      proxy.mode = 'forward';
    }
  });

  it('a role changed in WordPress is what the sidecar applies on the next request', async () => {
    expectRestError(await viaWp(`${NS}/health/detailed`, wp.studentAuth), 'rest_forbidden', 403);
    const promoted = await viaWp(`/wp-json/wp/v2/users/${wp.studentId}`, wp.adminAuth, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ roles: ['administrator'] }),
    });
    expect(promoted.status, promoted.text).to.equal(200);
    expect(promoted.body.roles).to.deep.equal(['administrator']);
    const invalidation = lastTo(`${NS}/cache/invalidate`);
    expect(invalidation.headers['x-slbp-user']).to.equal('0');
    expect(JSON.parse(invalidation.body.toString('utf8'))).to.deep.equal({ tags: [`user:${wp.studentId}`] });

    const after = await viaWp(`${NS}/health/detailed`, wp.studentAuth);
    expect(after.status, after.text).to.equal(200);
  });

  it("a password changed in WordPress stops that user's sidecar tokens: access and refresh", async () => {
    const password = `pw-${randomBytes(6).toString('hex')}`;
    const created = await viaWp('/wp-json/wp/v2/users', wp.adminAuth, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        username: `changer${randomBytes(3).toString('hex')}`,
        email: `changer-${randomBytes(3).toString('hex')}@example.test`,
        password,
        roles: ['subscriber'],
      }),
    });
    expect(created.status, created.text).to.equal(201);
    const signIn = await call(`${sidecarUrl}${NS}/auth/login`, { method: 'POST', json: { username: created.body.username, password } });
    expect(signIn.status, signIn.text).to.equal(200);
    const bearer = { Authorization: `Bearer ${signIn.body.access_token}` };
    expect((await call(`${sidecarUrl}${NS}/users/me`, { headers: bearer })).status).to.equal(200);

    const changed = await viaWp(`/wp-json/wp/v2/users/${created.body.id}`, wp.adminAuth, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ password: `${password}-new` }),
    });
    expect(changed.status, changed.text).to.equal(200);
    expect(JSON.parse(lastTo(`${NS}/cache/invalidate`).body.toString('utf8'))).to.deep.equal({ tags: [`user:${created.body.id}`] });
    expectRestError(await call(`${sidecarUrl}${NS}/users/me`, { headers: bearer }), 'slbp_invalid_token', 401);
    expectRestError(
      await call(`${sidecarUrl}${NS}/auth/refresh`, { method: 'POST', json: { refresh_token: signIn.body.refresh_token } }),
      'slbp_invalid_refresh_token',
      401,
    );
    expect(
      (
        await call(`${sidecarUrl}${NS}/auth/login`, {
          method: 'POST',
          json: { username: created.body.username, password: `${password}-new` },
        })
      ).status,
    ).to.equal(200);
  });

  it("shows the sidecar's health on the admin page, without PHP notices; cookie + nonce calls forward too (headless Chromium)", async () => {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: 60_000 });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const adminPage = `${wp.url}/wp-admin/options-general.php?page=slbp-sidecar`;
      // Log in through WordPress's own form, straight to the page (the dashboard is slow on php -S).
      await page.goto(`${wp.url}/wp-login.php?redirect_to=${encodeURIComponent(adminPage)}`);
      await page.fill('#user_login', 'admin');
      await page.fill('#user_pass', wp.adminPassword);
      await Promise.all([page.waitForURL(/page=slbp-sidecar/), page.click('#wp-submit')]);
      const status = (await page.textContent('#slbp-sidecar-status'))?.trim();
      expect(status).to.be.oneOf(['healthy', 'degraded']);
      expect((await page.textContent('#slbp-sidecar-version'))?.trim()).to.match(/^\d+\.\d+/);
      expect(await page.content()).to.not.match(PHP_PROBLEM);

      const artifacts = path.join(projectRoot, 'var', 'artifacts');
      await mkdir(artifacts, { recursive: true });
      const shot = path.join(artifacts, 'shim-admin-page.png');
      await page.screenshot({ path: shot, fullPage: true });
      console.log(`      admin page screenshot: ${shot}`);

      // Cookie + nonce, as WordPress's own JavaScript calls the REST API: the nonce makes the
      // cookie count; without it WordPress treats the call as anonymous (CSRF protection).
      const fromPage = await page.evaluate(async (route) => {
        const nonce = await (await fetch('/wp-admin/admin-ajax.php?action=rest-nonce')).text();
        const withNonce = await fetch(route, { headers: { 'X-WP-Nonce': nonce } });
        const withoutNonce = await fetch(route);
        return {
          nonce,
          withNonce: [withNonce.status, ((await withNonce.json()) as { status: string }).status] as const,
          withoutNonce: withoutNonce.status,
        };
      }, `${NS}/health/detailed`);
      expect(fromPage.nonce).to.match(/^[a-f0-9]{10}$/);
      expect(fromPage.withNonce[0]).to.equal(200);
      expect(fromPage.withNonce[1]).to.be.oneOf(['healthy', 'degraded']);
      expect(fromPage.withoutNonce).to.equal(401);

      await Promise.all([page.waitForURL(/page=slbp-sidecar/), page.click('input[value="Flush cache"]')]);
      const notice = (await page.textContent('.wrap .notice'))?.trim();
      expect(notice).to.be.a('string').and.not.empty;
      expect(await page.content()).to.not.match(PHP_PROBLEM);

      // Without SLBP_SIDECAR_URL/SECRET (and no saved settings): a notice and the settings form.
      await page.setExtraHTTPHeaders({ [UNCONFIGURED_HEADER]: '1' });
      await page.goto(adminPage);
      expect(await page.textContent('.notice-warning')).to.include('SkyLearn Billing Sidecar is not configured');
      expect(await page.locator('#slbp-url').count()).to.equal(1);
      expect(await page.locator('#slbp-sidecar-status').count()).to.equal(0);
      expect(await page.content()).to.not.match(PHP_PROBLEM);
    } finally {
      await browser.close();
    }
    const log = await readFile(wp.debugLog, 'utf8').catch(() => '');
    expect(
      log.split('\n').filter((l) => /PHP (Notice|Warning|Deprecated|Fatal)/.test(l) && l.includes('skylearn-billing-sidecar')),
    ).to.deep.equal([]);
  });

  it("takes the plugin's duplicated WP-cron hooks over while active and gives them back on deactivation; the sidecar says which are scheduled", async () => {
    const DUPLICATED = [
      'slbp_check_alerts',
      'slbp_cleanup_logs',
      'slbp_cleanup_old_backups',
      'slbp_collect_metrics',
      'slbp_daily_backup',
      'slbp_daily_cron',
      'slbp_subscription_check',
    ];
    const hooks = (s: { scheduled: { hook: string }[] }) =>
      [...new Set(s.scheduled.map((e) => e.hook))].filter((h) => h.startsWith('slbp_')).sort();
    const cronCheck = async (route: string) => {
      const res = route === '/ready' ? await call(`${sidecarUrl}${NS}/ready`) : await viaWp(`${NS}${route}`, wp.adminAuth);
      return route === '/ready' ? res.body.checks.plugin_cron : res.body.service_checks.plugin_cron;
    };
    // The plugin activated with the shim active: its activator's events are refused, and remembered.
    const activated = await wp.cli('plugin-activated');
    expect(activated.active).to.equal(true);
    expect(hooks(activated)).to.deep.equal(['slbp_external_analytics_sync', 'slbp_license_check']);
    // Page loads, where the plugin schedules some hooks again whenever they are missing.
    expect((await viaWp('/')).status).to.equal(200);
    expect(hooks(await wp.cli('show'))).to.deep.equal(['slbp_external_analytics_sync', 'slbp_license_check']);
    await waitFor(async () => (await cronCheck('/ready')).healthy === true, 5000, '/ready: nothing duplicated scheduled');
    expect((await cronCheck('/health/detailed')).still_scheduled).to.deep.equal([]);

    const deactivated = await wp.cli('deactivate-shim');
    expect(deactivated.active).to.equal(false);
    expect(hooks(deactivated)).to.deep.equal([...DUPLICATED, 'slbp_external_analytics_sync', 'slbp_license_check'].sort());
    const recurrence = Object.fromEntries(deactivated.scheduled.map((e) => [e.hook, e.schedule]));
    expect(recurrence).to.include({
      slbp_daily_cron: 'daily',
      slbp_subscription_check: 'hourly',
      slbp_cleanup_logs: 'weekly',
      slbp_daily_backup: 'daily',
      slbp_cleanup_old_backups: 'weekly',
      slbp_collect_metrics: 'slbp_metrics_interval',
      slbp_check_alerts: false,
    });
    const ready = await waitFor(
      async () => {
        const c = await cronCheck('/ready');
        return c.healthy === false ? c : null;
      },
      5000,
      '/ready: duplicated hooks scheduled',
    );
    expect([...new Set(ready.still_scheduled.map((h: { hook: string }) => h.hook))].sort()).to.deep.equal(DUPLICATED);
    expect(ready.message).to.include('slbp_daily_backup').and.include('shim');
    const ready503 = await call(`${sidecarUrl}${NS}/ready`);
    expect(ready503.status, 'informational: never makes a node unready').to.equal(200);

    const reactivated = await wp.cli('activate-shim');
    expect(reactivated.active).to.equal(true);
    expect(hooks(reactivated)).to.deep.equal(['slbp_external_analytics_sync', 'slbp_license_check']);
    await waitFor(async () => (await cronCheck('/ready')).healthy === true, 5000, '/ready: taken over again');
    const log = await readFile(wp.debugLog, 'utf8').catch(() => '');
    expect(
      log.split('\n').filter((l) => /PHP (Notice|Warning|Deprecated|Fatal)/.test(l) && l.includes('skylearn-billing-sidecar')),
    ).to.deep.equal([]);
  });

  it('with the sidecar stopped, answers 503 slbp_sidecar_unavailable and the rest of the site works', async () => {
    await sidecar.stop();
    await proxy.close();
    const started = Date.now();
    const res = await viaWp(`${NS}/health/detailed`, wp.adminAuth);
    const ms = Date.now() - started;
    console.log(`      sidecar stopped: WordPress answered ${res.status} after ${ms} ms (configured timeout ${TIMEOUT_SEC} s)`);
    expectRestError(res, 'slbp_sidecar_unavailable', 503);
    expectRestError(await viaWp(`/?rest_route=${encodeURIComponent('/skylearn-billing-pro/v1/live')}`), 'slbp_sidecar_unavailable', 503);

    const home = await viaWp('/');
    expect(home.status).to.equal(200);
    expect(home.text).to.include('SkyLearn Shim Test');
    const me = await viaWp('/wp-json/wp/v2/users/me', wp.adminAuth);
    expect(me.status).to.equal(200);
    expect(me.body.id).to.equal(wp.adminId);
  });
});
