/**
 * Load generator, run in its own process so it never shares an event loop with the servers it
 * measures. Reads one scenario's plan from the JSON file named by argv[2]: a warm-up run on each
 * side, then rounds in which the sides (sidecar, then its baseline) take turns, back to back in
 * this one process, so the two runs a ratio compares are seconds apart. Reports progress on
 * stderr and one JSON line (`LoadReport`) on stdout.
 */
import autocannon from 'autocannon';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { shimSignature, shimStringToSign } from '../src/http/identity/shim-signature.ts';

/** One server under load and the requests it gets. */
export interface LoadSide {
  /** Named in progress lines (`sidecar`, `baseline (bare)`). */
  label: string;
  url: string;
  method?: string;
  headers?: Record<string, string>;
  /** Paths to rotate through (each request takes the next). */
  paths: string[];
  /** Sign each request as the WordPress shim would, for this user. */
  shim?: { secret: string; userId: number };
  /** Lemon Squeezy deliveries: bodies signed with this secret, rotated. */
  webhook?: { secret: string; bodies: string[] };
  /** The server's process, whose CPU time per request is reported (Linux /proc). */
  pid?: number;
}

export interface LoadPlan {
  scenario: string;
  sides: LoadSide[];
  connections: number;
  rounds: number;
  durationSec: number;
  /** An unmeasured run per side before the rounds (0: none). */
  warmupSec: number;
}

export interface LoadResult {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  statuses: Record<string, number>;
  /** The server's CPU time (user + system, all threads) per request in µs, when its pid is known. */
  cpuUs?: number;
  /** The kernel's part of cpuUs (stime): socket writes and, on loopback, the peer's receive path. */
  sysUs?: number;
}

/** Per side: each round's result, and the p99 over every measured request of every round. */
export interface LoadReport {
  sides: { runs: LoadResult[]; p99: number }[];
}

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

const TICK_US = 1_000_000 / 100; // USER_HZ: 100 on Linux
const perRequest = (us: number, requests: number) => Math.round((us / requests) * 10) / 10;

/** CPU time a process has used so far, in µs (utime and stime from /proc/<pid>/stat), or null. */
function cpuTimeUs(pid: number): { user: number; sys: number } | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return { user: Number(fields[11]) * TICK_US, sys: Number(fields[12]) * TICK_US };
  } catch {
    return null;
  }
}

/**
 * Each side's requests are cut into rounds + 1 shares, one per round and the last for the
 * warm-up, so no run repeats another's requests (a cache it filled, a delivery it sent).
 */
export function requestSource(side: LoadSide, rounds: number) {
  const listLength = Math.max(side.paths.length, side.webhook?.bodies.length ?? 0);
  const share = Math.floor(listLength / (rounds + 1));
  let i = 0;
  return {
    startShare(k: number) {
      i = k * share;
    },
    setupRequest(req: any) {
      const n = i++;
      const path = side.paths[n % side.paths.length]!;
      req.path = path;
      if (side.shim) {
        const ts = String(Math.floor(Date.now() / 1000));
        const nonce = randomBytes(12).toString('hex');
        const sig = shimSignature(side.shim.secret, shimStringToSign(req.method ?? 'GET', path, '', ts, nonce, String(side.shim.userId)));
        req.headers = {
          ...req.headers,
          'X-SLBP-User': String(side.shim.userId),
          'X-SLBP-Timestamp': ts,
          'X-SLBP-Nonce': nonce,
          'X-SLBP-Signature': sig,
        };
      }
      if (side.webhook) {
        const body = side.webhook.bodies[n % side.webhook.bodies.length]!;
        req.method = 'POST';
        req.body = body;
        req.headers = {
          ...req.headers,
          'Content-Type': 'application/json',
          'X-Signature': createHmac('sha256', side.webhook.secret).update(body).digest('hex'),
        };
      }
      return req;
    },
  };
}

/** One autocannon run; `latencies` (when given) receives every response time in ms. */
async function runOnce(
  side: LoadSide,
  source: ReturnType<typeof requestSource>,
  plan: LoadPlan,
  durationSec: number,
  latencies?: number[],
): Promise<LoadResult> {
  const statuses: Record<string, number> = {};
  const instance = autocannon({
    url: side.url,
    connections: plan.connections,
    duration: durationSec,
    method: (side.method ?? 'GET') as 'GET',
    headers: side.headers ?? {},
    timeout: 10,
    requests: [
      {
        setupRequest: (req: any) => source.setupRequest(req),
        onResponse: (status: number) => {
          statuses[status] = (statuses[status] ?? 0) + 1;
        },
      },
    ],
  } as any) as unknown as NodeJS.EventEmitter & PromiseLike<unknown>;
  if (latencies)
    instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
      latencies.push(ms);
    });
  const cpuBefore = side.pid ? cpuTimeUs(side.pid) : null;
  const r = (await instance) as any;
  const cpuAfter = side.pid ? cpuTimeUs(side.pid) : null;
  return {
    ...(cpuBefore !== null && cpuAfter !== null && r.requests.total > 0
      ? {
          cpuUs: perRequest(cpuAfter.user + cpuAfter.sys - cpuBefore.user - cpuBefore.sys, r.requests.total),
          sysUs: perRequest(cpuAfter.sys - cpuBefore.sys, r.requests.total),
        }
      : {}),
    requests: r.requests.total,
    rps: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    statuses,
  };
}

/** The value below which `q` of the sorted samples fall (nearest rank). */
export function percentile(sorted: Float64Array, q: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

async function main(): Promise<void> {
  const plan = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadPlan;
  const sources = plan.sides.map((side) => requestSource(side, plan.rounds));
  if (plan.warmupSec > 0) {
    log(`scenario ${plan.scenario}: warm-up (${plan.warmupSec} s each, not counted)`);
    for (const [k, side] of plan.sides.entries()) {
      sources[k]!.startShare(plan.rounds);
      await runOnce(side, sources[k]!, plan, plan.warmupSec);
    }
  }
  const report: LoadReport = { sides: plan.sides.map(() => ({ runs: [], p99: 0 })) };
  const latencies = plan.sides.map((): number[] => []);
  for (let round = 0; round < plan.rounds; round++) {
    for (const [k, side] of plan.sides.entries()) {
      log(`scenario ${plan.scenario}: ${side.label} (round ${round + 1} of ${plan.rounds})`);
      sources[k]!.startShare(round);
      report.sides[k]!.runs.push(await runOnce(side, sources[k]!, plan, plan.durationSec, latencies[k]));
    }
  }
  for (const [k, all] of latencies.entries()) report.sides[k]!.p99 = Math.round(percentile(Float64Array.from(all).sort(), 0.99) * 10) / 10;
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

// Run as the load process (not when a test imports `percentile`).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    process.stderr.write(`bench: load failed: ${(err as Error).stack}\n`);
    process.exit(1);
  });
}
