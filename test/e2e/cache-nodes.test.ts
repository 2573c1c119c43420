import { expect } from 'chai';
import { Cluster, Redis } from 'ioredis';
import { ADMIN_ID, asUser, EDITOR_ID, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, expectRestError } from '../helpers/http.ts';
import { siteKeyOf } from '../../src/config/site-identity.ts';
import { testRedisPrefix } from '../helpers/redis.ts';
import { startRedisCluster, startRedisServer, type RedisClusterServers, type RedisServer } from '../helpers/redis-server.ts';
import { NS, sidecarEnv, spawnSidecar, type ChildSidecar } from '../helpers/sidecar.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HEALTH_TOKEN = 'cache-e2e-health-token';
const INVALIDATE = `${NS}/cache/invalidate`;
/** A cheap route (no database probe): the signed caller's identity is what is being read. */
const LIVE = `${NS}/live`;
const FOREIGN = { 'wp:object-cache:alloptions': 'wordpress owns this', 'another-app:session:1': 'not ours' };

/** Test topologies: the sidecars' Redis settings and an unprefixed client on the same servers. */
interface Topology {
  name: string;
  env: Record<string, string>;
  /** An unprefixed client, connected (a Cluster client knows its nodes only once ready). */
  client(): Promise<Redis | Cluster>;
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

async function ready<T extends Redis | Cluster>(client: T): Promise<T> {
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve));
  return client;
}

async function single(): Promise<Topology> {
  const server: RedisServer = await startRedisServer();
  return {
    name: `one private redis-server on :${server.port}`,
    env: { WP_REDIS_HOST: '127.0.0.1', WP_REDIS_PORT: String(server.port) },
    client: () => ready(server.client()),
    stop: () => server.stop(),
    start: () => server.start(),
    destroy: () => server.destroy(),
  };
}

async function cluster(): Promise<Topology> {
  const c: RedisClusterServers = await startRedisCluster(3);
  return {
    name: `a 3-master Redis Cluster on :${c.nodes.map((n) => n.port).join(',:')}`,
    env: { WP_REDIS_CLUSTER: c.seeds },
    client: () => ready(new Cluster(c.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })))),
    stop: () => c.stop(),
    start: () => c.start(),
    destroy: () => c.destroy(),
  };
}

async function cacheLayers(sc: ChildSidecar) {
  const res = await call(`${sc.base}/health/detailed`, { headers: { Authorization: `Bearer ${HEALTH_TOKEN}` } });
  expect(res.status, res.text).to.be.oneOf([200, 503]);
  return res.body.service_checks.cache_layers;
}

/** A signed request from the shim, as user `id`, to `path` on `sc`. */
const signed = (sc: ChildSidecar, id: number, method: string, path: string, body?: unknown) =>
  call(`${sc.url}${path}`, asUser(id, method, path, body));

async function setRole(db: TestDb, userId: number, role: string): Promise<void> {
  await db.pool.query(`UPDATE ${db.prefix}usermeta SET meta_value = ? WHERE user_id = ? AND meta_key = ?`, [
    `a:1:{s:${role.length}:"${role}";b:1;}`,
    userId,
    `${db.prefix}capabilities`,
  ]);
}

for (const make of [single, cluster]) {
  describe(`cache across nodes: ${make.name === 'single' ? 'one Redis server' : '3-master Redis Cluster'}`, function () {
    this.timeout(180_000);
    let topo: Topology;
    let db: TestDb;
    let prefix: string;
    let a: ChildSidecar;
    let b: ChildSidecar;

    before(async () => {
      [topo, db] = await Promise.all([make(), createTestDb({ size: 'tiny' })]);
      console.log(`      Redis: ${topo.name}`);
      prefix = testRedisPrefix();
      const other = await topo.client();
      for (const [k, v] of Object.entries(FOREIGN)) await other.set(k, v);
      // A neighbour whose prefix starts like ours must not be touched either.
      await other.set(`${prefix.slice(0, -1)}X:c:v1:{user:1}:identity`, 'neighbour');
      other.disconnect();
      const env = sidecarEnv(
        db,
        { ...topo.env, SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET, SLBP_HEALTH_TOKEN: HEALTH_TOKEN, SLBP_OPTIONS_REFRESH_MS: '600000' },
        prefix,
      );
      [a, b] = await Promise.all([spawnSidecar(env, [], { waitForRedis: true }), spawnSidecar(env, [], { waitForRedis: true })]);
    });

    after(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      if (topo) {
        const other = await topo.client();
        try {
          for (const [k, v] of Object.entries(FOREIGN)) expect(await other.get(k), `foreign key ${k} after the tests`).to.equal(v);
          expect(await other.get(`${prefix.slice(0, -1)}X:c:v1:{user:1}:identity`)).to.equal('neighbour');
        } finally {
          other.disconnect();
          await topo.destroy();
        }
      }
      await db?.drop();
    });

    it("an invalidation sent to one node reaches the other node's in-process cache within 1 s", async () => {
      // Both nodes resolve the editor once: now each holds the identity in its L1.
      expectRestError(await signed(a, EDITOR_ID, 'POST', INVALIDATE, { keys: ['warm-up'] }), 'rest_forbidden', 403);
      expectRestError(await signed(b, EDITOR_ID, 'POST', INVALIDATE, { keys: ['warm-up'] }), 'rest_forbidden', 403);
      const before = await cacheLayers(b);
      expect(before.l1.entries).to.be.greaterThan(0);

      await setRole(db, EDITOR_ID, 'administrator');
      try {
        // Without an invalidation node B keeps serving what it holds.
        expectRestError(await signed(b, EDITOR_ID, 'POST', INVALIDATE, { keys: ['warm-up'] }), 'rest_forbidden', 403);
        expect((await cacheLayers(b)).l1.hits).to.be.greaterThan(before.l1.hits);

        const sent = Date.now();
        const res = await signed(a, ADMIN_ID, 'POST', INVALIDATE, { tags: [`user:${EDITOR_ID}`] });
        expect(res.status, res.text).to.equal(200);
        expect(res.body.nodes_notified).to.equal(2);
        let delay = -1;
        let polls = 0;
        while (Date.now() - sent < 3000) {
          polls++;
          if ((await signed(b, EDITOR_ID, 'POST', INVALIDATE, { keys: ['warm-up'] })).status === 200) {
            delay = Date.now() - sent;
            break;
          }
          await sleep(5);
        }
        console.log(
          `      node B served the fresh value ${delay} ms after the invalidation was sent to node A (${polls} poll(s); node A answered ${JSON.stringify(res.body)})`,
        );
        expect(delay).to.be.within(0, 999);
        expect((await cacheLayers(b)).bus.received).to.be.greaterThan(0);
      } finally {
        await setRole(db, EDITOR_ID, 'editor');
        await signed(a, ADMIN_ID, 'POST', INVALIDATE, { tags: [`user:${EDITOR_ID}`] });
      }
    });

    it('200 concurrent requests for one cold key run the loader once per process', async () => {
      const cold = 5; // a student nobody has asked about yet
      const [sa, sb] = await Promise.all([cacheLayers(a), cacheLayers(b)]);
      const burst = (sc: ChildSidecar) => Promise.all(Array.from({ length: 200 }, () => signed(sc, cold, 'GET', LIVE)));
      const results = (await Promise.all([burst(a), burst(b)])).flat();
      const failed = results.filter((r) => r.status !== 200);
      expect(failed.length, `${failed.length} failed, e.g. ${failed[0]?.text}`).to.equal(0);
      const [ea, eb] = await Promise.all([cacheLayers(a), cacheLayers(b)]);
      const loadsA = ea.loads - sa.loads;
      const loadsB = eb.loads - sb.loads;
      console.log(
        `      400 concurrent signed requests as user ${cold}: loader ran ${loadsA} time(s) on node A, ${loadsB} on node B; Redis hits A ${ea.l2.hits - sa.l2.hits}, B ${eb.l2.hits - sb.l2.hits}`,
      );
      expect(loadsA).to.be.at.most(1);
      expect(loadsB).to.be.at.most(1);
      expect(loadsA + loadsB).to.be.at.least(1);
    });

    it('Redis stopped: requests keep succeeding and /health is degraded; Redis back: Redis hits return without a restart', async () => {
      // User 6 is cached in Redis and in both L1s; their role will change while Redis is down.
      for (const sc of [a, b]) expectRestError(await signed(sc, 6, 'POST', INVALIDATE, { keys: ['probe'] }), 'rest_forbidden', 403);
      await topo.stop();
      try {
        let health: any;
        for (let i = 0; i < 50; i++) {
          health = await call(`${a.base}/health`);
          if (health.body.status === 'degraded') break;
          await sleep(100);
        }
        expect(health.status).to.equal(200);
        expect(health.body.status).to.equal('degraded');
        expect(health.body.checks.cache.healthy).to.equal(false);
        // A cached identity (L1) and a cold one (database) both still work on both nodes.
        for (const sc of [a, b]) {
          for (const id of [ADMIN_ID, 6]) {
            const res = await signed(sc, id, 'GET', LIVE);
            expect(res.status, res.text).to.equal(200);
          }
          const inv = await signed(sc, ADMIN_ID, 'POST', INVALIDATE, { tags: ['user:7'] });
          expect(inv.status, inv.text).to.equal(200);
          expect(inv.body.nodes_notified).to.equal(0);
        }
        const layers = await cacheLayers(a);
        expect(layers.l2.available).to.equal(false);
        expect(layers.healthy).to.equal(false);
        await setRole(db, 6, 'administrator');
        const inv = await signed(a, ADMIN_ID, 'POST', INVALIDATE, { tags: ['user:6'] });
        expect(inv.status).to.equal(200);
      } finally {
        await topo.start();
      }
      const restarted = Date.now();
      for (const sc of [a, b]) {
        for (;;) {
          const [h, layers] = await Promise.all([call(`${sc.base}/health`), cacheLayers(sc)]);
          if (h.body.status === 'healthy' && layers.bus.subscribed) break;
          if (Date.now() - restarted > 20_000) throw new Error(`node did not recover: ${JSON.stringify(layers)}`);
          await sleep(100);
        }
      }
      console.log(`      both nodes healthy with the bus resubscribed ${Date.now() - restarted} ms after Redis came back`);
      const [ra, rb] = await Promise.all([cacheLayers(a), cacheLayers(b)]);
      expect(ra.l1.resets + rb.l1.resets).to.be.greaterThan(0);
      // Node A loads user 8 and writes it to Redis; node B then finds it there.
      expect((await signed(a, 8, 'GET', LIVE)).status).to.equal(200);
      await sleep(100); // the Redis write is not awaited by the request
      expect((await signed(b, 8, 'GET', LIVE)).status).to.equal(200);
      const after = await cacheLayers(b);
      console.log(`      node B after recovery: l2 hits ${rb.l2.hits} -> ${after.l2.hits}, loads ${rb.loads} -> ${after.loads}`);
      expect(after.l2.hits).to.be.greaterThan(rb.l2.hits);
      expect(after.loads).to.equal(rb.loads);
      // And the bus works again: an invalidation on B reaches A.
      const inv = await signed(b, ADMIN_ID, 'POST', INVALIDATE, { tags: ['user:8'] });
      expect(inv.body.nodes_notified).to.equal(2);

      // The invalidation Redis missed was replayed: neither node serves user 6's old role.
      try {
        for (const sc of [a, b]) {
          const res = await signed(sc, 6, 'POST', INVALIDATE, { keys: ['probe'] });
          expect(res.status, `user 6 after recovery: ${res.text}`).to.equal(200);
        }
      } finally {
        await setRole(db, 6, 'subscriber');
        await signed(a, ADMIN_ID, 'POST', INVALIDATE, { tags: ['user:6'] });
      }
    });

    it("`all` drops every entry under the sidecar's prefix and nothing else", async () => {
      expect((await signed(a, 9, 'GET', LIVE)).status).to.equal(200);
      await sleep(100);
      const other = await topo.client();
      try {
        const ours = async () => {
          const nodes = other instanceof Cluster ? other.nodes('master') : [other];
          let n = 0;
          // The site's namespace inside the prefix (docs/decisions/0024-site-identity.md).
          for (const node of nodes) n += (await node.keys(`${prefix}${siteKeyOf(db.name, db.prefix)}:c:*`)).length;
          return n;
        };
        expect(await ours()).to.be.greaterThan(0);
        const res = await signed(b, ADMIN_ID, 'POST', INVALIDATE, { all: true });
        expect(res.status, res.text).to.equal(200);
        expect(res.body.invalidated).to.be.greaterThan(0);
        expect(await ours()).to.equal(0);
        for (const [k, v] of Object.entries(FOREIGN)) expect(await other.get(k)).to.equal(v);
        expect((await cacheLayers(a)).l1.entries).to.equal(0);
      } finally {
        other.disconnect();
      }
    });

    it('refuses anonymous and non-admin callers, and a body without keys, tags or all', async () => {
      expectRestError(await call(`${a.url}${INVALIDATE}`, { method: 'POST', json: { all: true } }), 'rest_forbidden', 401);
      expectRestError(await signed(a, 4, 'POST', INVALIDATE, { all: true }), 'rest_forbidden', 403);
      expectRestError(await signed(a, ADMIN_ID, 'POST', INVALIDATE, {}), 'rest_invalid_param', 400);
      expectRestError(await signed(a, ADMIN_ID, 'POST', INVALIDATE, { tags: ['*'] }), 'rest_invalid_param', 400);
    });

    it('the shim invalidating `options` makes every node re-read wp_options', async () => {
      const siteUrl = async (sc: ChildSidecar) => (await call(sc.base)).body._links.up[0].href as string;
      const [[row]] = await db.pool.query<any>(`SELECT option_value FROM ${db.prefix}options WHERE option_name = 'siteurl'`);
      await db.pool.query(`UPDATE ${db.prefix}options SET option_value = 'https://moved.example' WHERE option_name = 'siteurl'`);
      try {
        expect(await siteUrl(b)).to.not.include('moved.example'); // options are re-read every 10 min here
        // The shim acting for WordPress itself (user 0) may invalidate.
        const sys = await signed(a, 0, 'POST', INVALIDATE, { tags: ['options'] });
        expect(sys.status, sys.text).to.equal(200);
        const sent = Date.now();
        while (!(await siteUrl(b)).includes('moved.example') && Date.now() - sent < 3000) await sleep(10);
        expect(await siteUrl(b)).to.equal('https://moved.example/wp-json/');
        expect(await siteUrl(a)).to.equal('https://moved.example/wp-json/');
      } finally {
        await db.pool.query(`UPDATE ${db.prefix}options SET option_value = ? WHERE option_name = 'siteurl'`, [row.option_value]);
      }
    });
  });
}
