import { Redis, Cluster, type RedisOptions } from 'ioredis';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../observability/logger.ts';

export type RedisClient = Redis | Cluster;

/**
 * One Redis connection (single server or Cluster) with the sidecar's own key prefix and
 * database index. Commands fail fast while Redis is down (no offline queue) so callers can
 * fall back to the in-process cache; the client keeps reconnecting in the background.
 *
 * We speak RESP2 on purpose: ioredis 6 defaults to RESP3, but RESP2 replies are the shapes
 * every Redis 7.0 server, Cluster and library (koa-ratelimit) agree on.
 */
export class RedisHandle {
  readonly client: RedisClient;
  private lastErrorLog = 0;
  private wasReady = false;

  constructor(readonly cfg: Config['redis'], private readonly logger: Logger) {
    this.client = this.connect();
  }

  get isCluster(): boolean {
    return this.cfg.cluster.length > 0;
  }

  /** Options shared by every connection we open (also used for pub/sub duplicates). */
  private baseOptions(): RedisOptions {
    return {
      keyPrefix: this.cfg.keyPrefix,
      password: this.cfg.password || undefined,
      db: this.isCluster ? undefined : this.cfg.db,
      protocol: 2,
      connectTimeout: this.cfg.connectTimeoutMs,
      commandTimeout: this.cfg.commandTimeoutMs,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: (times: number) => Math.min(100 * times, 2000),
    };
  }

  private connect(): RedisClient {
    let client: RedisClient;
    if (this.isCluster) {
      const nodes = this.cfg.cluster.map((spec) => {
        const [host, port] = spec.split(':');
        return { host: host || '127.0.0.1', port: Number(port) || 6379 };
      });
      const { retryStrategy: _r, enableOfflineQueue: _e, keyPrefix, ...redisOptions } = this.baseOptions();
      client = new Cluster(nodes, {
        keyPrefix,
        redisOptions,
        enableOfflineQueue: false,
        clusterRetryStrategy: (times: number) => Math.min(100 * times, 2000),
        slotsRefreshTimeout: this.cfg.connectTimeoutMs,
      });
    } else {
      client = new Redis({ host: this.cfg.host, port: this.cfg.port, ...this.baseOptions() });
    }
    client.on('ready', () => {
      if (this.wasReady === false) this.logger.info('redis connected', { target: this.describe() });
      this.wasReady = true;
    });
    client.on('error', (err: Error) => {
      // A reconnect loop emits an error per attempt; log at most every 30 s.
      if (Date.now() - this.lastErrorLog > 30_000) {
        this.lastErrorLog = Date.now();
        this.logger.warn('redis unreachable; serving from the in-process cache until it returns', { target: this.describe(), error: err.message });
      }
    });
    client.on('end', () => { this.wasReady = false; });
    client.on('close', () => {
      if (this.wasReady) this.logger.warn('redis connection closed; reconnecting', { target: this.describe() });
      this.wasReady = false;
    });
    return client;
  }

  describe(): string {
    return this.isCluster ? `cluster ${this.cfg.cluster.join(',')}` : `${this.cfg.host}:${this.cfg.port}/${this.cfg.db}`;
  }

  isReady(): boolean {
    return this.client.status === 'ready';
  }

  /** A new connection with the same settings, for SUBSCRIBE (which blocks a connection). */
  duplicate(): RedisClient {
    return this.client instanceof Cluster ? this.client.duplicate() : this.client.duplicate();
  }

  /** PING with the command timeout; resolves to the round trip in ms. */
  async ping(): Promise<number> {
    const t = performance.now();
    await this.client.ping();
    return performance.now() - t;
  }

  async close(): Promise<void> {
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}
