import { Redis, Cluster, type RedisOptions } from 'ioredis';
import type { Config } from '../config/schema.ts';
import type { Logger } from '../observability/logger.ts';
import { siteHashTag } from './keys.ts';

export type RedisClient = Redis | Cluster;

/** Whether this site may use its namespace: `ours` once claimed (docs/decisions/0024-site-identity.md). */
export type NamespaceState = 'unverified' | 'ours' | 'conflict';

/**
 * One Redis connection (single server or Cluster) with the sidecar's own database index and key
 * prefix, and inside that prefix the site's namespace: `SLBP_REDIS_PREFIX` + site key + `:`.
 * Every key sent through `client` (locks, slots, nonces, sessions, rate-limit buckets, cached
 * values, streams) gets it from ioredis; channels and hash tags get it from `channel()` and
 * `hashTag()`. So two sites on one Redis never share anything, whatever the operator's prefix.
 *
 * Commands fail fast while Redis is down (no offline queue) so callers can fall back to the
 * in-process cache; the client keeps reconnecting in the background. `isReady()` is also false
 * while the namespace is not this site's (see NamespaceGuard): callers then fall back the same way.
 *
 * We speak RESP2 on purpose: ioredis 6 defaults to RESP3, but RESP2 replies are the shapes
 * every Redis 7.0 server, Cluster and library (koa-ratelimit) agree on.
 */
export class RedisHandle {
  readonly client: RedisClient;
  /** The full prefix of this site's keys: the operator's prefix, the site key and `:`. */
  readonly keyPrefix: string;
  private lastErrorLog = 0;
  private announced = false;
  private namespace: { state: NamespaceState; reason: string } = { state: 'ours', reason: '' };

  constructor(
    readonly cfg: Config['redis'],
    readonly siteKey: string,
    private readonly logger: Logger,
  ) {
    this.keyPrefix = `${cfg.keyPrefix}${siteKey}:`;
    this.client = this.connect();
  }

  /** A pub/sub channel (or any name ioredis does not prefix) inside this site's namespace. */
  channel(name: string): string {
    return `${this.keyPrefix}${name}`;
  }

  /** A Redis Cluster hash tag carrying the site key, for keys that must share a slot. */
  hashTag(tag: string): string {
    return siteHashTag(this.siteKey, tag);
  }

  get namespaceState(): NamespaceState {
    return this.namespace.state;
  }

  /** Set by the namespace guard; anything but `ours` makes `isReady()` false. */
  setNamespaceState(state: NamespaceState, reason = ''): void {
    this.namespace = { state, reason };
    this.announce();
  }

  get isCluster(): boolean {
    return this.cfg.cluster.length > 0;
  }

  /** Options shared by every connection we open (also used for pub/sub duplicates). */
  private baseOptions(): RedisOptions {
    return {
      keyPrefix: this.keyPrefix,
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
    client.on('ready', () => this.announce());
    client.on('error', (err: Error) => {
      // A reconnect loop emits an error per attempt; log at most every 30 s.
      if (Date.now() - this.lastErrorLog > 30_000) {
        this.lastErrorLog = Date.now();
        this.logger.warn('redis unreachable; serving from the in-process cache until it returns', {
          target: this.describe(),
          error: err.message,
        });
      }
    });
    client.on('end', () => {
      this.announced = false;
    });
    client.on('close', () => {
      if (this.announced) this.logger.warn('redis connection closed; reconnecting', { target: this.describe() });
      this.announced = false;
    });
    return client;
  }

  /** Logs "redis connected" once the connection is up and the namespace is this site's. */
  private announce(): void {
    if (this.announced || this.client.status !== 'ready' || this.namespace.state !== 'ours') return;
    this.announced = true;
    this.logger.info('redis connected', { target: this.describe(), namespace: this.keyPrefix });
  }

  describe(): string {
    return this.isCluster ? `cluster ${this.cfg.cluster.join(',')}` : `${this.cfg.host}:${this.cfg.port}/${this.cfg.db}`;
  }

  /** Connected, and the namespace is this site's: only then may callers use Redis. */
  isReady(): boolean {
    return this.client.status === 'ready' && this.namespace.state === 'ours';
  }

  /** Connected, whoever the namespace belongs to (the namespace guard itself needs this). */
  isConnected(): boolean {
    return this.client.status === 'ready';
  }

  /** A new connection with the same settings, for SUBSCRIBE (which blocks a connection). */
  duplicate(): RedisClient {
    return this.client instanceof Cluster ? this.client.duplicate() : this.client.duplicate();
  }

  /** PING with the command timeout; resolves to the round trip in ms. Rejects while the namespace is not ours. */
  async ping(): Promise<number> {
    const t = performance.now();
    await this.client.ping();
    if (this.namespace.state !== 'ours') throw new Error(this.namespace.reason || `namespace ${this.keyPrefix} not verified yet`);
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
