import { Cluster } from 'ioredis';
import type { Logger } from '../observability/logger.ts';
import type { InvalidateRequest } from './cache-service.ts';
import { invalidationChannel } from './keys.ts';
import type { Broadcaster, LayeredCache } from './layered-cache.ts';
import type { RedisClient, RedisHandle } from './redis.ts';

interface BusMessage extends InvalidateRequest { from: string }

/**
 * Redis pub/sub between the nodes: an invalidation on one node drops the matching L1 entries on
 * every node. Pub/sub has no memory, so whenever this node's subscription comes back after a
 * drop it clears its whole L1: it may have missed messages meanwhile.
 */
export class InvalidationBus implements Broadcaster {
  readonly name = 'cache-invalidation-bus';
  private sub: RedisClient | null = null;
  private readonly channel: string;
  private everSubscribed = false;
  private dropped = false;
  readonly counters = { published: 0, received: 0, reconnects: 0 };

  constructor(private readonly redis: RedisHandle, private readonly cache: LayeredCache, private readonly instanceId: string, private readonly logger: Logger) {
    // ioredis does not prefix channel names: keep ours apart from other sites on the server.
    this.channel = invalidationChannel(redis.cfg.keyPrefix);
  }

  get subscribed(): boolean {
    return this.sub?.status === 'ready' && !this.dropped;
  }

  start(): void {
    const sub = this.redis.duplicate();
    this.sub = sub;
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.onMessage(message);
    });
    sub.on('ready', () => { void this.onReady(sub); });
    sub.on('close', () => { if (this.everSubscribed) this.dropped = true; });
    sub.on('error', () => { /* RedisHandle logs the outage; the client reconnects by itself */ });
  }

  private async onReady(sub: RedisClient): Promise<void> {
    try {
      await sub.subscribe(this.channel);
    } catch (err) {
      this.logger.warn('cache invalidation bus could not subscribe; retrying on reconnect', { error: (err as Error).message });
      return;
    }
    // Not listening (dropped, or Redis was down since start) means messages may have been
    // missed: whatever L1 holds from that time cannot be trusted.
    if (this.everSubscribed ? this.dropped : this.cache.size > 0) {
      if (this.everSubscribed) this.counters.reconnects++;
      this.cache.resetLocal(this.everSubscribed ? 'invalidation bus reconnected; messages may have been missed' : 'invalidation bus subscribed after entries were cached');
    }
    this.everSubscribed = true;
    this.dropped = false;
  }

  private onMessage(raw: string): void {
    let msg: BusMessage;
    try {
      msg = JSON.parse(raw) as BusMessage;
    } catch {
      this.logger.warn('ignoring a malformed cache invalidation message', { channel: this.channel });
      return;
    }
    if (msg.from === this.instanceId) return; // applied locally before publishing
    this.counters.received++;
    this.cache.noteRemoteInvalidation();
    this.cache.dropLocal({ keys: msg.keys, tags: msg.tags, all: msg.all });
  }

  /** Publishes to every node; resolves to how many nodes (this one included) are listening. */
  async publish(req: InvalidateRequest): Promise<number> {
    const client = this.redis.client;
    const message = JSON.stringify({ from: this.instanceId, keys: req.keys, tags: req.tags, all: req.all } satisfies BusMessage);
    const receivers = await client.publish(this.channel, message);
    this.counters.published++;
    if (!(client instanceof Cluster)) return receivers;
    // A Cluster's PUBLISH counts only the receiving node's subscribers; ask every node.
    const counts = await Promise.all(client.nodes('all').map(async (node) => {
      const reply = (await node.call('PUBSUB', 'NUMSUB', this.channel)) as [string, number];
      return Number(reply[1] ?? 0);
    }));
    return counts.reduce((a, b) => a + b, 0);
  }

  async stop(): Promise<void> {
    const sub = this.sub;
    this.sub = null;
    if (!sub) return;
    sub.removeAllListeners('ready');
    try {
      await sub.quit();
    } catch {
      sub.disconnect();
    }
  }
}
