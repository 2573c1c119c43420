import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';

/** Runs a command with `input` on stdin; resolves with its stdout. */
function run(cmd: string, args: string[], input: string): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args);
    let stdout = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve({ stdout }) : reject(new Error(`${cmd} exited ${code}`))));
    p.stdin.end(input);
  });
}
import { ADMIN_ID, createApiKey, STUDENT_ID } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, expectRestError } from '../helpers/http.ts';
import { phpHashes, type PhpHashes } from '../helpers/php.ts';
import { startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';
import { TEST_SHIM_SECRET } from '../helpers/auth.ts';

const PASSWORD = 'Pässword with spaces & ünicode 1';
const APP_PASSWORD = 'abcdEFGH1234ijklMNOP5678';
/** A client address of its own per test (127.0.0.1 is a trusted proxy), so lockouts never leak between tests. */
const fromAddress = () => ({ 'X-Forwarded-For': `10.${randomBytes(1)[0]}.${randomBytes(1)[0]}.${randomBytes(1)[0]! || 1}` });

describe('auth routes: login with every WordPress hash format, tokens, refresh and logout', () => {
  let db: TestDb;
  let sc: InProcessSidecar;
  let hashes: PhpHashes;
  const login = (username: string, password: string, headers: Record<string, string> = fromAddress()) =>
    call(`${sc.base}/auth/login`, { method: 'POST', json: { username, password }, headers });

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    hashes = await phpHashes(PASSWORD, APP_PASSWORD);
    // student1..student4 (ids 3..6) get one PHP-made hash format each; student5 gets Application Passwords.
    const formats = ['phpass', 'bcrypt', 'wp_bcrypt', 'md5'] as const;
    for (const [i, f] of formats.entries()) await db.pool.query(`UPDATE ${db.prefix}users SET user_pass = ? WHERE ID = ?`, [hashes[f], STUDENT_ID + i]);
    await db.pool.query(`INSERT INTO ${db.prefix}usermeta (user_id, meta_key, meta_value) VALUES (?, '_application_passwords', ?), (?, '_application_passwords', ?)`,
      [STUDENT_ID + 4, hashes.application_passwords, STUDENT_ID + 5, hashes.application_passwords_68]);
    sc = await startSidecar(db, { env: { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET } });
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  it('PHP made the hashes in the formats WordPress stores', () => {
    expect(hashes.phpass).to.match(/^\$P\$B.{30}$/);
    expect(hashes.bcrypt).to.match(/^\$2y\$10\$/);
    expect(hashes.wp_bcrypt).to.match(/^\$wp\$2y\$10\$/);
    expect(hashes.md5).to.match(/^[a-f0-9]{32}$/);
  });

  for (const [i, format] of ['$P$ phpass', '$2y$ bcrypt', '$wp$2y$ (WordPress 6.8+)', 'legacy md5'].entries()) {
    it(`signs in a user whose password hash is ${format}, and refuses a wrong password`, async () => {
      const username = `student${i + 1}`;
      const ok = await login(username, PASSWORD);
      expect(ok.status, ok.text).to.equal(200);
      expect(ok.body).to.include.keys('access_token', 'refresh_token', 'expires_in', 'user');
      expect(ok.body.user).to.include({ id: STUDENT_ID + i, username });
      expect(ok.body.user.roles).to.deep.equal(['subscriber']);
      expect(ok.body.access_token).to.match(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expectRestError(await login(username, `${PASSWORD}x`), 'slbp_invalid_credentials', 401);
    });
  }

  it('signs in with an Application Password (with or without its display spaces), 6.1 and 6.8 hashes', async () => {
    const spaced = APP_PASSWORD.match(/.{4}/g)!.join(' ');
    for (const [user, pw] of [['student5', APP_PASSWORD], ['student5', spaced], ['student6', spaced]] as const) {
      const res = await login(user, pw);
      expect(res.status, `${user}: ${res.text}`).to.equal(200);
      expect(res.body.user.username).to.equal(user);
    }
    expectRestError(await login('student5', 'abcdEFGH1234ijklMNOP5679'), 'slbp_invalid_credentials', 401);
  });

  it("records an Application Password's last use and address, in a value PHP still reads", async () => {
    // Back to never-used entries (an earlier test signed in with them already).
    await db.pool.query(`UPDATE ${db.prefix}usermeta SET meta_value = ? WHERE user_id = ? AND meta_key = '_application_passwords'`, [hashes.application_passwords, STUDENT_ID + 4]);
    expect((await login('student5', APP_PASSWORD, { 'X-Forwarded-For': '10.1.2.3' })).status).to.equal(200);
    const [[row]] = await db.pool.query<any>(`SELECT meta_value FROM ${db.prefix}usermeta WHERE user_id = ? AND meta_key = '_application_passwords'`, [STUDENT_ID + 4]);
    const { stdout } = await run('php', ['-r', 'echo json_encode(unserialize(stream_get_contents(STDIN)));'], row.meta_value);
    const entries = JSON.parse(stdout);
    expect(entries).to.have.length(2);
    expect(entries[0].last_used).to.equal(null);
    expect(entries[1]).to.include({ name: 'phpass app', last_ip: '10.1.2.3' });
    expect(entries[1].last_used).to.be.within(Math.floor(Date.now() / 1000) - 120, Math.floor(Date.now() / 1000) + 5);
  });

  it('answers an unknown user exactly like a wrong password', async () => {
    const unknown = await login('nobody-here', PASSWORD);
    const wrong = await login('student1', 'not the password');
    expectRestError(unknown, 'slbp_invalid_credentials', 401);
    expect(unknown.body).to.deep.equal(wrong.body);
  });

  it('an access token identifies the user on /users/me and /auth/verify; a tampered one is refused', async () => {
    const { body } = await login('admin', 'demo-admin-password');
    const auth = { Authorization: `Bearer ${body.access_token}` };
    const me = await call(`${sc.base}/users/me`, { headers: auth });
    expect(me.status).to.equal(200);
    expect(me.body).to.include({ id: ADMIN_ID, username: 'admin', email: 'admin@example.test' });
    expect(me.body.roles).to.deep.equal(['administrator']);
    expect(me.body.capabilities.manage_options).to.equal(true);
    const verify = await call(`${sc.base}/auth/verify`, { headers: auth });
    expect(verify.body).to.include({ valid: true, user_id: ADMIN_ID });
    // The admin's token opens admin routes.
    expect((await call(`${sc.base}/health/detailed`, { headers: { ...auth, 'X-Forwarded-For': '10.200.0.1' } })).status).to.equal(200);

    const [h, p, s] = body.access_token.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, sub: STUDENT_ID })).toString('base64url')}.${s}`;
    expectRestError(await call(`${sc.base}/users/me`, { headers: { Authorization: `Bearer ${forged}` } }), 'slbp_invalid_token', 401);
    expectRestError(await call(`${sc.base}/users/me`), 'rest_forbidden', 401);
  });

  it('/auth/verify describes an API key: its id and permissions', async () => {
    const key = await createApiKey(db, { userId: STUDENT_ID, permissions: ['read_billing'] });
    const res = await call(`${sc.base}/auth/verify`, { headers: { 'X-API-Key': key.key } });
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ valid: true, user_id: STUDENT_ID, key_id: key.id });
    expect(res.body.permissions).to.deep.equal(['read_billing']);
  });

  async function rotateAndRevoke(): Promise<void> {
    const first = await login('manager', 'demo-manager-password');
    expect(first.status, first.text).to.equal(200);
    const refreshed = await call(`${sc.base}/auth/refresh`, { method: 'POST', json: { refresh_token: first.body.refresh_token } });
    expect(refreshed.status, refreshed.text).to.equal(200);
    expect(refreshed.body.refresh_token).to.not.equal(first.body.refresh_token);
    expect((await call(`${sc.base}/users/me`, { headers: { Authorization: `Bearer ${refreshed.body.access_token}` } })).body.username).to.equal('manager');
    // The used refresh token is spent.
    expectRestError(await call(`${sc.base}/auth/refresh`, { method: 'POST', json: { refresh_token: first.body.refresh_token } }), 'slbp_invalid_refresh_token', 401);
    const out = await call(`${sc.base}/auth/logout`, { method: 'POST', json: { refresh_token: refreshed.body.refresh_token } });
    expect(out.body).to.deep.equal({ logged_out: true, revoked: true });
    expectRestError(await call(`${sc.base}/auth/refresh`, { method: 'POST', json: { refresh_token: refreshed.body.refresh_token } }), 'slbp_invalid_refresh_token', 401);
  }

  it('refresh tokens rotate and logout revokes them (database session handler: wp_slbp_sessions)', async () => {
    const [[before]] = await db.pool.query<any>(`SELECT COUNT(*) AS n FROM ${db.prefix}slbp_sessions`);
    const res = await login('manager', 'demo-manager-password');
    const [[after]] = await db.pool.query<any>(`SELECT COUNT(*) AS n FROM ${db.prefix}slbp_sessions`);
    expect(Number(after.n)).to.equal(Number(before.n) + 1);
    const [[row]] = await db.pool.query<any>(`SELECT session_key, session_data FROM ${db.prefix}slbp_sessions ORDER BY created_at DESC LIMIT 1`);
    expect(row.session_key).to.not.include(res.body.refresh_token);
    await rotateAndRevoke();
  });

  it('follows slbp_session_handler = redis: refresh tokens live in Redis, not in the table', async () => {
    await db.pool.query(`UPDATE ${db.prefix}options SET option_value = 'redis' WHERE option_name = 'slbp_session_handler'`);
    await sc.container.settings.refresh();
    try {
      const [[before]] = await db.pool.query<any>(`SELECT COUNT(*) AS n FROM ${db.prefix}slbp_sessions`);
      const res = await login('manager', 'demo-manager-password');
      expect(res.status).to.equal(200);
      const [[after]] = await db.pool.query<any>(`SELECT COUNT(*) AS n FROM ${db.prefix}slbp_sessions`);
      expect(after.n).to.equal(before.n);
      const keys = await sc.container.redis!.client.keys(`${sc.container.redis!.keyPrefix}session:*`);
      expect(keys.length).to.be.greaterThan(0);
      await rotateAndRevoke();
    } finally {
      await db.pool.query(`UPDATE ${db.prefix}options SET option_value = 'database' WHERE option_name = 'slbp_session_handler'`);
      await sc.container.settings.refresh();
    }
  });

  it('locks out a username after repeated failures, even with the right password, and says when to retry', async () => {
    for (let i = 0; i < 5; i++) expectRestError(await login('student7', 'wrong'), 'slbp_invalid_credentials', 401);
    const locked = await login('student7', 'demo-password');
    expectRestError(locked, 'slbp_login_locked', 429);
    expect(Number(locked.headers.get('retry-after'))).to.be.greaterThan(0);
    // Another account from another address is unaffected.
    expect((await login('student3', PASSWORD)).status).to.equal(200);
  });

  it('locks out an address after repeated failures across many usernames', async () => {
    const addr = fromAddress();
    for (let i = 0; i < 20; i++) await login(`ghost${i}`, 'wrong', addr);
    expectRestError(await login('student4', PASSWORD, addr), 'slbp_login_locked', 429);
    expect((await login('student4', PASSWORD)).status).to.equal(200);
  });

  it('validates the body: missing fields, arrays and huge values are rest_invalid_param / missing, never a 500', async () => {
    expectRestError(await call(`${sc.base}/auth/login`, { method: 'POST', json: {} }), 'rest_missing_callback_param', 400);
    const arr = await call(`${sc.base}/auth/login`, { method: 'POST', json: { username: ['admin'], password: 'x' } });
    expectRestError(arr, 'rest_invalid_param', 400);
    expect(arr.body.data.params).to.have.key('username');
    expectRestError(await call(`${sc.base}/auth/login`, { method: 'POST', json: { username: 'a'.repeat(5000), password: 'x' } }), 'rest_invalid_param', 400);
  });
});
