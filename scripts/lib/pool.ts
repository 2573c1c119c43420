import { spawn, execFile } from 'node:child_process';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/config/load.ts';
import { SIDECAR_NODE_FLAGS } from '../../src/config/node-flags.ts';
import { UPSTREAM_DEFAULTS, writeNginxConfig } from './nginx-config.ts';
import type { RollingPlan } from './rolling-update.ts';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const NS = '/wp-json/skylearn-billing-pro/v1';
/** nginx's passive check: this many failed attempts take a node out for fail_timeout. */
export const UPSTREAM_MAX_FAILS = UPSTREAM_DEFAULTS.maxFails;

export interface PoolNode {
  name: string;
  port: number;
  pid: number;
  log: string;
}
export interface PoolState {
  dir: string;
  listenPort: number;
  internalPort: number;
  nginxConf: string;
  upstreamFile: string;
  nodes: PoolNode[];
}

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** This code runs from the build (dist/, plain JavaScript) rather than from the TypeScript source. */
const BUILT = import.meta.url.endsWith('.js');

/**
 * The command line that runs `entry` (a path under src/, without extension) the way this code
 * runs: the build's JavaScript with production dependencies only, or the TypeScript through tsx.
 */
export function nodeCommand(entry: string): string[] {
  return BUILT ? [path.join(projectRoot, 'dist', `${entry}.js`)] : ['--import', 'tsx', path.join(projectRoot, `${entry}.ts`)];
}

const statePath = (dir: string) => path.join(dir, 'pool.json');
const envPath = (dir: string) => path.join(dir, 'node-env.json');

export async function readPoolState(dir: string): Promise<PoolState> {
  return JSON.parse(await readFile(statePath(dir), 'utf8')) as PoolState;
}
async function writePoolState(state: PoolState): Promise<void> {
  await writeFile(statePath(state.dir), JSON.stringify(state, null, 2));
}

/** True while a process with this pid exists. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `url` until it answers 200, or throws after `timeoutMs`. */
export async function waitFor200(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (${last})`);
}

/**
 * Starts one node as a detached process (it outlives the command that started it) on its
 * port, with the pool's saved environment, logging to DIR/node-NAME.log; waits for /live.
 */
async function launchNode(dir: string, name: string, port: number): Promise<PoolNode> {
  const env = JSON.parse(await readFile(envPath(dir), 'utf8')) as Record<string, string>;
  const log = path.join(dir, `node-${name}.log`);
  const fh = await open(log, 'a');
  const child = spawn(process.execPath, [...SIDECAR_NODE_FLAGS, ...nodeCommand('src/main')], {
    cwd: projectRoot,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      ...env,
      SLBP_HOST: '127.0.0.1',
      SLBP_PORT: String(port),
    },
    stdio: ['ignore', fh.fd, fh.fd],
    detached: true,
  });
  child.unref();
  await fh.close();
  const node: PoolNode = { name, port, pid: child.pid!, log };
  try {
    await waitFor200(`http://127.0.0.1:${port}${NS}/live`, 30_000);
  } catch (err) {
    if (isRunning(node.pid)) process.kill(node.pid, 'SIGKILL');
    throw new Error(`node ${name} did not start: ${(err as Error).message} (see ${log})`, { cause: err });
  }
  return node;
}

/** SIGTERM (the node drains and exits by itself), then SIGKILL if it is still there after `timeoutMs`. */
export async function stopProcess(pid: number, timeoutMs = 20_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!isRunning(pid)) return;
  process.kill(pid, signal);
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid) && Date.now() < deadline) await sleep(50);
  if (isRunning(pid)) {
    process.kill(pid, 'SIGKILL');
    while (isRunning(pid)) await sleep(20);
  }
}

export interface StartPoolOptions {
  dir: string;
  nodes: number;
  /** Environment of every node (DB_*, SLBP_*, ...); SLBP_HOST and SLBP_PORT are set per node. */
  env: Record<string, string>;
  listenPort?: number;
  internalPort?: number;
  maxFails?: number;
  failTimeoutSec?: number;
}

/** Starts N sidecars on free loopback ports and nginx in front of them, all under `dir`. */
export async function startPool(opts: StartPoolOptions): Promise<PoolState> {
  const dir = path.resolve(opts.dir);
  await mkdir(dir, { recursive: true });
  await writeFile(envPath(dir), JSON.stringify(opts.env, null, 2), { mode: 0o600 });
  const ports = await Promise.all(Array.from({ length: opts.nodes }, () => freePort()));
  const listenPort = opts.listenPort ?? (await freePort());
  const internalPort = opts.internalPort ?? (await freePort());
  const { conf, upstreamFile } = await writeNginxConfig({
    dir: path.join(dir, 'nginx'),
    listen: `127.0.0.1:${listenPort}`,
    internalListen: `127.0.0.1:${internalPort}`,
    nodes: ports.map((p) => `127.0.0.1:${p}`),
    maxFails: opts.maxFails,
    failTimeoutSec: opts.failTimeoutSec,
  });
  const state: PoolState = { dir, listenPort, internalPort, nginxConf: conf, upstreamFile, nodes: [] };
  try {
    // One at a time: two cores, and each start compiles the TypeScript once.
    for (let i = 0; i < ports.length; i++) {
      state.nodes.push(await launchNode(dir, String(i + 1), ports[i]!));
      await writePoolState(state);
    }
    await run('nginx', ['-p', path.dirname(conf), '-c', conf]);
    await waitFor200(`http://127.0.0.1:${listenPort}${NS}/live`, 10_000);
  } catch (err) {
    await writePoolState(state);
    await stopPool(dir);
    throw err;
  }
  await writePoolState(state);
  return state;
}

/** Restarts one node on the current code: SIGTERM (drain, finish in-flight), wait for exit, start again on the same port. */
export async function restartNode(dir: string, name: string): Promise<PoolNode> {
  const state = await readPoolState(dir);
  const idx = state.nodes.findIndex((n) => n.name === name);
  if (idx < 0) throw new Error(`no node ${name} in ${dir}`);
  await stopProcess(state.nodes[idx]!.pid);
  const node = await launchNode(state.dir, name, state.nodes[idx]!.port);
  state.nodes[idx] = node;
  await writePoolState(state);
  return node;
}

/** nginx's own signal interface (`reload`, `quit`, `stop`) for the pool's nginx. */
export async function nginxSignal(state: PoolState, signal: 'reload' | 'quit' | 'stop'): Promise<void> {
  await run('nginx', ['-p', path.dirname(state.nginxConf), '-c', state.nginxConf, '-s', signal]);
}

/** Stops nginx and every node (each drains first); tolerates parts that never started. */
export async function stopPool(dir: string): Promise<void> {
  let state: PoolState;
  try {
    state = await readPoolState(dir);
  } catch {
    return;
  }
  try {
    const pid = Number((await readFile(path.join(path.dirname(state.nginxConf), 'nginx.pid'), 'utf8')).trim());
    if (pid) await stopProcess(pid, 5000, 'SIGQUIT');
  } catch {
    // nginx never started
  }
  await Promise.all(state.nodes.map((n) => stopProcess(n.pid)));
}

/**
 * The rolling-update plan for this pool: restart through `slbp pool restart-node`. By default nginx is
 * left alone and the nodes' drain does the work (docs/decisions/0011-rolling-updates.md);
 * `viaReload` also marks each node down in the upstream file and reloads nginx.
 */
export function poolPlan(state: PoolState, opts: { viaReload?: boolean } = {}): RollingPlan {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const cli = nodeCommand('src/cli/main').map(q).join(' ');
  return {
    ...(opts.viaReload
      ? {
          upstreamFile: state.upstreamFile,
          reload: `nginx -p ${q(path.dirname(state.nginxConf))} -c ${q(state.nginxConf)} -s reload`,
        }
      : {}),
    nodes: state.nodes.map((n) => ({
      name: n.name,
      address: `127.0.0.1:${n.port}`,
      restart: `${q(process.execPath)} ${cli} pool restart-node --dir ${q(state.dir)} --node ${q(n.name)}`,
    })),
  };
}
