import { expect } from 'chai';
import { Cluster } from 'ioredis';
import { ADMIN_ID, signedHeaders, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/http.ts';
import { startRedisCluster, type RedisClusterInstance } from '../helpers/redis-cluster.ts';
import { testRedisPrefix } from '../helpers/redis.ts';
import { NS, startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';

describe('two sidecars on a 3-master Redis Cluster', function () {
  this.timeout(60_000);
  let cluster: RedisClusterInstance;
  let db: TestDb;
  const nodes: InProcessSidecar[] = [];
  const prefix = testRedisPrefix();

  before(async () => {
    cluster = await startRedisCluster(3);
    db = await createTestDb({ size: 'tiny' });
    // The machine's MariaDB doubles as a "replica" with no replication configured, so that
    // read-your-writes markers are in play.
    const env = {
      WP_REDIS_CLUSTER: cluster.seeds.join(','),
      SLBP_REDIS_PREFIX: prefix,
      SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET,
      DB_HOST_READ: '127.0.0.1:3306',
    };
    for (let i = 0; i < 2; i++) nodes.push(await startSidecar(db, { env }));
  });
  after(async () => {
    for (const n of nodes) await n.stop();
    await cluster?.cleanPrefix(prefix);
    await cluster?.stop();
    await db?.drop();
  });

  it('reports the cluster as a healthy cache', async () => {
    for (const n of nodes) {
      const res = await call(`${n.base}/health`);
      expect(res.status).to.equal(200);
      expect(res.body.status).to.equal('healthy');
      expect(res.body.checks.cache).to.include({ healthy: true, type: 'redis_cluster' });
    }
  });

  it('rejects a signed request replayed to the other node (nonce claimed in the cluster)', async () => {
    const path = `${NS}/health/detailed`;
    const headers = signedHeaders({ method: 'GET', path, userId: ADMIN_ID });
    const first = await call(`${nodes[0]!.url}${path}`, { headers });
    const replay = await call(`${nodes[1]!.url}${path}`, { headers });
    console.log(`      signed request on node 1: ${first.status}; the same request replayed on node 2: ${replay.status}`);
    expect(first.status).to.equal(200);
    expect(replay.status).to.equal(401);
  });

  it('shares read-your-writes markers between nodes, spread over the masters', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `user:${1000 + i}`);
    for (const k of keys) await nodes[0]!.container.databases.noteWrite(k);
    const seen = await Promise.all(keys.map((k) => nodes[1]!.container.databases.wroteRecently(k)));
    expect(seen.every(Boolean)).to.equal(true);
    expect(await nodes[1]!.container.databases.wroteRecently('user:999')).to.equal(false);
    // The markers really live in the cluster, on more than one master.
    const c = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
    try {
      await new Promise<void>((resolve) => c.once('ready', () => resolve()));
      const perMaster = await Promise.all(
        c.nodes('master').map(async (m) => (await m.keys(`${nodes[0]!.container.redis!.keyPrefix}ryw:*`)).length),
      );
      console.log(`      30 markers per master: ${JSON.stringify(perMaster)}`);
      expect(perMaster.reduce((a, b) => a + b, 0)).to.equal(30);
      expect(perMaster.filter((n) => n > 0).length).to.be.greaterThan(1);
    } finally {
      c.disconnect();
    }
  });
});
