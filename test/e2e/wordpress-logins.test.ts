import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { writeNginxConfig } from '../../scripts/lib/nginx-config.ts';
import { call, expectRestError } from '../helpers/http.ts';
import { freePort } from '../helpers/mariadb-instance.ts';
import { cleanRedisPrefix, testRedisPrefix } from '../helpers/redis.ts';
import { NS, type ChildSidecar } from '../helpers/sidecar.ts';
import { installWordPress, spawnSiteSidecar, type WordPressSite } from '../helpers/wordpress.ts';
import { CHROMIUM_ARGS, logInToWordPress } from '../helpers/admin-pages.ts';

const run = promisify(execFile);

/**
 * WordPress's own logins straight at the sidecar: the shipped nginx layout sends the namespace to
 * the sidecar (not through WordPress), and an Application Password over HTTP Basic and a browser
 * session from a real wp-login.php in headless Chromium (its logged-in cookie and `wp_rest`
 * nonce) are accepted there as WordPress accepts them; a wrong nonce, a logged-out cookie and
 * an unknown Bearer token on a protected route are not.
 */
describe('WordPress logins at the sidecar, through nginx (real WordPress, headless Chromium)', function () {
  this.timeout(300_000);
  const secret = randomBytes(24).toString('hex');
  const redisPrefix = testRedisPrefix();
  const nginxDir = path.join(os.tmpdir(), `slbp-test-logins-${process.pid}-${randomBytes(3).toString('hex')}`);
  let nginxConf = '';
  let wp: WordPressSite;
  let sidecar: ChildSidecar;
  let browser: Browser;
  let admin: BrowserContext;
  /** The public side of nginx: the namespace goes straight to the sidecar. */
  let edge: string;

  before(async () => {
    const port = await freePort();
    wp = await installWordPress({ sidecarUrl: `http://127.0.0.1:${port}`, secret, timeoutSec: 5 });
    sidecar = await spawnSiteSidecar(wp, port, redisPrefix);
    const listen = await freePort();
    const { conf } = await writeNginxConfig({
      dir: nginxDir,
      listen: `127.0.0.1:${listen}`,
      internalListen: `127.0.0.1:${await freePort()}`,
      nodes: [`127.0.0.1:${port}`],
      wpRoot: wp.dir,
    });
    await run('nginx', ['-p', path.dirname(conf), '-c', conf]);
    nginxConf = conf;
    edge = `http://127.0.0.1:${listen}${NS}`;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    // Cookies are not bound to a port: the session WordPress sets on its own port is the browser's on nginx's too.
    admin = await browser.newContext();
    await logInToWordPress(admin, wp.url, 'admin', wp.adminPassword);
  });

  after(async () => {
    await browser?.close();
    if (nginxConf) await run('nginx', ['-p', path.dirname(nginxConf), '-c', nginxConf, '-s', 'stop']).catch(() => undefined);
    await rm(nginxDir, { recursive: true, force: true });
    await sidecar?.stop();
    await wp?.destroy();
    await cleanRedisPrefix(redisPrefix);
  });

  it('an Application Password over HTTP Basic calls a protected route; a wrong one is refused', async () => {
    const me = await call(`${edge}/users/me`, { headers: { Authorization: wp.studentAuth } });
    expect(me.status, me.text).to.equal(200);
    expect(me.body.id).to.equal(wp.studentId);
    const verify = await call(`${edge}/auth/verify`, { headers: { Authorization: wp.adminAuth } });
    expect(verify.status, verify.text).to.equal(200);
    expect(verify.body).to.include({ user_id: wp.adminId, via: 'application_password' });
    // The sidecar answered, not WordPress: nginx sends the namespace straight to it.
    expect(verify.headers.get('x-request-id')).to.be.a('string');
    const wrong = `Basic ${Buffer.from('student:aaaa bbbb cccc dddd eeee ffff').toString('base64')}`;
    expectRestError(await call(`${edge}/users/me`, { headers: { Authorization: wrong } }), 'incorrect_password', 401);
    const unknown = `Basic ${Buffer.from('nobody:aaaa bbbb cccc dddd eeee ffff').toString('base64')}`;
    expectRestError(await call(`${edge}/users/me`, { headers: { Authorization: unknown } }), 'incorrect_password', 401);
  });

  it('an unknown Bearer token is ignored on a public route and refused on a protected one', async () => {
    const bearer = { Authorization: 'Bearer made-up-token-0123456789' };
    const index = await call(`${edge}/`, { headers: bearer });
    expect(index.status, index.text).to.equal(200);
    expect(index.body.namespace).to.equal('skylearn-billing-pro/v1');
    const forged = { Authorization: 'Bearer aaaa.bbbb.cccc' };
    expect((await call(`${edge}/`, { headers: forged })).status).to.equal(200);
    expectRestError(await call(`${edge}/users/me`, { headers: bearer }), 'slbp_invalid_api_key', 401);
    expectRestError(await call(`${edge}/users/me`, { headers: forged }), 'slbp_invalid_token', 401);
  });

  it('a logged-in browser session (cookie + X-WP-Nonce from WordPress) calls a protected route; a wrong nonce or a logged-out cookie gets 401', async () => {
    // The nonce WordPress gives the logged-in browser for its REST API (what wp.apiFetch sends).
    const nonceAnswer = await admin.request.get(`${wp.url}/wp-admin/admin-ajax.php?action=rest-nonce`);
    const nonce = (await nonceAnswer.text()).trim();
    expect(nonce, nonce).to.match(/^[a-f0-9]{10}$/);
    // WordPress itself accepts that pair...
    const own = await admin.request.get(`${wp.url}/wp-json/wp/v2/users/me?context=edit`, { headers: { 'X-WP-Nonce': nonce } });
    expect(own.status()).to.equal(200);
    expect((await own.json()).id).to.equal(wp.adminId);
    // ...and so does the sidecar behind nginx, from the browser's own cookie jar.
    const me = await admin.request.get(`${edge}/users/me`, { headers: { 'X-WP-Nonce': nonce } });
    expect(me.status(), await me.text()).to.equal(200);
    expect((await me.json()).id).to.equal(wp.adminId);
    const verify = await admin.request.get(`${edge}/auth/verify`, { headers: { 'X-WP-Nonce': nonce } });
    expect(await verify.json()).to.include({ user_id: wp.adminId, via: 'cookie' });
    // The cookie alone is anonymous (WordPress's CSRF rule), a wrong nonce is refused.
    const bare = await admin.request.get(`${edge}/users/me`);
    expect(bare.status()).to.equal(401);
    expect((await bare.json()).code).to.equal('rest_forbidden');
    const wrongNonce = await admin.request.get(`${edge}/users/me`, { headers: { 'X-WP-Nonce': 'abcdef0123' } });
    expect(wrongNonce.status()).to.equal(401);
    expect((await wrongNonce.json()).code).to.equal('rest_cookie_invalid_nonce');

    // The same cookie sent by hand works while the session lives...
    const cookies = await admin.cookies(wp.url);
    const header = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    expect(cookies.some((c) => c.name.startsWith('wordpress_logged_in_'))).to.equal(true);
    const byHand = await call(`${edge}/users/me`, { headers: { Cookie: header, 'X-WP-Nonce': nonce } });
    expect(byHand.status, byHand.text).to.equal(200);
    // ...and not once WordPress logged the session out (wp-login.php?action=logout destroys its token).
    const page = await admin.newPage();
    await page.goto(`${wp.url}/wp-login.php?action=logout`);
    await Promise.all([page.waitForURL(/loggedout=true/), page.click('a[href*="action=logout"]')]);
    await page.close();
    expect((await admin.cookies(wp.url)).some((c) => c.name.startsWith('wordpress_logged_in_'))).to.equal(false);
    expectRestError(await call(`${edge}/users/me`, { headers: { Cookie: header, 'X-WP-Nonce': nonce } }), 'rest_forbidden', 401);
    // WordPress agrees the old cookie is no session any more (it answers a nonce without one with 403).
    const stale = await call(`${wp.url}/wp-json/wp/v2/users/me`, { headers: { Cookie: header, 'X-WP-Nonce': nonce } });
    expectRestError(stale, 'rest_cookie_invalid_nonce', 403);
  });
});
