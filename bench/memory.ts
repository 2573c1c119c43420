/**
 * `npm run bench:memory`: the memory scenario (#24). Builds the sidecar and starts it as production
 * runs it (`node --max-old-space-size=192 --no-allocation-site-pretenuring bin/slbp.js serve`, the build in dist/) on the bench database, drives every bench scenario's requests at
 * once from this process for BENCH_MEMORY_MINUTES (10) minutes — cached and uncached reads,
 * probes, signed webhooks for new orders — samples the sidecar's RSS every second, and prints
 * its mean and peak per minute. It passes when the last five minutes' means lie within 5 % of
 * each other and the peak stays under 220 MB. Then it leaves the node idle for
 * BENCH_MEMORY_IDLE_MINUTES (6: the in-process TTL of 5 minutes and a purge) and reports what
 * stays: RSS, heap and in-process cache entries (from /health/detailed). The result goes into
 * docs/performance.md.
 */
import autocannon from 'autocannon';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../src/config/load.ts';
import { SIDECAR_NODE_FLAGS } from '../src/config/node-flags.ts';
import { cleanRedisPrefix } from '../test/helpers/redis.ts';
import { requestSource, type LoadSide } from './load.ts';
import { scenarios, type BenchContext } from './scenarios.ts';

const DB = process.env.BENCH_DB ?? 'slbp_bench';
const MINUTES = Number(process.env.BENCH_MEMORY_MINUTES ?? 10);
/** Connections per scenario; all scenarios run at once. */
const CONNECTIONS = Number(process.env.BENCH_MEMORY_CONNECTIONS ?? 4);
const IDLE_MINUTES = Number(process.env.BENCH_MEMORY_IDLE_MINUTES ?? 6);
const SETTLED_MINUTES = 5;
const FLAT_WITHIN = 0.05;
const PEAK_LIMIT = 220 * 1024 * 1024;
const SECRET = 'bench-shim-secret-0123456789';
/** Lets this process read /health/detailed for the whole run (an admin's access token expires after 15 minutes). */
const HEALTH_TOKEN = 'bench-health-token-0123456789';
const REDIS_PREFIX = 'slbp-bench-memory:';
const SECTION = '## Memory under sustained mixed load';
const tsx = ['--import', 'tsx'];
const mb = (n: number) => (n / 1048576).toFixed(1);

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function startSidecar(env: Record<string, string>): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, [...SIDECAR_NODE_FLAGS, 'bin/slbp.js', 'serve'], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logFile = createWriteStream(path.join(projectRoot, 'var/bench/memory-sidecar.log'));
  proc.stdout!.pipe(logFile);
  proc.stderr!.pipe(logFile);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sidecar did not start:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = /"url":"(http:\/\/[^"]+?)\/wp-json/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1]! });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`sidecar exited ${code}:\n${out}`)));
  });
}

/** The node's heap and in-process cache as /health/detailed reports them. */
async function inside(url: string, token: string): Promise<{ heap: number; entries: number; cacheBytes: number } | null> {
  try {
    const res = await fetch(`${url}/wp-json/skylearn-billing-pro/v1/health/detailed`, { headers: { Authorization: `Bearer ${token}` } });
    const body = (await res.json()) as {
      system_info: { heap_used: number };
      service_checks: { cache_layers?: { l1: { entries: number; bytes: number } } };
    };
    const l1 = body.service_checks.cache_layers?.l1;
    return { heap: body.system_info.heap_used, entries: l1?.entries ?? -1, cacheBytes: l1?.bytes ?? -1 };
  } catch {
    return null;
  }
}

const describe = (x: { heap: number; entries: number; cacheBytes: number } | null) =>
  x ? `heap ${mb(x.heap)} MB, L1 ${x.entries} entries (${mb(x.cacheBytes)} MB counted)` : 'heap and L1 unavailable';

/** One scenario's requests for the whole run; resolves with its status counts and errors. */
async function stream(side: LoadSide, seconds: number): Promise<{ statuses: Record<string, number>; errors: number; requests: number }> {
  const source = requestSource(side, 0);
  const statuses: Record<string, number> = {};
  const r = (await (autocannon({
    url: side.url,
    connections: CONNECTIONS,
    duration: seconds,
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
  } as never) as unknown as PromiseLike<{ errors: number; timeouts: number; requests: { total: number } }>)) as {
    errors: number;
    timeouts: number;
    requests: { total: number };
  };
  return { statuses, errors: r.errors + r.timeouts, requests: r.requests.total };
}

async function main(): Promise<void> {
  const dataDir = path.join(projectRoot, 'var/bench');
  mkdirSync(dataDir, { recursive: true });
  log(`preparing database ${DB} (bench size; reused when present)`);
  execFileSync(process.execPath, [...tsx, 'src/cli/main.ts', 'demo', '--no-serve', '--db', DB, '--size', 'bench'], {
    cwd: projectRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  execFileSync(process.execPath, [...tsx, 'src/cli/main.ts', 'migrate', 'up'], {
    cwd: projectRoot,
    env: { ...process.env, SLBP_ENV: 'production', DB_NAME: DB, SLBP_REDIS_ENABLED: 'false' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  log('building dist/ (the production build bin/slbp.js runs)');
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { cwd: projectRoot, stdio: 'inherit' });
  await cleanRedisPrefix(REDIS_PREFIX);
  const sidecar = await startSidecar({
    SLBP_ENV: 'production',
    SLBP_PORT: '0',
    DB_NAME: DB,
    DB_HOST: '127.0.0.1',
    DB_USER: 'root',
    DB_PASSWORD: '',
    SLBP_REDIS_PREFIX: REDIS_PREFIX,
    SLBP_SIDECAR_SECRET: SECRET,
    SLBP_HEALTH_TOKEN: HEALTH_TOKEN,
    SLBP_JOBS_ENABLED: 'false',
    SLBP_DATA_DIR: dataDir,
    SLBP_LOG_LEVEL: 'info',
    SLBP_RATE_LIMIT_ENABLED: 'false',
  });
  const pid = sidecar.proc.pid!;
  log(`sidecar (production build, ${SIDECAR_NODE_FLAGS.join(' ')}) at ${sidecar.url}, pid ${pid}; RSS at start ${mb(rssOf(pid))} MB`);
  const ctx: BenchContext = { sidecarUrl: sidecar.url, secret: SECRET, db: DB, cachedPayloads: {}, tokens: {} };
  try {
    for (const s of scenarios) await s.prepare?.(ctx);
    const startRss = rssOf(pid);
    const seconds = MINUTES * 60;
    log(`mixed load: ${scenarios.length} scenarios at once, ${CONNECTIONS} connections each, ${MINUTES} min`);
    const samples: number[][] = Array.from({ length: MINUTES }, () => []);
    const t0 = Date.now();
    const sampler = setInterval(() => {
      const minute = Math.floor((Date.now() - t0) / 60_000);
      if (minute < MINUTES) samples[minute]!.push(rssOf(pid));
    }, 1000);
    let reported = 0;
    const insides: string[] = [];
    const progress = setInterval(() => {
      const minute = Math.floor((Date.now() - t0) / 60_000);
      while (reported < Math.min(minute, MINUTES)) {
        const xs = samples[reported]!;
        const k = reported;
        log(`  minute ${k + 1}: RSS mean ${mb(xs.reduce((a, b) => a + b, 0) / xs.length)} MB, max ${mb(Math.max(...xs))} MB`);
        void inside(sidecar.url, HEALTH_TOKEN).then((x) => {
          insides[k] = describe(x);
          log(`  minute ${k + 1}: ${describe(x)}`);
        });
        reported++;
      }
    }, 5000);
    const results = await Promise.all(
      scenarios.map((s) => stream({ label: s.name, url: sidecar.url, pid, ...s.sidecar(ctx) }, seconds)),
    ).finally(() => {
      clearInterval(sampler);
      clearInterval(progress);
    });
    // Idle: nothing reads the cache; its entries reach their TTL and the purge removes them.
    const idle: string[] = [];
    for (let m = 1; m <= IDLE_MINUTES; m++) {
      await new Promise((r) => setTimeout(r, 60_000));
      const line = `${m}: RSS ${mb(rssOf(pid))} MB, ${describe(await inside(sidecar.url, HEALTH_TOKEN))}`;
      log(`  idle minute ${line}`);
      idle.push(line);
    }
    const means = samples.map((xs) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length));
    const peaks = samples.map((xs) => Math.max(0, ...xs));
    const last = means.slice(-SETTLED_MINUTES);
    const spread = (Math.max(...last) - Math.min(...last)) / Math.min(...last);
    const peak = Math.max(...peaks);
    const flat = spread <= FLAT_WITHIN;
    const under = peak < PEAK_LIMIT;
    const lines = [
      SECTION,
      '',
      `Generated by \`npm run bench:memory\` (bench/memory.ts) on ${new Date().toISOString().slice(0, 10)}, on the machine above: the production build as \`npm start\` runs it (\`node ${SIDECAR_NODE_FLAGS.join(' ')} bin/slbp.js serve\`, default cache settings) on the bench database, every scenario above at once (${CONNECTIONS} connections each, ${scenarios.length * CONNECTIONS} in all) for ${MINUTES} minutes; RSS sampled every second, in MB of 2^20 bytes as above. Pass: the last ${SETTLED_MINUTES} minutes' means within ${FLAT_WITHIN * 100} % of each other, peak under ${mb(PEAK_LIMIT)} MB.`,
      '',
      `- RSS after start-up and log-ins: ${mb(startRss)} MB`,
      `- RSS per minute (mean / peak, MB): ${means.map((m, i) => `${i + 1}: ${mb(m)} / ${mb(peaks[i]!)}`).join('; ')}`,
      `- heap and in-process cache at the end of each minute: ${insides.map((x, i) => `${i + 1}: ${x ?? 'n/a'}`).join('; ')}`,
      `- last ${SETTLED_MINUTES} minutes: spread ${(spread * 100).toFixed(1)} % (${flat ? 'pass' : 'FAIL'}); peak ${mb(peak)} MB (${under ? 'pass' : 'FAIL'})`,
      `- requests: ${results.reduce((n, r) => n + r.requests, 0)}; transport errors ${results.reduce((n, r) => n + r.errors, 0)}; statuses per scenario: ${scenarios
        .map((s, k) => `${s.name} ${JSON.stringify(results[k]!.statuses)}`)
        .join('; ')}`,
      ...(IDLE_MINUTES ? [`- then idle, after each minute: ${idle.join('; ')}`] : []),
      `- machine: ${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}, Node ${process.version}`,
      '',
    ];
    process.stdout.write(`\n${lines.join('\n')}`);
    if (MINUTES >= 10) {
      const file = path.join(projectRoot, 'docs/performance.md');
      const md = readFileSync(file, 'utf8');
      const at = md.indexOf(SECTION);
      writeFileSync(file, `${(at >= 0 ? md.slice(0, at) : `${md.trimEnd()}\n\n`) + lines.join('\n')}`);
      log('wrote the memory section of docs/performance.md');
    } else log(`shorter than 10 minutes (BENCH_MEMORY_MINUTES=${MINUTES}): docs/performance.md left as it was`);
    process.exitCode = flat && under ? 0 : 1;
  } finally {
    sidecar.proc.kill('SIGTERM');
    await cleanRedisPrefix(REDIS_PREFIX);
  }
}

main().catch((err) => {
  process.stderr.write(`bench: failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
