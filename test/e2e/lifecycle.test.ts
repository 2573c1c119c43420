import { mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { createWordPressDatabase } from '../../scripts/lib/db-admin.ts';
import { createTestDb, testServer, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/http.ts';
import { startMariaDb, type MariaDbInstance } from '../helpers/mariadb-instance.ts';
import { cleanRedisPrefix, testRedisPrefix } from '../helpers/redis.ts';
import { sidecarEnv, spawnSidecar, type ChildSidecar } from '../helpers/sidecar.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One probe on a fresh connection, as a load balancer's health checker makes it. */
function probe(url: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      })
      .on('error', reject);
  });
}

/** Sends requests from `clients` concurrent loops until `until()` is true; counts statuses and errors. */
async function hammer(url: string, clients: number, until: () => boolean) {
  const statuses = new Map<number, number>();
  const errors: string[] = [];
  let total = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (!until()) {
        try {
          const res = await fetch(url);
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        } catch (err) {
          errors.push(String((err as Error & { cause?: Error }).cause?.message ?? err));
        }
        total++;
      }
    }),
  );
  return { statuses, errors, total };
}

describe('the sidecar process', function () {
  this.timeout(120_000);
  let db: TestDb;
  before(async () => {
    db = await createTestDb({ size: 'tiny' });
  });
  after(async () => {
    await db?.drop();
  });

  it('exits non-zero naming every problem in a bad configuration', async () => {
    const sc = await spawnSidecar({ SLBP_ENV: 'test', SLBP_PORT: 'abc' }, ['--wp-config', '/nonexistent/wp-config.php'], {
      waitForListen: false,
    });
    const code = await sc.exited;
    expect(code).to.equal(2);
    const out = sc.output();
    expect(out).to.match(/SLBP_PORT: "abc" is not a whole number/);
    expect(out).to.match(/DB_NAME: no database name is configured/);
    expect(out).to.match(/cannot read \/nonexistent\/wp-config.php/);
  });

  it('connects with only --wp-config: credentials, table prefix and Redis settings', async () => {
    const prefix = 'shop_';
    await createWordPressDatabase(testServer, `${db.name}_wpc`, prefix, { replace: true });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'slbp-wpc-'));
    const file = path.join(dir, 'wp-config.php');
    const redisPrefix = testRedisPrefix();
    await writeFile(
      file,
      `<?php
define( 'DB_NAME', '${db.name}_wpc' );
define( 'DB_USER', 'root' );
define( 'DB_PASSWORD', '' );
define( 'DB_HOST', '127.0.0.1:3306' );
define( 'WP_REDIS_HOST', '127.0.0.1' );
define( 'WP_REDIS_PORT', 6379 );
define( 'SLBP_REDIS_PREFIX', '${redisPrefix}' );
define( 'SLBP_PORT', 0 );
$table_prefix = '${prefix}';
require_once ABSPATH . 'wp-settings.php';
`,
    );
    const sc = await spawnSidecar({ SLBP_ENV: 'test' }, ['--wp-config', file]);
    try {
      const ready = await call(`${sc.base}/ready`);
      expect(ready.status, ready.text).to.equal(200);
      const health = await call(`${sc.base}/health`);
      expect(health.body.status).to.equal('healthy');
      expect(health.body.checks.cache.type).to.equal('redis');
      expect(sc.output()).to.include(`"table_prefix":"${prefix}"`);
    } finally {
      await sc.stop();
      await cleanRedisPrefix(redisPrefix);
      await db.pool.query(`DROP DATABASE \`${db.name}_wpc\``);
    }
  });

  it('64 concurrent clients hammering /health for 10 s get only 200s', async () => {
    const sc = await spawnSidecar(sidecarEnv(db));
    try {
      const deadline = Date.now() + 10_000;
      const r = await hammer(`${sc.base}/health`, 64, () => Date.now() > deadline);
      console.log(
        `      /health x64 for 10 s: ${r.total} requests, statuses ${JSON.stringify([...r.statuses])}, errors ${r.errors.length}`,
      );
      expect(r.errors).to.deep.equal([]);
      expect([...r.statuses.keys()]).to.deep.equal([200]);
      // Enough traffic to mean something even on a busy two-core machine.
      expect(r.total).to.be.greaterThan(300);
    } finally {
      await sc.stop();
    }
  });

  it('SIGTERM under load: /ready turns 503 while draining and no in-flight request fails', async () => {
    const sc = await spawnSidecar(sidecarEnv(db, { SLBP_DRAIN_DELAY_MS: '3000' }));
    let balancerSawDrain = false;
    const readyStatusesDuringDrain: number[] = [];
    const load = hammer(`${sc.base}/health`, 16, () => balancerSawDrain);
    await sleep(1000);
    sc.proc.kill('SIGTERM');
    // The load balancer's view: poll /ready until it says 503, then stop sending new requests.
    const t0 = Date.now();
    while (!balancerSawDrain && Date.now() - t0 < 5000) {
      const res = await probe(`${sc.base}/ready`);
      readyStatusesDuringDrain.push(res.status);
      if (res.status === 503) {
        expect(res.body.ready).to.equal(false);
        expect(res.body.draining).to.equal(true);
        balancerSawDrain = true;
      }
    }
    const r = await load;
    const code = await sc.exited;
    console.log(
      `      drain: ${r.total} requests under load, statuses ${JSON.stringify([...r.statuses])}, errors ${r.errors.length}; /ready during drain ${JSON.stringify(readyStatusesDuringDrain)}`,
    );
    expect(balancerSawDrain).to.equal(true);
    expect(r.errors).to.deep.equal([]);
    expect([...r.statuses.keys()]).to.deep.equal([200]);
    expect(code).to.equal(0);
    expect(sc.output()).to.include('shutdown complete');
  });

  it('a SIGTERM right after start-up drains and exits 0 (handlers are in place as soon as it listens)', async () => {
    const sc = await spawnSidecar(sidecarEnv(db));
    sc.proc.kill('SIGTERM');
    expect(await sc.exited).to.equal(0);
    expect(sc.output()).to.include('shutdown complete');
  });

  describe('when MariaDB goes away', () => {
    let maria: MariaDbInstance;
    let sc: ChildSidecar;
    before(async () => {
      maria = await startMariaDb();
      await createWordPressDatabase({ host: '127.0.0.1', port: maria.port, user: 'root', password: '' }, 'wordpress', 'wp_');
      sc = await spawnSidecar({ ...sidecarEnv(db), DB_HOST: `127.0.0.1:${maria.port}`, DB_NAME: 'wordpress' });
    });
    after(async () => {
      await sc?.stop();
      await maria?.destroy();
    });

    it('/health answers 503 within 2 s, and 200 again once it is back, without a restart', async () => {
      expect((await call(`${sc.base}/health`)).status).to.equal(200);
      await maria.stop();
      const stoppedAt = Date.now();
      let status = 0;
      let body: any;
      while (Date.now() - stoppedAt < 5000) {
        const res = await call(`${sc.base}/health`);
        status = res.status;
        body = res.body;
        if (status === 503) break;
        await sleep(100);
      }
      const downMs = Date.now() - stoppedAt;
      console.log(`      /health turned 503 ${downMs} ms after MariaDB stopped`);
      expect(status).to.equal(503);
      expect(body.status).to.equal('unhealthy');
      expect(body.checks.database.healthy).to.equal(false);
      expect(downMs).to.be.below(2000);

      await maria.start();
      const startedAt = Date.now();
      while (Date.now() - startedAt < 15_000) {
        if ((await call(`${sc.base}/health`)).status === 200) break;
        await sleep(200);
      }
      const res = await call(`${sc.base}/health`);
      console.log(`      /health back to ${res.status} ${Date.now() - startedAt} ms after MariaDB started`);
      expect(res.status).to.equal(200);
      expect(sc.proc.exitCode).to.equal(null);
    });
  });
});
