import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { Cluster } from 'ioredis';
import { freePort } from './mariadb-instance.ts';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RedisClusterInstance {
  ports: number[];
  /** `127.0.0.1:PORT` seed list, as WP_REDIS_CLUSTER takes it. */
  seeds: string[];
  /** Deletes every key under `prefix` on every master (SCAN per node, never FLUSHALL). */
  cleanPrefix(prefix: string): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A private 3-master Redis Cluster on free loopback ports, in fresh directories (a leftover
 * nodes-<port>.conf makes `--cluster create` fail), nothing persisted.
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterInstance> {
  const ports = await Promise.all(Array.from({ length: masters }, () => freePort()));
  const root = path.join('/tmp', `slbp-test-redis-cluster-${process.pid}-${ports[0]}`);
  await rm(root, { recursive: true, force: true });
  const pidFiles: string[] = [];
  const stop = async () => {
    for (const pf of pidFiles) {
      try {
        const pid = Number((await readFile(pf, 'utf8')).trim());
        process.kill(pid, 'SIGTERM');
        for (let i = 0; i < 50; i++) {
          try {
            process.kill(pid, 0);
            await sleep(50);
          } catch {
            break;
          }
        }
      } catch {
        // never started
      }
    }
    await rm(root, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      const dir = path.join(root, String(port));
      await mkdir(dir, { recursive: true });
      const pidfile = path.join(dir, 'redis.pid');
      pidFiles.push(pidfile);
      const conf = path.join(dir, 'redis.conf');
      await writeFile(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          'cluster-enabled yes',
          `cluster-config-file nodes-${port}.conf`,
          `dir ${dir}`,
          'save ""',
          'appendonly no',
          'daemonize yes',
          `pidfile ${pidfile}`,
          `logfile ${path.join(dir, 'redis.log')}`,
          '',
        ].join('\n'),
      );
      await run('redis-server', [conf]);
    }
    for (const port of ports) {
      for (let i = 0; i < 50; i++) {
        try {
          await run('redis-cli', ['-p', String(port), 'ping']);
          break;
        } catch {
          await sleep(100);
        }
      }
    }
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (let i = 0; i < 100; i++) {
      const { stdout } = await run('redis-cli', ['-p', String(ports[0]), 'cluster', 'info']);
      if (stdout.includes('cluster_state:ok')) break;
      await sleep(100);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const seeds = ports.map((p) => `127.0.0.1:${p}`);
  return {
    ports,
    seeds,
    async cleanPrefix(prefix: string) {
      const c = new Cluster(
        ports.map((port) => ({ host: '127.0.0.1', port })),
        { enableOfflineQueue: true },
      );
      try {
        await new Promise<void>((resolve, reject) => {
          c.once('ready', resolve);
          c.once('error', reject);
        });
        for (const node of c.nodes('master')) {
          let cursor = '0';
          do {
            const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
            cursor = next;
            for (const k of keys) await node.del(k);
          } while (cursor !== '0');
        }
      } finally {
        c.disconnect();
      }
    },
    stop,
  };
}
