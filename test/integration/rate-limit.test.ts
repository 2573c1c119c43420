import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createApiKey, signedHeaders, STUDENT_ID, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, expectRestError, type JsonResponse } from '../helpers/http.ts';
import { expectOneRateLimited } from '../helpers/rate-limit.ts';
import { freePort } from '../helpers/mariadb-instance.ts';
import { cleanRedisPrefix, testRedisPrefix } from '../helpers/redis.ts';
import { sidecarEnv, spawnSidecar, startSidecar, type ChildSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';

const ON = { SLBP_RATE_LIMIT_ENABLED: 'true' };
const octet = () => 1 + (randomBytes(1)[0]! % 250);
const randomAddress = () => `10.${octet()}.${octet()}.${octet()}`;

/**
 * Seven attempts on the `auth` zone sent at once (well inside one second), optionally spread over
 * several nodes: sign-ins, or (cheaper: no password hashing) refreshes with an unknown token.
 */
async function sevenLogins(
  bases: string[],
  headers: (i: number) => Record<string, string>,
  route: 'login' | 'refresh' = 'refresh',
  spell: (i: number) => string = () => route,
): Promise<JsonResponse[]> {
  // A name of its own per attempt: five failures for one name from one address are the sign-in
  // lockout's to refuse (a 429 of its own), and this is about the auth zone.
  const json = (i: number) =>
    route === 'login' ? { username: `nobody${i}`, password: 'x' } : { refresh_token: 'not-a-real-refresh-token' };
  startedAt = Date.now();
  return Promise.all(
    Array.from({ length: 7 }, (_, i) =>
      call(`${bases[i % bases.length]}/auth/${spell(i)}`, { method: 'POST', json: json(i), headers: headers(i) }),
    ),
  );
}
let startedAt = 0;

describe('rate limits (koa-ratelimit on Redis)', () => {
  let db: TestDb;
  before(async () => {
    db = await createTestDb({ size: 'tiny' });
  });
  after(async () => {
    await db?.drop();
  });

  describe('one node behind a trusted proxy', () => {
    let sc: InProcessSidecar;
    const zones: string[] = [];
    before(async () => {
      sc = await startSidecar(db, {
        env: { ...ON, SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET },
        observers: { rateLimit: [(z) => zones.push(z)] },
      });
    });
    after(async () => sc?.stop());

    it('the 7th sign-in attempt inside a second from one address gets a WordPress-shaped 429 with Retry-After', async () => {
      const ip = randomAddress();
      expectOneRateLimited(await sevenLogins([sc.base], () => ({ 'X-Forwarded-For': ip }), 'login'), startedAt);
      expect(zones).to.include('auth');
    });

    it('keys on the right-most untrusted X-Forwarded-For hop: a forged left-most entry does not change the bucket', async () => {
      const real = randomAddress();
      expectOneRateLimited(await sevenLogins([sc.base], () => ({ 'X-Forwarded-For': `${randomAddress()}, ${real}` })), startedAt);
      // Distinct real clients behind the proxy each have their own bucket.
      const spread = await sevenLogins([sc.base], () => ({ 'X-Forwarded-For': randomAddress() }));
      expect(spread.every((r) => r.status === 401)).to.equal(true);
    });

    it('spelling the path differently (case, trailing slash) does not escape the auth zone', async () => {
      const ip = randomAddress();
      const spellings = ['refresh', 'REFRESH', 'Refresh/', 'refresh/'];
      expectOneRateLimited(
        await sevenLogins(
          [sc.base],
          () => ({ 'X-Forwarded-For': ip }),
          'refresh',
          (i) => spellings[i % spellings.length]!,
        ),
        startedAt,
      );
    });

    it("an API key's hourly rate_limit is enforced per key", async () => {
      const key = await createApiKey(db, { userId: STUDENT_ID, permissions: ['read'], rateLimit: 3 });
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await call(`${sc.base}/auth/verify`, { headers: { 'X-API-Key': key.key } })).status);
      expect(statuses).to.deep.equal([200, 200, 200, 429]);
      const other = await createApiKey(db, { userId: STUDENT_ID, permissions: ['read'], rateLimit: 3 });
      expect((await call(`${sc.base}/auth/verify`, { headers: { 'X-API-Key': other.key } })).status).to.equal(200);
    });

    it('the general zone follows rate_limit_general from slbp_performance_config', async () => {
      await db.pool.query(`UPDATE ${db.prefix}options SET option_value = ? WHERE option_name = 'slbp_performance_config'`, [
        'a:3:{s:16:"cache_expiration";i:3600;s:28:"enable_background_processing";b:1;s:18:"rate_limit_general";i:3;}',
      ]);
      await sc.container.settings.refresh();
      try {
        const ip = randomAddress();
        const statuses: number[] = [];
        for (let i = 0; i < 4; i++) statuses.push((await call(sc.base, { headers: { 'X-Forwarded-For': ip } })).status);
        expect(statuses).to.deep.equal([200, 200, 200, 429]);
        // WordPress itself (the signed shim as user 0) is never limited.
        const path = new URL(sc.base).pathname;
        for (let i = 0; i < 5; i++)
          expect((await call(sc.base, { headers: signedHeaders({ method: 'GET', path, userId: 0 }) })).status).to.equal(200);
      } finally {
        await db.pool.query(`UPDATE ${db.prefix}options SET option_value = ? WHERE option_name = 'slbp_performance_config'`, [
          'a:3:{s:16:"cache_expiration";i:3600;s:28:"enable_background_processing";b:1;s:18:"rate_limit_general";i:100;}',
        ]);
        await sc.container.settings.refresh();
      }
    });

    it('a flood of bad API keys from one address is counted: after 10 refusals it gets 429, and no more key lookups', async () => {
      const ip = randomAddress();
      let lookups = 0;
      const count = (e: { sql: string }) => {
        if (e.sql.includes('slbp_api_keys')) lookups++;
      };
      sc.container.db.on('query', count);
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 40; i++)
          statuses.push((await call(`${sc.base}/auth/verify`, { headers: { 'X-API-Key': `bad-key-${i}`, 'X-Forwarded-For': ip } })).status);
        expect(statuses.slice(0, 10)).to.deep.equal(Array(10).fill(401));
        expect(statuses.slice(10)).to.deep.equal(Array(30).fill(429));
        expect(lookups, 'one lookup per counted refusal, none once refused').to.equal(11);
        const res = await call(`${sc.base}/auth/verify`, { headers: { Authorization: 'Bearer another-bad-key', 'X-Forwarded-For': ip } });
        expectRestError(res, 'slbp_rate_limited', 429);
        expect(res.body.data.zone).to.equal('failed_auth');
        expect(Number(res.headers.get('retry-after'))).to.be.within(1, 60);
        expect(zones).to.include('failed_auth');
        // Another address, and the anonymous and signed requests of this one, are not affected.
        expect(
          (await call(`${sc.base}/auth/verify`, { headers: { 'X-API-Key': 'bad', 'X-Forwarded-For': randomAddress() } })).status,
        ).to.equal(401);
        expect((await call(`${sc.base}/live`, { headers: { 'X-Forwarded-For': ip } })).status).to.equal(200);
      } finally {
        sc.container.db.off('query', count);
      }
    });

    it('forged access tokens and forged shim signatures count as failed credentials too', async () => {
      for (const forged of [
        (): Record<string, string> => ({ Authorization: 'Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOjF9.forged' }),
        (): Record<string, string> => ({
          ...signedHeaders({ method: 'GET', path: `${new URL(sc.base).pathname}/users/me`, userId: 1, secret: 'not-the-secret' }),
        }),
      ]) {
        const ip = randomAddress();
        const statuses: number[] = [];
        for (let i = 0; i < 12; i++)
          statuses.push((await call(`${sc.base}/users/me`, { headers: { ...forged(), 'X-Forwarded-For': ip } })).status);
        expect(statuses).to.deep.equal([...Array(10).fill(401), 429, 429]);
      }
    });

    it('never limits the probes a load balancer polls', async () => {
      const statuses = await Promise.all(Array.from({ length: 40 }, () => call(`${sc.base}/live`).then((r) => r.status)));
      expect(new Set(statuses)).to.deep.equal(new Set([200]));
    });
  });

  it('from an untrusted peer, a forged X-Forwarded-For does not move the caller to another bucket', async () => {
    const sc = await startSidecar(db, { env: { ...ON, SLBP_TRUSTED_PROXIES: '192.0.2.10' } });
    try {
      expectOneRateLimited(await sevenLogins([sc.base], () => ({ 'X-Forwarded-For': randomAddress() })), startedAt);
    } finally {
      await sc.stop();
    }
  });

  it('while Redis is down each node still enforces the limits in process', async () => {
    const sc = await startSidecar(db, { env: { ...ON, WP_REDIS_PORT: String(await freePort()) } });
    try {
      expectOneRateLimited(await sevenLogins([sc.base], () => ({ 'X-Forwarded-For': '10.99.99.99' })), startedAt);
    } finally {
      await sc.stop();
    }
  });

  it('two sidecar processes share one limit through Redis', async () => {
    const prefix = testRedisPrefix();
    const env = sidecarEnv(db, ON, prefix);
    const nodes: ChildSidecar[] = [];
    try {
      nodes.push(...(await Promise.all([spawnSidecar(env), spawnSidecar(env)])));
      const ip = randomAddress();
      expectOneRateLimited(
        await sevenLogins(
          nodes.map((n) => n.base),
          () => ({ 'X-Forwarded-For': ip }),
        ),
        startedAt,
      );
    } finally {
      await Promise.all(nodes.map((n) => n.stop()));
      await cleanRedisPrefix(prefix);
    }
  });
});
