import { randomBytes } from 'node:crypto';
import type { RedisHandle } from '../cache/redis.ts';
import type { Logger } from '../observability/logger.ts';

const LOCK = 'backup:lock';
const FENCE = 'backup:fence';
const SLOTS = 'backup:slots';

// Renew or release only if the lock still holds our token (another node may own it by now).
const RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/** A held pool-wide backup lock. `fencing` grows with every grant, so a stale holder is detectable. */
export interface Lease {
  token: string;
  fencing: number | null;
  /** True once the lease could not be renewed in time: the holder must not commit. */
  readonly lost: boolean;
  release(): Promise<void>;
}

/**
 * One backup or restore at a time across the pool: a Redis key with a lease (PX) that the
 * holder renews every third of the lease. A node that dies stops renewing, so the lock frees
 * itself after one lease and the slot can be retried elsewhere. Without Redis (disabled or
 * down) the lock is local to this process: a duplicate backup is better than a missed one.
 */
export class BackupLock {
  private localHeld = false;

  constructor(
    private readonly redis: RedisHandle | null,
    private readonly leaseMs: number,
    private readonly logger: Logger,
  ) {}

  private get client() {
    return this.redis && this.redis.isReady() ? this.redis.client : null;
  }

  /** Tries once; null when someone else holds it. `holder` is recorded in the lock's value. */
  async acquire(holder: string): Promise<Lease | null> {
    if (this.localHeld) return null;
    const token = `${holder}|${randomBytes(6).toString('hex')}`;
    const client = this.client;
    let fencing: number | null = null;
    if (client) {
      const ok = await client.set(LOCK, token, 'PX', this.leaseMs, 'NX');
      if (ok !== 'OK') return null;
      fencing = Number(await client.incr(FENCE));
    } else if (this.redis) {
      this.logger.warn('redis unreachable: the backup lock is local to this node', { holder });
    }
    this.localHeld = true;
    let lost = false;
    let lastRenewed = Date.now();
    const timer = client
      ? setInterval(
          () => {
            client.eval(RENEW, 1, LOCK, token, String(this.leaseMs)).then(
              (r) => {
                if (Number(r) === 1) lastRenewed = Date.now();
                else {
                  lost = true;
                  this.logger.warn('backup lock was taken over by another node', { holder });
                }
              },
              () => {
                if (Date.now() - lastRenewed > this.leaseMs) lost = true;
              },
            );
          },
          Math.max(200, Math.floor(this.leaseMs / 3)),
        )
      : null;
    timer?.unref();
    let released = false;
    return {
      token,
      fencing,
      get lost() {
        return lost;
      },
      release: async () => {
        if (released) return;
        released = true;
        if (timer) clearInterval(timer);
        // Free the pool-wide key first: "not held here" must mean another acquire can succeed.
        if (client) await client.eval(RELEASE, 1, LOCK, token).catch(() => undefined);
        this.localHeld = false;
      },
    };
  }

  /** Whether this node holds the lock right now (a backup, restore or drill is running here). */
  get heldHere(): boolean {
    return this.localHeld;
  }

  /** The current holder's token (to tell a running backup from a crashed one), or null. */
  async holder(): Promise<string | null> {
    const client = this.client;
    return client ? client.get(LOCK).catch(() => null) : null;
  }

  /** Frees the lock if `token` (a crashed holder's, read with holder()) still holds it. */
  async breakStale(token: string): Promise<boolean> {
    const client = this.client;
    if (!client) return false;
    return Number(await client.eval(RELEASE, 1, LOCK, token)) === 1;
  }

  /** Slot state: `pending` after the cron fired somewhere, `done:<backup id>` once completed. */
  async slotState(slot: string): Promise<string | null> {
    const client = this.client;
    return client ? client.hget(SLOTS, slot) : null;
  }

  /** Marks a slot due (only if nobody recorded it yet). */
  async markSlotPending(slot: string): Promise<void> {
    await this.client?.hsetnx(SLOTS, slot, 'pending');
  }

  async markSlotDone(slot: string, backupId: string): Promise<void> {
    await this.client?.hset(SLOTS, slot, `done:${backupId}`);
  }

  async markSlotFailed(slot: string, backupId: string): Promise<void> {
    await this.client?.hset(SLOTS, slot, `failed:${backupId}`);
  }

  /** Slots that fired but have no completed backup yet (their node may have died). */
  async pendingSlots(): Promise<string[]> {
    const client = this.client;
    if (!client) return [];
    const all = await client.hgetall(SLOTS);
    return Object.entries(all)
      .filter(([, v]) => v === 'pending')
      .map(([k]) => k)
      .sort();
  }

  /** Forgets slots older than `maxAgeMs` so the hash stays small. */
  async pruneSlots(maxAgeMs: number): Promise<void> {
    const client = this.client;
    if (!client) return;
    const all = await client.hgetall(SLOTS);
    const old = Object.keys(all).filter((k) => Date.now() - Date.parse(k.split('@')[1] ?? '') > maxAgeMs);
    if (old.length) await client.hdel(SLOTS, ...old);
  }
}
