import { expect } from 'chai';
import mysql from 'mysql2/promise';
import { DEMO_WEBHOOK_SECRET } from '../../scripts/lib/demo-data.ts';
import { ADMIN_ID, createApiKey } from '../helpers/auth.ts';
import { createTestDb, testServer, type TestDb } from '../helpers/db.ts';
import { startMariaDb, type MariaDbInstance } from '../helpers/mariadb-instance.ts';
import { cleanRedisPrefix, testRedisPrefix } from '../helpers/redis.ts';
import { sidecarEnv, type ChildSidecar } from '../helpers/sidecar.ts';
import { spawnReady } from '../helpers/spawn-ready.ts';
import { orderData, signedDelivery, webhookBody } from '../fixtures/lemon-squeezy.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Status of a GET answered before a 1 s client timeout; 0 when the client gave up first (or could not connect). */
async function within1s(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; stale: string | null; what: string }> {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(1000) });
    const text = await res.text();
    return { status: res.status, stale: res.headers.get('x-slbp-stale'), what: res.status === 200 ? '' : `${url} ${text.slice(0, 200)}` };
  } catch (err) {
    return { status: 0, stale: null, what: `${url} ${(err as Error).message}` };
  }
}

/**
 * Waits until the node's cache invalidation bus is subscribed: a node that subscribes after it
 * cached something clears its in-process cache once (it may have missed invalidations).
 */
async function busSubscribed(base: string, adminKey: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${base}/health/detailed`, { headers: { 'X-API-Key': adminKey } });
    if (/"subscribed":true/.test(await res.text())) return;
    await sleep(200);
  }
  throw new Error('the invalidation bus never subscribed');
}

/** Runs `round` every `everyMs` for `forMs`, collecting what each round answered. */
async function during<T>(forMs: number, everyMs: number, round: () => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  const end = Date.now() + forMs;
  while (Date.now() < end) {
    out.push(...(await round()));
    await sleep(everyMs);
  }
  return out;
}

describe('bulkheads (#24): one locked table or a database outage does not take the node out', function () {
  this.timeout(300_000);

  describe('LOCK TABLES wp_slbp_transactions WRITE for 15 s under mixed load', () => {
    let db: TestDb;
    let sc: ChildSidecar | null = null;
    const prefix = testRedisPrefix();
    let key: string;

    before(async () => {
      db = await createTestDb({ size: 'tiny' });
      key = (await createApiKey(db, { userId: ADMIN_ID, permissions: ['read_billing', 'admin'] })).key;
      sc = await spawnReady(sidecarEnv(db, {}, prefix));
      await busSubscribed(sc.base, key);
    });
    after(async () => {
      await sc?.stop();
      await cleanRedisPrefix(prefix);
      await db?.drop();
    });

    it('/live, /health, /subscriptions and cached /transactions answer 200 before a 1 s client timeout throughout', async () => {
      const auth = { 'X-API-Key': key };
      const cached = `${sc!.base}/transactions?per_page=10&page=1`;
      expect((await within1s(cached, auth)).status).to.equal(200);
      expect((await within1s(`${sc!.base}/live`, auth)).status).to.equal(200);

      const holder = await mysql.createConnection({ ...testServer, database: db.name });
      await holder.query(`LOCK TABLES ${db.prefix}slbp_transactions WRITE`);
      let stop = false;
      // The pressure: uncached transaction pages and webhook inserts, all waiting on the lock.
      const pressure = Array.from({ length: 16 }, async (_, i) => {
        for (let n = 0; !stop; n++) {
          if (i % 2 === 0) await within1s(`${sc!.base}/transactions?per_page=5&page=${2 + ((i * 100 + n) % 50)}&search=x${n}`, auth);
          else
            await fetch(`${sc!.base}/webhooks/lemon-squeezy`, {
              ...signedDelivery(
                webhookBody(
                  'order_created',
                  orderData({ id: 80_000 + i * 1000 + n, email: `lock-${i}-${n}@example.test`, productId: 900_001, total: 100 }),
                ),
                DEMO_WEBHOOK_SECRET,
              ),
              signal: AbortSignal.timeout(15_000),
            }).catch(() => undefined);
        }
      });
      let answers: { path: string; status: number }[];
      try {
        await sleep(500); // the pressure fills what it can first
        answers = await during(14_000, 200, async () => {
          const paths = ['/live', '/health', '/subscriptions?per_page=5', '/transactions?per_page=10&page=1'];
          const res = await Promise.all(paths.map((p) => within1s(`${sc!.base}${p}`, p === '/health' ? {} : auth)));
          return res.map((r, i) => ({ path: paths[i]!, status: r.status }));
        });
      } finally {
        await holder.query('UNLOCK TABLES');
        await holder.end();
        stop = true;
        await Promise.all(pressure);
      }
      expect(answers.length).to.be.greaterThan(40);
      const notOk = answers.filter((a) => a.status !== 200);
      expect(notOk, JSON.stringify(notOk.slice(0, 10))).to.deep.equal([]);
    });
  });

  describe('MariaDB stopped for 10 s, two nodes', () => {
    let maria: MariaDbInstance;
    let db: TestDb;
    const nodes: ChildSidecar[] = [];
    const prefix = testRedisPrefix();
    let keep: { key: string; id: number };
    let revoke: { key: string; id: number };
    let adminKey: string;

    before(async () => {
      maria = await startMariaDb();
      db = await createTestDb({ size: 'tiny', server: { host: '127.0.0.1', port: maria.port, user: 'root', password: '' } });
      keep = await createApiKey(db, { userId: ADMIN_ID, permissions: ['read_billing'] });
      revoke = await createApiKey(db, { userId: ADMIN_ID, permissions: ['read_billing'] });
      adminKey = (await createApiKey(db, { userId: ADMIN_ID, permissions: ['admin'] })).key;
      const env = { ...sidecarEnv(db, {}, prefix), DB_HOST: `127.0.0.1:${maria.port}` };
      nodes.push(await spawnReady(env), await spawnReady(env));
      for (const n of nodes) await busSubscribed(n.base, adminKey);
    });
    after(async () => {
      for (const n of nodes) await n.stop();
      await cleanRedisPrefix(prefix);
      await db?.pool.end();
      await maria?.destroy();
    });

    it("an API key holder's cached reads and /live keep answering 200 on both nodes", async () => {
      const auth = { 'X-API-Key': keep.key };
      const paths = ['/live', '/transactions?per_page=10&page=1', '/subscriptions?per_page=5'];
      for (const n of nodes) for (const p of paths) expect((await within1s(`${n.base}${p}`, auth)).status).to.equal(200);
      await maria.stop();
      let answers: { status: number; what: string }[];
      try {
        answers = await during(10_000, 250, () => Promise.all(nodes.flatMap((n) => paths.map((p) => within1s(`${n.base}${p}`, auth)))));
      } finally {
        await maria.start();
      }
      expect(answers.length).to.be.greaterThan(30);
      const notOk = answers.filter((a) => a.status !== 200);
      expect(notOk.length, JSON.stringify(notOk.slice(0, 5))).to.equal(0);
    });

    it('a revoked key is refused on every node within 1 s of the revocation', async () => {
      for (const n of nodes)
        expect((await within1s(`${n.base}/transactions?per_page=10&page=1`, { 'X-API-Key': revoke.key })).status).to.equal(200);
      const res = await fetch(`${nodes[0]!.base}/api-keys/${revoke.id}`, { method: 'DELETE', headers: { 'X-API-Key': adminKey } });
      expect(res.status).to.equal(200);
      await sleep(1000);
      for (const n of nodes) {
        expect((await within1s(`${n.base}/transactions?per_page=10&page=1`, { 'X-API-Key': revoke.key })).status).to.equal(401);
        expect((await within1s(`${n.base}/live`, { 'X-API-Key': revoke.key })).status).to.equal(401);
      }
      // The other key still works.
      for (const n of nodes) expect((await within1s(`${n.base}/live`, { 'X-API-Key': keep.key })).status).to.equal(200);
    });
  });
});
