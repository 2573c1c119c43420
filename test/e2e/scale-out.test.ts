import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { UPSTREAM_DEFAULTS } from '../../scripts/lib/nginx-config.ts';
import {
  NS,
  poolPlan,
  readPoolState,
  restartNode,
  startPool,
  stopPool,
  UPSTREAM_MAX_FAILS,
  type PoolState,
} from '../../scripts/lib/pool.ts';
import { rollingUpdate } from '../../scripts/lib/rolling-update.ts';
import { ADMIN_ID, signedHeaders, TEST_SHIM_SECRET } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/http.ts';
import { cleanRedisPrefix, testRedisPrefix } from '../helpers/redis.ts';
import { sidecarEnv } from '../helpers/sidecar.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CLIENTS = 50;

interface LoadResult {
  total: number;
  ok: number;
  failed: number;
  statuses: Map<number, number>;
  errors: string[];
  instancesAfter: (t: number) => Set<string>;
}

/** CLIENTS concurrent loops of GET /health and /live through nginx until stop() is called. */
function load(base: string) {
  let stopping = false;
  const seen: { at: number; instance: string }[] = [];
  const statuses = new Map<number, number>();
  const errors: string[] = [];
  let total = 0;
  const done = Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      while (!stopping) {
        total++;
        try {
          const res = await fetch(`${base}/${i % 2 ? 'health' : 'live'}`);
          const body = (await res.json().catch(() => null)) as { instance_id?: string } | null;
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status === 200 && body?.instance_id) seen.push({ at: Date.now(), instance: body.instance_id });
        } catch (err) {
          errors.push(String((err as Error & { cause?: Error }).cause?.message ?? err));
        }
      }
    }),
  );
  return async (): Promise<LoadResult> => {
    stopping = true;
    await done;
    const ok = statuses.get(200) ?? 0;
    return {
      total,
      ok,
      failed: total - ok,
      statuses,
      errors,
      instancesAfter: (t) => new Set(seen.filter((s) => s.at > t).map((s) => s.instance)),
    };
  };
}

const describeLoad = (r: LoadResult) =>
  `${r.total} requests, ${r.failed} failed (statuses ${JSON.stringify([...r.statuses])}, ${r.errors.length} transport errors${r.errors.length ? `: ${r.errors.slice(0, 3).join('; ')}` : ''})`;

describe('a pool of 3 sidecars behind nginx', function () {
  this.timeout(300_000);
  let db: TestDb;
  let pool: PoolState;
  let dir: string;
  const redisPrefix = testRedisPrefix();
  let pub: string;
  let internal: string;

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    // The demo data allowlists 127.0.0.1 for /health/detailed; nginx is 127.0.0.1 here, so
    // allowlist an outside address instead to see whose address the sidecar believes.
    await db.pool.query(
      `UPDATE ${db.prefix}options SET option_value = 'a:1:{i:0;s:8:"10.9.9.9";}' WHERE option_name = 'slbp_health_check_ips'`,
    );
    dir = path.join(os.tmpdir(), `slbp-test-pool-${process.pid}-${randomBytes(3).toString('hex')}`);
    pool = await startPool({
      dir,
      nodes: 3,
      env: sidecarEnv(
        db,
        { SLBP_DRAIN_DELAY_MS: '1000', SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET, SLBP_LOG_FORMAT: 'json', SLBP_LOG_LEVEL: 'warn' },
        redisPrefix,
      ),
    });
    pub = `http://127.0.0.1:${pool.listenPort}${NS}`;
    internal = `http://127.0.0.1:${pool.internalPort}${NS}`;
  });
  after(async () => {
    if (dir) await stopPool(dir);
    if (dir) await rm(dir, { recursive: true, force: true });
    await cleanRedisPrefix(redisPrefix);
    await db?.drop();
  });

  it('spreads the namespace over the nodes, sends the rest to PHP, and rate-limits the API', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 9; i++) ids.add((await call(`${pub}/live`)).body.instance_id);
    expect(ids.size).to.equal(3);
    // Not a sidecar path: nginx hands it to PHP-FPM, which is not running in this test.
    expect((await fetch(`http://127.0.0.1:${pool.listenPort}/wp-login.php`)).status).to.equal(502);

    // n requests at once; returns how many passed and the most the zone may let through
    // (burst + 1 at once, plus one per 1/rate seconds while the requests were arriving).
    const burst = async (url: string, n: number, rate: number, size: number) => {
      const t0 = performance.now();
      const statuses = await Promise.all(
        Array.from({ length: n }, () =>
          fetch(url).then(async (r) => {
            await r.arrayBuffer();
            return r.status;
          }),
        ),
      );
      const secs = (performance.now() - t0) / 1000;
      return {
        limited: statuses.filter((s) => s === 429).length,
        passed: statuses.filter((s) => s !== 429).length,
        atLeast: size + 1,
        atMost: size + 1 + Math.ceil(secs * rate),
      };
    };
    const api = await burst(pub, 60, 10, 20);
    const auth = await burst(`${pub}/auth/login`, 12, 1, 5);
    const probes = await burst(`${pub}/health`, 60, 10, 20);
    console.log(
      `      rate limits: api ${api.passed} passed / ${api.limited} limited of 60; auth ${auth.passed} / ${auth.limited} of 12; /health ${probes.passed} / ${probes.limited} of 60`,
    );
    expect(api.limited).to.be.greaterThan(0);
    expect(api.passed).to.be.at.least(api.atLeast).and.at.most(api.atMost);
    expect(auth.limited).to.be.greaterThan(0);
    expect(auth.passed).to.be.at.least(auth.atLeast).and.at.most(auth.atMost);
    expect(probes.limited).to.equal(0);
  });

  it('drops forged X-SLBP-* identity and X-Forwarded-For on the public side; the internal side passes the shim through', async () => {
    const p = `${NS}/health/detailed`;
    const forgedXff = await call(`${pub}/health/detailed`, { headers: { 'X-Forwarded-For': '10.9.9.9' } });
    expect(forgedXff.status).to.equal(401);
    const viaPublic = await call(`${pub}/health/detailed`, { headers: signedHeaders({ method: 'GET', path: p, userId: ADMIN_ID }) });
    const viaInternal = await call(`${internal}/health/detailed`, { headers: signedHeaders({ method: 'GET', path: p, userId: ADMIN_ID }) });
    console.log(
      `      allowlisted X-Forwarded-For from outside: ${forgedXff.status}; signed admin request: public ${viaPublic.status}, internal ${viaInternal.status}`,
    );
    expect(viaPublic.status).to.equal(401);
    expect(viaPublic.body.code).to.equal('rest_forbidden');
    expect(viaInternal.status).to.equal(200);
    expect(viaInternal.body.status).to.equal('healthy');
  });

  it(`rolls all 3 nodes to new processes under ${CLIENTS} concurrent clients with zero failed requests`, async () => {
    const before = (await readPoolState(dir)).nodes.map((n) => n.pid);
    const stop = load(pub);
    await sleep(1000);
    const lines: string[] = [];
    const result = await rollingUpdate(poolPlan(pool), (l) => lines.push(l));
    const finishedAt = Date.now();
    // nginx counted the drained node's 503s as failures and rests it for fail_timeout: wait that out.
    await sleep(UPSTREAM_DEFAULTS.failTimeoutSec * 1000 + 1500);
    const r = await stop();
    const after = (await readPoolState(dir)).nodes.map((n) => n.pid);
    console.log(`      rolling update: ${result.nodes.map((n) => `node ${n.name} ${n.ok ? 'ok' : 'FAILED'} in ${n.ms} ms`).join(', ')}`);
    console.log(`      under load: ${describeLoad(r)}`);
    expect(result.ok, lines.join('\n')).to.equal(true);
    expect(after.every((pid, i) => pid !== before[i])).to.equal(true);
    expect(r.failed).to.equal(0);
    expect(r.errors).to.deep.equal([]);
    expect(r.ok).to.be.greaterThan(CLIENTS);
    expect(r.instancesAfter(finishedAt).size).to.equal(3);
  });

  it(`keeps serving when a node is SIGKILLed, within max_fails=${UPSTREAM_MAX_FAILS} failed requests`, async () => {
    const state = await readPoolState(dir);
    const victim = state.nodes[1]!;
    const stop = load(pub);
    await sleep(1500);
    process.kill(victim.pid, 'SIGKILL');
    const killedAt = Date.now();
    await sleep(4000);
    const r = await stop();
    const survivors = r.instancesAfter(killedAt + 500);
    console.log(`      SIGKILL of node ${victim.name}: ${describeLoad(r)}; ${survivors.size} node(s) answering after the kill`);
    expect(r.failed).to.be.at.most(UPSTREAM_MAX_FAILS);
    expect(survivors.size).to.equal(2);
    expect([...survivors].some((id) => id.includes(`-${victim.pid}-`))).to.equal(false);
    await restartNode(dir, victim.name);
  });

  it('stops the rolling update at the first node that fails its checks', async () => {
    const state = await readPoolState(dir);
    const plan = poolPlan(state);
    // Node 1's "new code" never comes up: its restart only stops it.
    plan.nodes[0]!.restart = `kill -TERM ${state.nodes[0]!.pid}`;
    plan.readyTimeoutMs = 3000;
    const result = await rollingUpdate(plan);
    const after = await readPoolState(dir);
    console.log(`      failing update: ${result.nodes.map((n) => `node ${n.name} ${n.ok ? 'ok' : `failed (${n.error})`}`).join(', ')}`);
    expect(result.ok).to.equal(false);
    expect(result.nodes.map((n) => [n.name, n.ok])).to.deep.equal([['1', false]]);
    expect(after.nodes.slice(1).map((n) => n.pid)).to.deep.equal(state.nodes.slice(1).map((n) => n.pid));
    const res = await call(`${pub}/live`);
    expect(res.status).to.equal(200);
  });
});
