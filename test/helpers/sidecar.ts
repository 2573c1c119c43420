import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { loadConfig, projectRoot } from '../../src/config/load.ts';
import { SIDECAR_NODE_FLAGS } from '../../src/config/node-flags.ts';
import type { ConfigOverrides } from '../../src/config/schema.ts';
import { buildContainer, type Container, type ExtraObservers } from '../../src/container.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import type { Logger } from '../../src/observability/logger.ts';
import { cleanRedisPrefix, testRedisPrefix } from './redis.ts';
import type { TestDb } from './db.ts';

export const NS = '/wp-json/skylearn-billing-pro/v1';

export interface InProcessSidecar {
  url: string;
  base: string;
  container: Container;
  running: RunningServer;
  redisPrefix: string;
  stop(): Promise<void>;
}

/** Environment for a sidecar on the test database, with a Redis prefix of its own. */
export function sidecarEnv(db: TestDb, extra: Record<string, string> = {}, redisPrefix = testRedisPrefix()): Record<string, string> {
  return {
    SLBP_ENV: 'test',
    DB_HOST: '127.0.0.1',
    DB_NAME: db.name,
    DB_USER: 'root',
    DB_PASSWORD: '',
    SLBP_TABLE_PREFIX: db.prefix,
    SLBP_REDIS_PREFIX: redisPrefix,
    SLBP_PORT: '0',
    SLBP_DATA_DIR: path.join('var', 'test', `${process.pid}-${db.name}`),
    ...extra,
  };
}

/** A sidecar in this process on a free port; stop() shuts it down and cleans its Redis keys. */
export async function startSidecar(
  db: TestDb,
  opts: { env?: Record<string, string>; overrides?: ConfigOverrides; logger?: Logger; observers?: ExtraObservers } = {},
): Promise<InProcessSidecar> {
  const env = sidecarEnv(db, opts.env);
  const config = loadConfig({ env, overrides: opts.overrides });
  const container = buildContainer(config, { logger: opts.logger, observers: opts.observers });
  const running = await startServer(container);
  return {
    url: running.url,
    base: `${running.url}${NS}`,
    container,
    running,
    redisPrefix: env.SLBP_REDIS_PREFIX!,
    async stop() {
      await running.shutdown('test done');
      await cleanRedisPrefix(env.SLBP_REDIS_PREFIX!);
    },
  };
}

export interface ChildSidecar {
  proc: ChildProcess;
  url: string;
  base: string;
  output(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs `src/main.ts` as a real process and waits until it logs that it listens, and with
 * `waitForRedis` until its Redis client is ready too: a node listens before Redis is connected
 * (it serves without it), so a test whose first request needs Redis must wait for this.
 */
export async function spawnSidecar(
  env: Record<string, string>,
  args: string[] = [],
  opts: { waitForListen?: boolean; waitForRedis?: boolean } = {},
): Promise<ChildSidecar> {
  const proc = spawn(process.execPath, [...SIDECAR_NODE_FLAGS, '--import', 'tsx', path.join(projectRoot, 'src/main.ts'), ...args], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', SLBP_LOG_FORMAT: 'json', SLBP_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => {
    out += d;
  });
  proc.stderr!.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  let url = '';
  if (opts.waitForListen !== false) {
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`sidecar did not start${opts.waitForRedis ? ' with Redis ready' : ''} in 20 s:\n${out}`)),
        20_000,
      );
      const check = () => {
        const m = /"url":"(http:\/\/[^"]+?)\/wp-json/.exec(out);
        if (m && (!opts.waitForRedis || out.includes('"message":"redis connected"'))) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      };
      proc.stdout!.on('data', check);
      proc.stderr!.on('data', check);
      exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`sidecar exited with ${code}:\n${out}`));
      });
    });
  }
  return {
    proc,
    url,
    base: `${url}${NS}`,
    output: () => out,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

export { cleanRedisPrefix };
