import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './mariadb-instance.ts';

const run = promisify(execFile);
const ROOT = '/tmp/slbp-test-redis';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A private redis-server on its own port (never the machine's shared 6379), so a test may stop
 * and start it. Nothing is persisted; the directory is removed by destroy().
 */
export interface RedisServer {
  port: number;
  dir: string;
  /** `127.0.0.1:port` */
  address: string;
  start(): Promise<void>;
  /** Stops the server; with `keepData` (default) it saves first and the restart loads it again, as a persistent Redis would. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
  destroy(): Promise<void>;
  /** A plain client without prefix, for checks and for writing "someone else's" keys. */
  client(): Redis;
}

async function waitForPing(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping']);
      if (stdout.trim() === 'PONG') return;
    } catch {
      // not up yet
    }
    await sleep(50);
  }
  throw new Error(`redis-server on ${port} did not answer PING`);
}

/** Starts one private server; `extraArgs` adds redis-server options (e.g. cluster mode). */
export async function startRedisServer(opts: { port?: number; extraArgs?: string[]; dir?: string } = {}): Promise<RedisServer> {
  const port = opts.port ?? (await freePort());
  const dir = opts.dir ?? path.join(ROOT, `r-${process.pid}-${port}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  let proc: ChildProcess | null = null;
  const server: RedisServer = {
    port,
    dir,
    address: `127.0.0.1:${port}`,
    async start() {
      proc = spawn(
        'redis-server',
        ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, ...(opts.extraArgs ?? [])],
        { stdio: 'ignore' },
      );
      await waitForPing(port);
    },
    async stop({ keepData = true } = {}) {
      const p = proc;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      if (keepData) await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'shutdown', 'save']).catch(() => p.kill('SIGKILL'));
      else p.kill('SIGKILL');
      await exited;
      proc = null;
    },
    async destroy() {
      await server.stop({ keepData: false });
      await rm(dir, { recursive: true, force: true });
    },
    client: () => new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 }),
  };
  await server.start();
  return server;
}

export interface RedisClusterServers {
  nodes: RedisServer[];
  /** `WP_REDIS_CLUSTER` value: the seed list. */
  seeds: string;
  start(): Promise<void>;
  stop(opts?: { keepData?: boolean }): Promise<void>;
  destroy(): Promise<void>;
  /** Waits until `cluster_state:ok` on every node (after a restart). */
  waitOk(timeoutMs?: number): Promise<void>;
}

/** Three private masters joined into a Redis Cluster (no replicas), on free ports. */
export async function startRedisCluster(count = 3): Promise<RedisClusterServers> {
  const nodes: RedisServer[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    // A leftover nodes-<port>.conf makes --cluster create fail: startRedisServer empties the dir.
    nodes.push(
      await startRedisServer({
        port,
        extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000'],
      }),
    );
  }
  await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => n.address), '--cluster-replicas', '0', '--cluster-yes']);
  const cluster: RedisClusterServers = {
    nodes,
    seeds: nodes.map((n) => n.address).join(','),
    async start() {
      // Restarted with their nodes-<port>.conf, the masters rejoin the same cluster (data is gone).
      await Promise.all(nodes.map((n) => n.start()));
      await cluster.waitOk();
    },
    async stop(opts) {
      await Promise.all(nodes.map((n) => n.stop(opts)));
    },
    async destroy() {
      await Promise.all(nodes.map((n) => n.destroy()));
    },
    async waitOk(timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (const n of nodes) {
        for (;;) {
          const { stdout } = await run('redis-cli', ['-p', String(n.port), 'cluster', 'info']).catch(() => ({ stdout: '' }));
          if (stdout.includes('cluster_state:ok')) break;
          if (Date.now() > deadline) throw new Error(`cluster node ${n.address} not ok`);
          await sleep(100);
        }
      }
    },
  };
  await cluster.waitOk();
  return cluster;
}
