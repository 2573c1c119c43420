import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import bcrypt from 'bcryptjs';

/** Runs a command with `input` on stdin; resolves with its stdout. */
function run(cmd: string, args: string[], input: string): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args);
    let stdout = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve({ stdout }) : reject(new Error(`${cmd} exited ${code}`))));
    p.stdin.end(input);
  });
}
import { ADMIN_ID, createApiKey, signedHeaders, STUDENT_ID } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, expectRestError } from '../helpers/http.ts';
import { phpHashes, type PhpHashes } from '../helpers/php.ts';
import { startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';
import { TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { phpSerialize } from '../../src/data/php-serialize.ts';

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
    for (const [i, f] of formats.entries())
      await db.pool.query(`UPDATE ${db.prefix}users SET user_pass = ? WHERE ID = ?`, [hashes[f], STUDENT_ID + i]);
    await db.pool.query(
      `INSERT INTO ${db.prefix}usermeta (user_id, meta_key, meta_value) VALUES (?, '_application_passwords', ?), (?, '_application_passwords', ?)`,
      [STUDENT_ID + 4, hashes.application_passwords, STUDENT_ID + 5, hashes.application_passwords_68],
    );
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
    for (const [user, pw] of [
      ['student5', APP_PASSWORD],
      ['student5', spaced],
      ['student6', spaced],
    ] as const) {
      const res = await login(user, pw);
      expect(res.status, `${user}: ${res.text}`).to.equal(200);
      expect(res.body.user.username).to.equal(user);
    }
    expectRestError(await login('student5', 'abcdEFGH1234ijklMNOP5679'), 'slbp_invalid_credentials', 401);
  });

  it("records an Application Password's last use and address, in a value PHP still reads", async () => {
    // Back to never-used entries (an earlier test signed in with them already).
    await db.pool.query(`UPDATE ${db.prefix}usermeta SET meta_value = ? WHERE user_id = ? AND meta_key = '_application_passwords'`, [
      hashes.application_passwords,
      STUDENT_ID + 4,
    ]);
    expect((await login('student5', APP_PASSWORD, { 'X-Forwarded-For': '10.1.2.3' })).status).to.equal(200);
    const [[row]] = await db.pool.query<any>(
      `SELECT meta_value FROM ${db.prefix}usermeta WHERE user_id = ? AND meta_key = '_application_passwords'`,
      [STUDENT_ID + 4],
    );
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

  const refresh = (token: string) => call(`${sc.base}/auth/refresh`, { method: 'POST', json: { refresh_token: token } });
  const me = (access: string) => call(`${sc.base}/users/me`, { headers: { Authorization: `Bearer ${access}` } });

  async function rotateAndRevoke(): Promise<void> {
    const first = await login('manager', 'demo-manager-password');
    expect(first.status, first.text).to.equal(200);
    const refreshed = await refresh(first.body.refresh_token);
    expect(refreshed.status, refreshed.text).to.equal(200);
    expect(refreshed.body.refresh_token).to.not.equal(first.body.refresh_token);
    expect((await me(refreshed.body.access_token)).body.username).to.equal('manager');
    const out = await call(`${sc.base}/auth/logout`, { method: 'POST', json: { refresh_token: refreshed.body.refresh_token } });
    expect(out.body).to.deep.equal({ logged_out: true, revoked: true });
    // Logout ends the whole sign-in: its refresh tokens and its access tokens, old and new.
    expectRestError(await refresh(refreshed.body.refresh_token), 'slbp_invalid_refresh_token', 401);
    expectRestError(await me(refreshed.body.access_token), 'slbp_invalid_token', 401);
    expectRestError(await me(first.body.access_token), 'slbp_invalid_token', 401);
    // Another sign-in of the same user is not touched.
    const other = await login('manager', 'demo-manager-password');
    expect((await me(other.body.access_token)).status).to.equal(200);

    // A refresh token presented again after its rotation: the token leaked, so its family is revoked.
    const again = await refresh(other.body.refresh_token);
    expect(again.status).to.equal(200);
    expectRestError(await refresh(other.body.refresh_token), 'slbp_invalid_refresh_token', 401);
    expectRestError(await refresh(again.body.refresh_token), 'slbp_invalid_refresh_token', 401);
    expectRestError(await me(again.body.access_token), 'slbp_invalid_token', 401);
    expect(
      (await call(`${sc.base}/auth/logout`, { method: 'POST', json: { refresh_token: again.body.refresh_token } })).body,
    ).to.deep.equal({ logged_out: true, revoked: false });
  }

  it('a changed password revokes every token of the user: access tokens once WordPress says so, refresh tokens at once', async () => {
    const a = await login('student9', 'demo-password');
    const b = await login('student9', 'demo-password');
    expect((await me(a.body.access_token)).status).to.equal(200);
    const [[row]] = await db.pool.query<any>(`SELECT user_pass FROM ${db.prefix}users WHERE user_login = 'student9'`);
    await db.pool.query(`UPDATE ${db.prefix}users SET user_pass = ? WHERE user_login = 'student9'`, [hashes.md5]);
    try {
      // The refresh checks the password on the database itself.
      expectRestError(await refresh(a.body.refresh_token), 'slbp_invalid_refresh_token', 401);
      // What the shim posts when WordPress changes a password (profile_update, clean_user_cache).
      const path = `${new URL(sc.base).pathname}/cache/invalidate`;
      const body = JSON.stringify({ tags: [`user:${a.body.user.id}`] });
      expect(
        (
          await call(`${sc.url}${path}`, {
            method: 'POST',
            body,
            headers: { 'Content-Type': 'application/json', ...signedHeaders({ method: 'POST', path, body, userId: 0 }) },
          })
        ).status,
      ).to.equal(200);
      for (const pair of [a, b]) expectRestError(await me(pair.body.access_token), 'slbp_invalid_token', 401);
      expectRestError(await refresh(b.body.refresh_token), 'slbp_invalid_refresh_token', 401);
      expect((await login('student9', PASSWORD)).status, 'the new password works').to.equal(200);
    } finally {
      await db.pool.query(`UPDATE ${db.prefix}users SET user_pass = ? WHERE user_login = 'student9'`, [row.user_pass]);
    }
  });

  it('refresh tokens rotate and logout revokes them (database session handler: wp_slbp_sessions)', async () => {
    const [[before]] = await db.pool.query<any>(`SELECT COUNT(*) AS n FROM ${db.prefix}slbp_sessions`);
    const res = await login('manager', 'demo-manager-password');
    const [[after]] = await db.pool.query<any>(`SELECT COUNT(*) AS n FROM ${db.prefix}slbp_sessions`);
    expect(Number(after.n)).to.equal(Number(before.n) + 1);
    const [[row]] = await db.pool.query<any>(
      `SELECT session_key, session_data FROM ${db.prefix}slbp_sessions ORDER BY created_at DESC LIMIT 1`,
    );
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
      const keys = await sc.container.redis!.client.keys(`${sc.container.redis!.keyPrefix}session:refresh:*`);
      expect(keys.length).to.be.greaterThan(0);
      await rotateAndRevoke();
    } finally {
      await db.pool.query(`UPDATE ${db.prefix}options SET option_value = 'database' WHERE option_name = 'slbp_session_handler'`);
      await sc.container.settings.refresh();
    }
  });

  it('counts every spelling of one account together: case, accents, fullwidth letters and its email', async () => {
    const addr = fromAddress();
    // MariaDB's collation finds the same account for each of these (the audit got 175 guesses in).
    for (const name of ['student7', 'STUDENT7', 'stüdent7', 'ｓtudent7', 'student7@example.test']) {
      expectRestError(await login(name, 'wrong', addr), 'slbp_invalid_credentials', 401);
    }
    const locked = await login('Student7', 'demo-password', addr);
    expectRestError(locked, 'slbp_login_locked', 429);
    expect(Number(locked.headers.get('retry-after'))).to.be.within(1, 900);
  });

  it("an attacker's failures lock the attacker's address out of the account, not its owner", async () => {
    const attacker = fromAddress();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await login('admin', `guess-${i}`, attacker)).status);
    expect(statuses).to.deep.equal([401, 401, 401, 401, 401, 429, 429]);
    expectRestError(await login('admin', 'demo-admin-password', attacker), 'slbp_login_locked', 429);
    expect((await login('admin', 'demo-admin-password', fromAddress())).status, 'the owner, elsewhere').to.equal(200);
  });

  it('guesses spread over many addresses stop at the account limit, except from addresses its owner uses', async () => {
    const home = fromAddress();
    expect((await login('student8', 'demo-password', home)).status).to.equal(200);
    for (let i = 0; i < 10; i++) expectRestError(await login('student8', `wrong-${i}`, fromAddress()), 'slbp_invalid_credentials', 401);
    expectRestError(await login('student8', 'demo-password', fromAddress()), 'slbp_login_locked', 429);
    expect((await login('student8', 'demo-password', home)).status, 'where the owner signed in before').to.equal(200);
    // An address WordPress has an unexpired session of the owner from counts as the owner's too.
    const wordpress = fromAddress();
    const expiration = Math.floor(Date.now() / 1000) + 3600;
    await db.pool.query(`INSERT INTO ${db.prefix}usermeta (user_id, meta_key, meta_value) VALUES (?, 'session_tokens', ?)`, [
      STUDENT_ID + 7,
      phpSerialize({ ['a'.repeat(64)]: { expiration, ip: wordpress['X-Forwarded-For'], ua: 'test', login: expiration - 7200 } }),
    ]);
    expect((await login('student8', 'demo-password', wordpress)).status, 'where WordPress has a session of the owner').to.equal(200);
    expectRestError(await login('student8', 'demo-password', fromAddress()), 'slbp_login_locked', 429);
  });

  it('a name that matches no account is counted like one, its spellings together', async () => {
    const addr = fromAddress();
    for (const name of ['ghost-user', 'GHOST-USER', 'ghöst-user', 'ｇhost-user', 'ghost-user '])
      expectRestError(await login(name, 'x', addr), 'slbp_invalid_credentials', 401);
    expectRestError(await login('ghost-user', 'x', addr), 'slbp_login_locked', 429);
  });

  it('locks out an address after repeated failures across many usernames', async () => {
    const addr = fromAddress();
    for (let i = 0; i < 20; i++) await login(`ghost${i}`, 'wrong', addr);
    expectRestError(await login('student4', PASSWORD, addr), 'slbp_login_locked', 429);
    expect((await login('student4', PASSWORD)).status).to.equal(200);
  });

  it('every name costs the same password work: unknown names and accounts of every hash kind', async () => {
    // Counted where the work is done: bcrypt comparisons (by cost) and md5 digests (phpass is 8,193 of them).
    const work: string[] = [];
    const compare = bcrypt.compare;
    const node = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
    const createHash = node.createHash;
    let md5 = 0;
    bcrypt.compare = ((pw: string, hash: string, ...rest: never[]) => {
      work.push(`bcrypt ${hash.slice(0, 7)}`);
      return (compare as (...a: unknown[]) => unknown)(pw, hash, ...rest);
    }) as typeof bcrypt.compare;
    node.createHash = ((alg: string, ...rest: never[]) => {
      if (alg === 'md5') md5++;
      return (createHash as (...a: unknown[]) => unknown)(alg, ...rest);
    }) as typeof node.createHash;
    syncBuiltinESMExports();
    const costs: Record<string, string> = {};
    try {
      // student1..4 hold phpass, bcrypt, $wp$ bcrypt and md5 hashes; admin $wp$, manager phpass.
      for (const name of ['nobody-at-all', 'student1', 'student2', 'student3', 'student4', 'admin', 'manager']) {
        work.length = 0;
        md5 = 0;
        expectRestError(await login(name, 'not the password'), 'slbp_invalid_credentials', 401);
        costs[name] = `${[...work].sort().join(', ')}; md5 digests: ${md5}`;
      }
    } finally {
      bcrypt.compare = compare;
      node.createHash = createHash;
      syncBuiltinESMExports();
    }
    expect(costs['nobody-at-all']).to.match(/bcrypt .*bcrypt/);
    for (const name of Object.keys(costs)) expect(costs[name], name).to.equal(costs['nobody-at-all']);
  });

  it('validates the body: missing fields, arrays and huge values are rest_invalid_param / missing, never a 500', async () => {
    expectRestError(await call(`${sc.base}/auth/login`, { method: 'POST', json: {} }), 'rest_missing_callback_param', 400);
    const arr = await call(`${sc.base}/auth/login`, { method: 'POST', json: { username: ['admin'], password: 'x' } });
    expectRestError(arr, 'rest_invalid_param', 400);
    expect(arr.body.data.params).to.have.key('username');
    expectRestError(
      await call(`${sc.base}/auth/login`, { method: 'POST', json: { username: 'a'.repeat(5000), password: 'x' } }),
      'rest_invalid_param',
      400,
    );
  });
});
