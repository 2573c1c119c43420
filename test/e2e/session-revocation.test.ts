import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { hashWpBcrypt } from '../../src/domain/passwords.ts';
import { signedHeaders, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, expectRestError, type JsonResponse } from '../helpers/http.ts';
import { cleanRedisPrefix, testRedisPrefix } from '../helpers/redis.ts';
import { sidecarEnv, spawnSidecar, type ChildSidecar } from '../helpers/sidecar.ts';

const octet = () => 1 + (randomBytes(1)[0]! % 250);
const fromAddress = () => ({ 'X-Forwarded-For': `10.${octet()}.${octet()}.${octet()}` });

/**
 * Two sidecar processes on one database and one Redis (refresh tokens in `wp_slbp_sessions`, the
 * default handler): a logout, a reused refresh token or a password change on one node ends the
 * session's tokens on the other within a second, though that node had just accepted them.
 */
describe('revoked sessions end on every node within a second', function () {
  this.timeout(120_000);
  let db: TestDb;
  let a: ChildSidecar;
  let b: ChildSidecar;
  const prefix = testRedisPrefix();

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    const env = sidecarEnv(db, { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET }, prefix);
    [a, b] = await Promise.all([spawnSidecar(env, [], { waitForRedis: true }), spawnSidecar(env, [], { waitForRedis: true })]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await cleanRedisPrefix(prefix);
    await db?.drop();
  });

  const login = (n: ChildSidecar, username: string, password: string) =>
    call(`${n.base}/auth/login`, { method: 'POST', json: { username, password }, headers: fromAddress() });
  const me = (n: ChildSidecar, access: string) => call(`${n.base}/users/me`, { headers: { Authorization: `Bearer ${access}` } });
  const refresh = (n: ChildSidecar, token: string) => call(`${n.base}/auth/refresh`, { method: 'POST', json: { refresh_token: token } });

  /** Milliseconds from `since` until `node` refuses the access token (polled every 25 ms, given up after 3 s). */
  async function refusedAfter(node: ChildSidecar, access: string, since: number): Promise<{ ms: number; last: JsonResponse }> {
    let last = await me(node, access);
    while (last.status === 200 && Date.now() - since < 3000) {
      await new Promise((r) => setTimeout(r, 25));
      last = await me(node, access);
    }
    return { ms: Date.now() - since, last };
  }

  it('logout on one node: the other refuses the access token within a second', async () => {
    const signIn = await login(a, 'manager', 'demo-manager-password');
    expect(signIn.status, signIn.text).to.equal(200);
    expect((await me(b, signIn.body.access_token)).status, 'node B accepts it first').to.equal(200);
    const out = await call(`${a.base}/auth/logout`, { method: 'POST', json: { refresh_token: signIn.body.refresh_token } });
    expect(out.body).to.deep.equal({ logged_out: true, revoked: true });
    const { ms, last } = await refusedAfter(b, signIn.body.access_token, Date.now());
    expectRestError(last, 'slbp_invalid_token', 401);
    expect(ms, 'ms until node B refused it').to.be.below(1000);
  });

  it('a refresh token used twice revokes its family: the newest tokens die on both nodes within a second', async () => {
    const signIn = await login(a, 'student2', 'demo-password');
    const rotated = await refresh(b, signIn.body.refresh_token);
    expect(rotated.status, rotated.text).to.equal(200);
    expect((await me(a, rotated.body.access_token)).status).to.equal(200);
    expect((await me(b, rotated.body.access_token)).status).to.equal(200);
    // Someone replays the spent token on node A.
    expectRestError(await refresh(a, signIn.body.refresh_token), 'slbp_invalid_refresh_token', 401);
    const since = Date.now();
    for (const n of [a, b]) {
      const { ms, last } = await refusedAfter(n, rotated.body.access_token, since);
      expectRestError(last, 'slbp_invalid_token', 401);
      expect(ms).to.be.below(1000);
    }
    expectRestError(await refresh(b, rotated.body.refresh_token), 'slbp_invalid_refresh_token', 401);
  });

  it('a password changed in WordPress: every token of the user is refused on both nodes within a second', async () => {
    const first = await login(a, 'student3', 'demo-password');
    const second = await login(b, 'student3', 'demo-password');
    for (const n of [a, b]) for (const s of [first, second]) expect((await me(n, s.body.access_token)).status).to.equal(200);
    await db.pool.query(`UPDATE ${db.prefix}users SET user_pass = ? WHERE ID = ?`, [hashWpBcrypt('a new password', 4), first.body.user.id]);
    // What the shim posts to one node when WordPress changes a password.
    const path = `${new URL(a.base).pathname}/cache/invalidate`;
    const body = JSON.stringify({ tags: [`user:${first.body.user.id}`] });
    const posted = await call(`${a.url}${path}`, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/json', ...signedHeaders({ method: 'POST', path, body, userId: 0 }) },
    });
    expect(posted.status, posted.text).to.equal(200);
    const since = Date.now();
    for (const n of [b, a]) {
      for (const s of [first, second]) {
        const { ms, last } = await refusedAfter(n, s.body.access_token, since);
        expectRestError(last, 'slbp_invalid_token', 401);
        expect(ms).to.be.below(1000);
      }
    }
    for (const [n, s] of [
      [b, first],
      [a, second],
    ] as const)
      expectRestError(await refresh(n, s.body.refresh_token), 'slbp_invalid_refresh_token', 401);
    expect((await login(b, 'student3', 'a new password')).status).to.equal(200);
  });
});
