import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { SIDECAR_NODE_FLAGS } from '../../src/config/node-flags.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/http.ts';
import { cleanRedisPrefix, testRedisPrefix } from '../helpers/redis.ts';
import { sidecarEnv, spawnSidecar, type ChildSidecar } from '../helpers/sidecar.ts';

const REQUESTS = 11_000;
const WARM_UP = 1_000;
const QUERY_BYTES = 15_000;
const MB = 1024 * 1024;

/** Resident set size of a process, from /proc (what the kernel charges the node for). */
async function rss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** Every GET route the namespace index lists, with `1` for each path parameter. */
async function getRoutes(base: string): Promise<string[]> {
  const index = (await call(base)).body as { routes: Record<string, { methods: string[] }> };
  const paths = Object.entries(index.routes)
    .filter(([, r]) => r.methods.includes('GET'))
    .map(([p]) => p.replace(/\(\?P<\w+>[^)]*\)/g, '1'));
  return paths.map((p) => `${new URL(base).origin}/wp-json${p}`);
}

/**
 * The audit's crash: anonymous GETs with ~15 kB query strings, each one new, spread over every GET
 * route, against a node started with the production Node flags (a 192 MB old generation). Each
 * route used to remember the last 512 query strings before checking access; 11,000 such requests
 * grew the node from 144 to 267 MB and ended in "JavaScript heap out of memory".
 */
describe('an anonymous flood of long query strings under the production heap', function () {
  this.timeout(600_000);
  let db: TestDb;
  let node: ChildSidecar;
  const prefix = testRedisPrefix();

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    node = await spawnSidecar(sidecarEnv(db, {}, prefix), [], { waitForRedis: true });
  });
  after(async () => {
    await node?.stop();
    await cleanRedisPrefix(prefix);
    await db?.drop();
  });

  it('runs with the production flags, stays up and keeps a flat RSS', async () => {
    expect(SIDECAR_NODE_FLAGS).to.include('--max-old-space-size=192');
    const pid = node.proc.pid!;
    expect((await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0')).to.include.members([...SIDECAR_NODE_FLAGS]);
    const routes = await getRoutes(node.base);
    expect(routes.length).to.be.greaterThan(20);
    const statuses = new Map<number, number>();
    const samples: number[] = [];
    let sent = 0;
    let baseline = 0;
    // A new query string every time, ~15 kB of it, as unknown parameters and a `_fields` list
    // (both pass validation: unknown parameters are ignored, as WordPress does).
    const query = () => {
      const pad = randomBytes(QUERY_BYTES / 4).toString('hex');
      return `_fields=${pad.slice(0, QUERY_BYTES / 4)}&pad=${pad.slice(QUERY_BYTES / 4)}&n=${randomBytes(8).toString('hex')}`;
    };
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        while (sent < REQUESTS && node.proc.exitCode === null) {
          const i = sent++;
          const res = await fetch(`${routes[i % routes.length]}?${query()}`).catch(() => null);
          const status = res ? res.status : 0;
          await res?.arrayBuffer();
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          if (i === WARM_UP) baseline = await rss(pid);
          if (i > WARM_UP && i % 500 === 0) samples.push(await rss(pid).catch(() => 0));
        }
      }),
    );
    expect(node.proc.exitCode, node.output().slice(-2000)).to.equal(null);
    expect(node.output()).to.not.include('heap out of memory');
    const live = await call(`${node.base}/live`);
    expect(live.status).to.equal(200);
    const end = await rss(pid);
    const peak = Math.max(end, ...samples);
    // Every request was answered (2xx/4xx; no transport error, no 5xx).
    expect(statuses.get(0) ?? 0, JSON.stringify([...statuses])).to.equal(0);
    expect(
      [...statuses.keys()].every((s) => s < 500),
      JSON.stringify([...statuses]),
    ).to.equal(true);
    // Flat: after the warm-up the node grows by no more than a few tens of MB, far below the old 120 MB.
    expect((peak - baseline) / MB, `baseline ${(baseline / MB).toFixed(0)} MB, peak ${(peak / MB).toFixed(0)} MB`).to.be.below(40);
    expect(peak / MB).to.be.below(250);
  });
});
