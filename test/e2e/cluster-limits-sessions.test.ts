import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { siteKeyOf } from '../../src/config/site-identity.ts';
import { TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, expectRestError, type JsonResponse } from '../helpers/http.ts';
import { expectOneRateLimited } from '../helpers/rate-limit.ts';
import { testRedisPrefix } from '../helpers/redis.ts';
import { startRedisCluster, type RedisClusterServers } from '../helpers/redis-server.ts';
import { sidecarEnv, spawnSidecar, type ChildSidecar } from '../helpers/sidecar.ts';

const octet = () => 1 + (randomBytes(1)[0]! % 250);
const randomAddress = () => `10.${octet()}.${octet()}.${octet()}`;

/**
 * Rate limits and Redis-held sessions with Redis as a 3-master Cluster: two sidecar processes
 * share the cluster, so a limit and a refresh token must hold across nodes and across slots.
 */
describe('rate limits and sessions on a 3-master Redis Cluster', function () {
  this.timeout(120_000);
  let cluster: RedisClusterServers;
  let db: TestDb;
  let prefix: string;
  let nodes: ChildSidecar[] = [];
  let client: Cluster;

  before(async () => {
    [cluster, db] = await Promise.all([startRedisCluster(3), createTestDb({ size: 'tiny' })]);
    prefix = testRedisPrefix();
    const env = sidecarEnv(
      db,
      {
        WP_REDIS_CLUSTER: cluster.seeds,
        SLBP_RATE_LIMIT_ENABLED: 'true',
        SLBP_SESSION_HANDLER: 'redis',
        SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET,
      },
      prefix,
    );
    nodes = await Promise.all([spawnSidecar(env, [], { waitForRedis: true }), spawnSidecar(env, [], { waitForRedis: true })]);
    client = new Cluster(cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })));
  });
  after(async () => {
    client?.disconnect();
    await Promise.all(nodes.map((n) => n.stop()));
    await cluster?.destroy();
    await db?.drop();
  });

  /** Every key under our prefix, on every master. */
  async function ourKeys(): Promise<string[]> {
    const keys: string[] = [];
    for (const n of client.nodes('master')) keys.push(...(await n.keys(`${prefix}*`)));
    return keys;
  }

  it('two sidecars share one sign-in limit through the cluster: the 7th attempt is a WordPress-shaped 429', async () => {
    const ip = randomAddress();
    const startedAt = Date.now();
    const results: JsonResponse[] = await Promise.all(
      Array.from({ length: 7 }, (_, i) =>
        call(`${nodes[i % 2]!.base}/auth/refresh`, {
          method: 'POST',
          json: { refresh_token: 'not-a-real-refresh-token' },
          headers: { 'X-Forwarded-For': ip },
        }),
      ),
    );
    expectOneRateLimited(results, startedAt);
    // Alternating nodes, each would allow 6 on its own: the 429 shows the count is shared.
    expect((await ourKeys()).length, 'limit counters in the cluster').to.be.greaterThan(0);
  });

  it("sign-in lockout counts failures from both nodes in the cluster (neither alone reaches the account's limit)", async () => {
    const login = (n: ChildSidecar, password: string) =>
      call(`${n.base}/auth/login`, {
        method: 'POST',
        json: { username: 'student7', password },
        headers: { 'X-Forwarded-For': randomAddress() },
      });
    // Ten guesses from ten addresses, alternating nodes: the account's limit across addresses.
    for (let i = 0; i < 10; i++) expectRestError(await login(nodes[i % 2]!, 'wrong'), 'slbp_invalid_credentials', 401);
    for (const n of nodes) {
      const locked = await login(n, 'demo-password');
      expectRestError(locked, 'slbp_login_locked', 429);
      expect(Number(locked.headers.get('retry-after'))).to.be.greaterThan(0);
    }
  });

  it('sessions in the cluster: login on one node, refresh rotation on the other, a used refresh token refused, logout', async () => {
    const [a, b] = nodes as [ChildSidecar, ChildSidecar];
    const headers = () => ({ 'X-Forwarded-For': randomAddress() });
    const first = await call(`${a.base}/auth/login`, {
      method: 'POST',
      json: { username: 'manager', password: 'demo-manager-password' },
      headers: headers(),
    });
    expect(first.status, first.text).to.equal(200);
    const [[rows]] = await db.pool.query<any>(`SELECT COUNT(*) AS n FROM ${db.prefix}slbp_sessions`);
    expect(Number(rows.n), 'nothing in wp_slbp_sessions').to.equal(0);
    // In the site's namespace inside the prefix (docs/decisions/0024-site-identity.md).
    const sessions = (await ourKeys()).filter((k) => k.startsWith(`${prefix}${siteKeyOf(db.name, db.prefix)}:session:refresh:`));
    expect(sessions.length, 'the session lives in the cluster').to.equal(1);

    const refreshed = await call(`${b.base}/auth/refresh`, {
      method: 'POST',
      json: { refresh_token: first.body.refresh_token },
      headers: headers(),
    });
    expect(refreshed.status, refreshed.text).to.equal(200);
    expect(refreshed.body.refresh_token).to.not.equal(first.body.refresh_token);
    const me = await call(`${a.base}/users/me`, { headers: { Authorization: `Bearer ${refreshed.body.access_token}` } });
    expect(me.status, me.text).to.equal(200);
    expect(me.body.username).to.equal('manager');
    const out = await call(`${a.base}/auth/logout`, {
      method: 'POST',
      json: { refresh_token: refreshed.body.refresh_token },
      headers: headers(),
    });
    expect(out.body).to.deep.equal({ logged_out: true, revoked: true });
    // Spent and revoked, on either node; the revocation is a record in the cluster, in the site's namespace.
    for (const n of [a, b]) {
      for (const token of [first.body.refresh_token, refreshed.body.refresh_token]) {
        expectRestError(
          await call(`${n.base}/auth/refresh`, { method: 'POST', json: { refresh_token: token }, headers: headers() }),
          'slbp_invalid_refresh_token',
          401,
        );
      }
    }
    expect(
      (await ourKeys()).filter((k) => k.startsWith(`${prefix}${siteKeyOf(db.name, db.prefix)}:session:revoked:`)).length,
    ).to.be.greaterThan(0);
  });
});
