import { Cluster } from 'ioredis';
import type { Logger } from '../observability/logger.ts';
import type { InvalidateRequest } from './cache-service.ts';
import { INVALIDATION_CHANNEL } from './keys.ts';
import type { Broadcaster, LayeredCache } from './layered-cache.ts';
import type { RedisClient, RedisHandle } from './redis.ts';

interface BusMessage extends InvalidateRequest {
  from: string;
}

/**
 * Redis pub/sub between the nodes: an invalidation on one node drops the matching L1 entries on
 * every node. Pub/sub has no memory, so whenever this node's subscription comes back after a
 * drop it clears its whole L1 (it may have missed messages) and replays the invalidations Redis
 * missed. A drop is seen from the connection's events and, because a Cluster client hides its
 * subscriber connection, from a heartbeat the node sends itself through Redis.
 */
export class InvalidationBus implements Broadcaster {
  readonly name = 'cache-invalidation-bus';
  private sub: RedisClient | null = null;
  private readonly channel: string;
  private readonly beatChannel: string;
  private everSubscribed = false;
  private dropped = false;
  private lastBeat = 0;
  private timer: NodeJS.Timeout | null = null;
  readonly counters = { published: 0, received: 0, reconnects: 0 };

  constructor(
    private readonly redis: RedisHandle,
    private readonly cache: LayeredCache,
    private readonly instanceId: string,
    private readonly logger: Logger,
    private readonly beatMs = 1000,
  ) {
    // ioredis does not prefix channel names: the handle puts them in this site's namespace.
    this.channel = redis.channel(INVALIDATION_CHANNEL);
    this.beatChannel = `${this.channel}:beat:${instanceId}`;
  }

  get subscribed(): boolean {
    return this.everSubscribed && !this.dropped;
  }

  start(): void {
    const sub = this.redis.duplicate();
    this.sub = sub;
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.onMessage(message);
      else if (channel === this.beatChannel) this.onBeat();
    });
    sub.on('ready', () => {
      void this.onReady(sub);
    });
    sub.on('close', () => this.markDropped());
    sub.on('error', () => {
      /* RedisHandle logs the outage; the client reconnects by itself */
    });
    this.timer = setInterval(() => this.beat(), this.beatMs);
    this.timer.unref();
  }

  private markDropped(): void {
    if (this.everSubscribed) this.dropped = true;
  }

  private beat(): void {
    // A namespace that is not (or no longer) this site's counts as a drop: recovery clears L1 once it is back.
    if (!this.redis.isReady() && this.redis.isConnected()) {
      this.markDropped();
      return;
    }
    if (this.lastBeat && Date.now() - this.lastBeat > 3 * this.beatMs) this.markDropped();
    this.redis.client.publish(this.beatChannel, '1').catch(() => this.markDropped());
    // Redis may come back on the main connection after the subscriber's recovery replayed nothing.
    if (this.cache.hasPending && this.redis.isReady() && !this.dropped) this.cache.replayPending().catch(() => undefined);
  }

  private onBeat(): void {
    this.lastBeat = Date.now();
    if (this.dropped) this.recover('invalidation bus reconnected; messages may have been missed');
  }

  private async onReady(sub: RedisClient): Promise<void> {
    try {
      await sub.subscribe(this.channel, this.beatChannel);
    } catch (err) {
      this.logger.warn('cache invalidation bus could not subscribe; retrying on reconnect', { error: (err as Error).message });
      return;
    }
    this.lastBeat = Date.now();
    if (!this.everSubscribed) {
      this.everSubscribed = true;
      // Entries cached before we listened (Redis was down at start) cannot be trusted either.
      if (this.cache.size > 0) this.recover('invalidation bus subscribed after entries were cached');
    } else if (this.dropped) this.recover('invalidation bus reconnected; messages may have been missed');
  }

  private recover(reason: string): void {
    if (this.dropped) this.counters.reconnects++;
    this.dropped = false;
    this.cache.resetLocal(reason);
    this.cache.replayPending().catch((err) => this.logger.warn('replaying queued invalidations failed', { error: (err as Error).message }));
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
    this.cache.applyRemote({ keys: msg.keys, tags: msg.tags, all: msg.all });
  }

  /** How many nodes (this one included) listen on the bus now: the sidecars sharing this site's Redis prefix. */
  async listeners(): Promise<number> {
    const client = this.redis.client;
    const nodes = client instanceof Cluster ? client.nodes('all') : [client];
    const counts = await Promise.all(
      nodes.map(async (node) => Number(((await node.call('PUBSUB', 'NUMSUB', this.channel)) as [string, number])[1] ?? 0)),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Publishes to every node; resolves to how many nodes (this one included) are listening. */
  async publish(req: InvalidateRequest): Promise<number> {
    const client = this.redis.client;
    const message = JSON.stringify({ from: this.instanceId, keys: req.keys, tags: req.tags, all: req.all } satisfies BusMessage);
    const receivers = await client.publish(this.channel, message);
    this.counters.published++;
    if (!(client instanceof Cluster)) return receivers;
    // A Cluster's PUBLISH counts only the receiving node's subscribers; ask every node.
    return this.listeners();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const sub = this.sub;
    this.sub = null;
    if (!sub) return;
    sub.removeAllListeners('ready');
    sub.removeAllListeners('close');
    try {
      await sub.quit();
    } catch {
      sub.disconnect();
    }
  }
}
