/**
 * `npm run bench`: prepares the bench-size database, starts the sidecar in production mode and
 * the baselines, drives each scenario from a separate load process, and prints requests/s,
 * p50, p99, errors, peak RSS and the ratio to the baseline measured in the same run. Results
 * and the machine go into docs/performance.md.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../src/config/load.ts';
import { cleanRedisPrefix } from '../test/helpers/redis.ts';
import { SIDECAR_NODE_FLAGS } from '../src/config/node-flags.ts';
import type { LoadPlan, LoadReport, LoadResult, LoadSide } from './load.ts';
import { scenarios, type BenchContext, type Scenario } from './scenarios.ts';

const DB = process.env.BENCH_DB ?? 'slbp_bench';
const DURATION = Number(process.env.BENCH_DURATION ?? 2);
/**
 * Each scenario alternates sidecar and baseline runs this many times and reports medians: on two
 * cores shared with the load generator and with the virtual machine's neighbours, one run's
 * throughput moves by a third within seconds, for the baseline as much as for the sidecar. Many
 * short rounds driven by one load process keep the two runs of a ratio seconds apart (5 rounds
 * of 4 s, each run its own process, gave round ratios from 0.46 to 0.79 in one scenario).
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const CONNECTIONS = 64;
/** An unmeasured run before each scenario's rounds, for each side: the first seconds of a new code path are JIT warm-up. */
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
/**
 * BENCH_PIN=1 runs the server under test (sidecar or baseline) on CPU 0 and the load generator on
 * CPU 1 (taskset). Off by default: the comparison is of servers on the same two cores, and pinned,
 * the sidecar's GC and libuv threads share its one core with the main thread while the bare
 * baseline has little of either (pinned runs put the sidecar lower).
 */
const PIN = process.env.BENCH_PIN === '1' && os.cpus().length >= 2 && hasTaskset();
/**
 * BENCH_CPU_PROF=1 starts the sidecar with --cpu-prof: V8 writes its profile into var/bench/profiles
 * when the sidecar exits at the end of the run (open it in Chrome's DevTools, or any .cpuprofile viewer).
 * This process's log lines (each scenario's result among them) start with the monotonic clock in
 * µs, the clock the profile's timestamps are on, so a scenario's window can be cut out of the profile.
 */
const CPU_PROF = process.env.BENCH_CPU_PROF === '1' ? ['--cpu-prof', `--cpu-prof-dir=${path.join(projectRoot, 'var/bench/profiles')}`] : [];
/** BENCH_NODE_FLAGS: more Node flags for the sidecar, e.g. `--trace-gc` (its output goes to var/bench/main.log). */
const EXTRA_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
const SERVER_CPU = '0';
const LOAD_CPU = '1';
/** BENCH_ONLY=<regex> runs the matching scenarios only (docs/performance.md is then left alone). */
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;
const selected = ONLY ? scenarios.filter((s) => ONLY.test(s.name)) : scenarios;
const SECRET = 'bench-shim-secret-0123456789';
const REDIS_PREFIX = 'slbp-bench:';
const tsx = ['--import', 'tsx'];

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The command line for a Node process, pinned to `cpu` when pinning is on. */
function pinned(cpu: string, nodeArgs: string[]): [string, string[]] {
  return PIN ? ['taskset', ['-c', cpu, process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
}

function log(msg: string): void {
  process.stderr.write(`bench: [${process.hrtime.bigint() / 1000n}] ${msg}\n`);
}

function startChild(args: string[], env: Record<string, string>, ready: RegExp): Promise<{ proc: ChildProcess; match: RegExpExecArray }> {
  // taskset execs node in its own place, so proc.pid is the server's pid (for its RSS).
  const [cmd, cmdArgs] = pinned(SERVER_CPU, [
    ...(args[0] === 'src/main.ts' ? [...SIDECAR_NODE_FLAGS, ...EXTRA_FLAGS, ...CPU_PROF] : []),
    ...tsx,
    ...args,
  ]);
  const proc = spawn(cmd, cmdArgs, { cwd: projectRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  // Everything the process says goes to var/bench/<name>.log, for when a run goes wrong.
  const logFile = createWriteStream(path.join(projectRoot, 'var/bench', `${path.basename(args[0]!, '.ts')}.log`));
  proc.stdout!.pipe(logFile);
  proc.stderr!.pipe(logFile);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`did not start: ${args.join(' ')}\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, match: m });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`exited ${code}: ${args.join(' ')}\n${out}`)));
  });
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Runs one scenario's load process (warm-up, then the rounds, sides taking turns) and samples
 * each server's RSS every 100 ms while it runs; the load process reports its progress on stderr.
 */
async function drive(plan: LoadPlan): Promise<{ report: LoadReport; peakRss: number[] }> {
  const pids = plan.sides.map((side) => side.pid!);
  const peak = pids.map(rssOf);
  const timer = setInterval(
    () =>
      pids.forEach((pid, k) => {
        peak[k] = Math.max(peak[k]!, rssOf(pid));
      }),
    100,
  );
  try {
    // A scenario's path list can be far larger than the argument limit: hand it over in a file.
    const specFile = path.join(projectRoot, 'var/bench/load-plan.json');
    writeFileSync(specFile, JSON.stringify(plan));
    const [cmd, args] = pinned(LOAD_CPU, [...tsx, path.join(projectRoot, 'bench/load.ts'), specFile]);
    const proc = spawn(cmd, args, { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d;
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      proc.on('error', reject);
      proc.on('exit', resolve);
    });
    if (code !== 0) throw new Error(`load process for ${plan.scenario} exited ${code}`);
    return { report: JSON.parse(out.trim().split('\n').pop()!) as LoadReport, peakRss: peak };
  } finally {
    clearInterval(timer);
  }
}

const mb = (n: number) => `${(n / 1048576).toFixed(0)} MB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

/** Rounds of one side: median req/s and p50, all errors and statuses; p99 is over every request of the rounds. */
function summarise(runs: LoadResult[], p99: number): LoadResult {
  const statuses: Record<string, number> = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  return {
    requests: runs.reduce((n, r) => n + r.requests, 0),
    rps: Math.round(median(runs.map((r) => r.rps))),
    p50: median(runs.map((r) => r.p50)),
    p99,
    errors: runs.reduce((n, r) => n + r.errors, 0),
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    statuses,
    ...(runs.every((r) => r.cpuUs !== undefined) && runs.length ? { cpuUs: median(runs.map((r) => r.cpuUs!)) } : {}),
  };
}

async function main(): Promise<void> {
  mkdirSync(path.join(projectRoot, 'var/bench'), { recursive: true });
  log(`preparing database ${DB} (bench size: 1,000,000 transactions, 100,000 subscriptions; reused when present)`);
  execFileSync(process.execPath, [...tsx, 'src/cli/main.ts', 'demo', '--no-serve', '--db', DB, '--size', 'bench'], {
    cwd: projectRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  log("applying the sidecar's index migration (idempotent)");
  execFileSync(process.execPath, [...tsx, 'src/cli/main.ts', 'migrate', 'up'], {
    cwd: projectRoot,
    env: { ...process.env, SLBP_ENV: 'production', DB_NAME: DB, SLBP_REDIS_ENABLED: 'false' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const dataDir = path.join(projectRoot, 'var/bench');
  mkdirSync(dataDir, { recursive: true });

  const sidecarEnv = {
    SLBP_ENV: 'production',
    SLBP_PORT: '0',
    DB_NAME: DB,
    DB_HOST: '127.0.0.1',
    DB_USER: 'root',
    DB_PASSWORD: '',
    SLBP_REDIS_PREFIX: REDIS_PREFIX,
    SLBP_SIDECAR_SECRET: SECRET,
    SLBP_JOBS_ENABLED: 'false',
    SLBP_DATA_DIR: dataDir,
    SLBP_LOG_LEVEL: 'info',
    // nginx enforces the public rate limits in front of the pool; here they would cap the run at 10 r/s by design.
    SLBP_RATE_LIMIT_ENABLED: 'false',
  };
  // Start cold: nothing cached by an earlier run (only this run's own prefix is touched).
  await cleanRedisPrefix(REDIS_PREFIX);
  const sidecar = await startChild(['src/main.ts'], sidecarEnv, /"url":"(http:\/\/[^"]+?)\/wp-json/);
  const sidecarUrl = sidecar.match[1]!;
  log(`sidecar (production mode) at ${sidecarUrl}, pid ${sidecar.proc.pid}`);

  const ctx: BenchContext = { sidecarUrl, secret: SECRET, db: DB, cachedPayloads: {}, tokens: {} };
  // Every scenario prepares (logins, warm-up, payloads for the bare baseline), even when only some run: they share tokens.
  for (const s of scenarios) await s.prepare?.(ctx);
  const baselineCfg = {
    db: { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: DB },
    redisPrefix: REDIS_PREFIX,
    dataDir: path.join(dataDir, 'tmp'),
    cachedPayloads: ctx.cachedPayloads,
  };
  const baseline = await startChild(['bench/baselines.ts', JSON.stringify(baselineCfg)], {}, /\{"port":(\d+)\}/);
  const baselineUrl = `http://127.0.0.1:${baseline.match[1]}`;
  log(`baselines at ${baselineUrl}, pid ${baseline.proc.pid}`);

  const rows: string[][] = [];
  const rounds: string[] = [];
  const extra: string[] = [];
  try {
    for (const s of selected) {
      const sides: LoadSide[] = [
        { label: 'sidecar', url: sidecarUrl, pid: sidecar.proc.pid!, ...s.sidecar(ctx) },
        ...(s.baselineName === 'none'
          ? []
          : [{ label: `baseline (${s.baselineName})`, url: baselineUrl, pid: baseline.proc.pid!, ...s.baseline(ctx) }]),
      ];
      const { report: load, peakRss } = await drive({
        scenario: s.name,
        sides,
        connections: CONNECTIONS,
        rounds: ROUNDS,
        durationSec: DURATION,
        warmupSec: WARMUP,
      });
      const mineRuns = load.sides[0]!.runs;
      const baseRuns = load.sides[1]?.runs ?? [];
      const mine = { ...summarise(mineRuns, load.sides[0]!.p99), peakRss: peakRss[0]! };
      const base = baseRuns.length ? summarise(baseRuns, load.sides[1]!.p99) : null;
      // The median of the rounds' ratios: each compares two runs made one after the other.
      const ratios = baseRuns.map((b, k) => mineRuns[k]!.rps / b.rps);
      const ratio = ratios.length ? median(ratios).toFixed(2) : 'n/a';
      const cpu = `${mine.cpuUs ?? 'n/a'} / ${base?.cpuUs ?? 'n/a'}`;
      rows.push([
        s.name,
        String(mine.rps),
        `${mine.p50} ms`,
        `${mine.p99} ms`,
        String(mine.errors + mine.non2xx),
        mb(mine.peakRss),
        s.baselineName,
        base ? String(base.rps) : 'n/a',
        ratio,
        cpu,
        s.target,
      ]);
      const perRound = `ratios ${ratios.map((r) => r.toFixed(2)).join(', ') || 'n/a'}; sidecar CPU µs/req ${mineRuns.map((r) => r.cpuUs ?? 'n/a').join(', ')}; of which kernel ${mineRuns.map((r) => r.sysUs ?? 'n/a').join(', ')}`;
      rounds.push(`- ${s.name}: ${perRound}`);
      log(
        `  ${mine.rps} req/s (baseline ${base?.rps ?? 'n/a'}), ratio ${ratio}, p99 ${mine.p99} ms, CPU µs/request ${cpu}, errors ${mine.errors + mine.non2xx} ${JSON.stringify(mine.statuses)}; rounds: ${perRound}`,
      );
      if (s.extra) {
        const lines = await s.extra(ctx);
        for (const l of lines) log(l);
        extra.push(...lines);
      }
    }
    report(rows, extra, rounds);
  } finally {
    sidecar.proc.kill('SIGTERM');
    baseline.proc.kill('SIGTERM');
  }
}

function machine(): string[] {
  const v = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim().split('\n')[0]!;
    } catch {
      return 'unknown';
    }
  };
  return [
    `- CPU: ${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}`,
    `- Memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; ${os.type()} ${os.release()}`,
    `- Node ${process.version}; ${v('mariadb', ['--version'])}; ${v('redis-server', ['--version'])}`,
    `- Load: ${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION} s per scenario after ${WARMUP} s of warm-up on each side, sidecar and baseline alternating (req/s and p50: median of the rounds; p99: over every request of the rounds; ratio: median of the rounds' ratios), autocannon in a separate process that drives both sides in turn; peak RSS sampled every 100 ms`,
    PIN
      ? `- CPUs: the server under test (sidecar or baseline) pinned to CPU ${SERVER_CPU}, the load generator to CPU ${LOAD_CPU} (taskset); MariaDB and Redis are not pinned`
      : '- CPUs: not pinned: the server under test and the load generator share the cores (BENCH_PIN=1 pins them)',
  ];
}

function report(rows: string[][], extra: string[], rounds: string[]): void {
  const header = [
    'scenario',
    'req/s',
    'p50',
    'p99',
    'errors',
    'peak RSS',
    'baseline',
    'baseline req/s',
    'ratio',
    'CPU µs/req (sidecar / baseline)',
    'target',
  ];
  const table = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
  process.stdout.write(`\n${table}\n${extra.join('\n')}\n`);
  if (ONLY) {
    log('BENCH_ONLY set: docs/performance.md left as it was');
    return;
  }
  const md = [
    '# Performance',
    '',
    "Generated by `npm run bench` (bench/run.ts); numbers from the last run on the machine below. Each scenario runs against the sidecar and against its baseline in the same run: `bare` is node:http answering from memory, `direct` is node:http running the same SQL and Redis calls through mysql2/ioredis without a framework. Ratio = sidecar req/s ÷ baseline req/s of the same round, the median over the rounds. CPU µs/req: the CPU time each server used (user + system, all threads, from /proc) per request, the median over the rounds: what a request costs, where req/s also depends on the load generator's share of the two cores.",
    '',
    '## Machine',
    '',
    ...machine(),
    '',
    '## Results',
    '',
    table,
    '',
    ...extra,
    '',
    '## Rounds',
    '',
    "Each round's ratio (sidecar req/s ÷ baseline req/s, the two runs back to back) and the sidecar's CPU time per request, with the kernel's part of it (socket writes, and on loopback the peer's receive path), in order: the spread is the host's, which is why the table gives medians.",
    '',
    ...rounds,
    '',
  ].join('\n');
  // Kept as they are: the hand-written notes on what moved a ratio and why, and the memory
  // scenario's own section at the end (bench/memory.ts, `npm run bench:memory`).
  const file = path.join(projectRoot, 'docs/performance.md');
  const old = readFileSync(file, 'utf8');
  const starts = ['## Notes', '## Memory under sustained mixed load'].map((h) => old.indexOf(h)).filter((at) => at >= 0);
  writeFileSync(file, starts.length ? `${md}\n${old.slice(Math.min(...starts))}` : md);
  log('wrote docs/performance.md');
}

export type { Scenario };
main().catch((err) => {
  process.stderr.write(
    `bench: failed: ${(err as Error).stack}${(err as { cause?: unknown }).cause ? `\ncause: ${String((err as { cause?: unknown }).cause)}` : ''}\n`,
  );
  process.exit(1);
});
