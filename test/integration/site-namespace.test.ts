import path from 'node:path';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { inspectRedisNamespace } from '../../src/cache/site-namespace.ts';
import { serverIdentity } from '../../src/data/probes.ts';
import { ADMIN_ID, asUser, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { waitFor } from '../helpers/backup.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/http.ts';
import { capturingLogger } from '../helpers/log.ts';
import { startMariaDb, type MariaDbInstance } from '../helpers/mariadb-instance.ts';
import { cleanRedisPrefix, testRedisPrefix } from '../helpers/redis.ts';
import { NS, startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';

describe('every site in its own Redis namespace', function () {
  this.timeout(120_000);
  const prefix = testRedisPrefix();
  const plain = new Redis({ host: '127.0.0.1', port: 6379 });
  let a: TestDb;
  let b: TestDb;
  let sa: InProcessSidecar;
  let sb: InProcessSidecar;
  const env = { SLBP_REDIS_PREFIX: prefix, SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET };
  const admin = (sc: InProcessSidecar, route: string) => call(`${sc.base}${route}`, asUser(ADMIN_ID, 'GET', `${NS}${route}`));
  const keysUnder = async (p: string) => (await plain.keys(`${p}*`)).sort();

  before(async () => {
    [a, b] = await Promise.all([createTestDb({ size: 'tiny' }), createTestDb({ size: 'tiny' })]);
    sa = await startSidecar(a, { env });
    sb = await startSidecar(b, { env });
  });
  after(async () => {
    await sa?.stop();
    await sb?.stop();
    await a?.drop();
    await b?.drop();
    await cleanRedisPrefix(prefix);
    plain.disconnect();
  });

  it('two sites on one SLBP_REDIS_PREFIX each claim a namespace of their own, and every key lands in one', async () => {
    const [na, nb] = [sa.container.redis!.keyPrefix, sb.container.redis!.keyPrefix];
    expect(na).to.equal(`${prefix}${sa.container.site.key}:`);
    expect(nb).to.equal(`${prefix}${sb.container.site.key}:`);
    expect(na).to.not.equal(nb);
    expect([sa.container.redis!.namespaceState, sb.container.redis!.namespaceState]).to.deep.equal(['ours', 'ours']);
    for (const sc of [sa, sb]) {
      expect((await admin(sc, '/transactions')).status).to.equal(200);
      expect((await admin(sc, '/health/detailed')).body.service_checks.site_identity).to.include({
        healthy: true,
        namespace_state: 'ours',
        redis_namespace: sc.container.redis!.keyPrefix,
      });
    }
    const all = await keysUnder(prefix);
    expect(all.filter((k) => !k.startsWith(na) && !k.startsWith(nb))).to.deep.equal([]);
    // Cached lists, nonces and the claim itself, for both sites.
    for (const ns of [na, nb]) {
      expect(all.filter((k) => k.startsWith(`${ns}c:`)).length, `${ns} cached values`).to.be.greaterThan(0);
      expect(all.filter((k) => k.startsWith(`${ns}nonce:`)).length, `${ns} nonces`).to.be.greaterThan(0);
      expect(all).to.include(`${ns}site`);
    }
  });

  describe('a copy of site A on another database server, with the same database name and prefix', () => {
    let maria: MariaDbInstance;
    let copy: TestDb;
    let sc: InProcessSidecar;
    const log = capturingLogger();

    before(async () => {
      maria = await startMariaDb();
      copy = await createTestDb({
        size: 'tiny',
        name: a.name,
        server: { host: '127.0.0.1', port: maria.port, user: 'root', password: '' },
      });
      sc = await startSidecar(copy, {
        env: { ...env, DB_PORT: String(maria.port), SLBP_DATA_DIR: path.join('var', 'test', `${process.pid}-${a.name}-copy`) },
        logger: log.logger,
      });
    });
    after(async () => {
      await sc?.stop();
      await copy?.drop();
      await maria?.destroy();
    });

    it('lands on the same site key, finds the namespace held by A, says so, and does not share it', async () => {
      expect(sc.container.site.key).to.equal(sa.container.site.key);
      expect(sc.container.redis!.namespaceState).to.equal('conflict');
      expect(sc.container.redis!.isReady()).to.equal(false);
      const aServer = (await serverIdentity(sa.container.db.write)).server;
      const copyServer = (await serverIdentity(sc.container.db.write)).server;
      expect(copyServer).to.not.equal(aServer);

      const said = log.entries.find((e) => e.message.includes('redis namespace in use by a different site'));
      expect(said, JSON.stringify(log.entries)).to.not.equal(undefined);
      expect(said!.level).to.equal('error');
      expect((said!.holder as { server: string }).server).to.equal(aServer);
      expect((said!.site as { server: string }).server).to.equal(copyServer);

      const health = await call(`${sc.base}/health`);
      expect(health.body.status).to.equal('degraded');
      expect(health.body.checks.cache.message).to.include('in use by another site').and.include(aServer).and.include(copyServer);
      const detail = (await admin(sc, '/health/detailed')).body.service_checks.site_identity;
      expect(detail).to.include({ healthy: false, namespace_state: 'conflict', database: a.name, server: copyServer });
      expect(detail.holder).to.include({ database: a.name, server: aServer });

      // The copy reads and caches without writing anything into A's namespace.
      const before = await keysUnder(sa.container.redis!.keyPrefix);
      expect((await admin(sc, '/transactions?per_page=3')).status).to.equal(200);
      expect((await admin(sc, '/subscriptions?per_page=4')).status).to.equal(200);
      expect(await keysUnder(sa.container.redis!.keyPrefix)).to.deep.equal(before);
      // A keeps its namespace; a read-only look (the doctor's check) agrees from both sides.
      expect(await sa.container.namespaceGuard!.verify()).to.equal('ours');
      const me = (s: InProcessSidecar, server: Awaited<ReturnType<typeof serverIdentity>>) => ({
        site: s.container.site,
        server,
        node: s.container.instanceId,
        siteUrl: null,
      });
      expect((await inspectRedisNamespace(sa.container.redis!, me(sa, await serverIdentity(sa.container.db.write)))).state).to.equal(
        'ours',
      );
      expect((await inspectRedisNamespace(sc.container.redis!, me(sc, await serverIdentity(sc.container.db.write)))).state).to.equal(
        'conflict',
      );
    });

    it("takes the namespace once A's claim has lapsed (A stopped, or its server changed), and says so", async () => {
      await sa.stop();
      // A stopped node does not release the claim (another node of A may still run); it lapses after a minute.
      await plain.del(`${sa.container.redis!.keyPrefix}site`);
      expect(await sc.container.namespaceGuard!.verify()).to.equal('ours');
      expect(sc.container.redis!.isReady()).to.equal(true);
      expect(log.entries.some((e) => e.level === 'warn' && e.message.includes("namespace is this site's again"))).to.equal(true);
      // /health reuses its checks for up to a second.
      await waitFor(async () => (await call(`${sc.base}/health`)).body.status === 'healthy', 5000, '/health healthy again');
    });
  });
});
