import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { RedisHandle } from '../../cache/redis.ts';

/** Failures allowed inside the window before a username or an address is locked out. */
export const LOCKOUT_POLICY = { usernameFailures: 5, addressFailures: 20, windowSec: 15 * 60 };

/**
 * Counts failed logins per username and per client address, pool-wide in Redis (INCR + EXPIRE)
 * and in a bounded in-process map while Redis is down. Unknown usernames are counted exactly like
 * known ones, so a lockout reveals nothing about which accounts exist.
 */
export class LoginLockout {
  private readonly local = new LRUCache<string, { n: number; until: number }>({ max: 50_000 });

  constructor(private readonly redis: RedisHandle | null, private readonly policy = LOCKOUT_POLICY) {}

  private keys(username: string, ip: string): [string, number][] {
    const user = createHash('sha256').update(username.trim().toLowerCase()).digest('hex').slice(0, 32);
    return [[`lockout:user:${user}`, this.policy.usernameFailures], [`lockout:ip:${ip}`, this.policy.addressFailures]];
  }

  /** Seconds until the caller may try again, or 0 when neither the name nor the address is locked. */
  async retryAfter(username: string, ip: string): Promise<number> {
    let wait = 0;
    for (const [key, max] of this.keys(username, ip)) {
      const { n, ttl } = await this.read(key);
      if (n >= max) wait = Math.max(wait, Math.max(ttl, 1));
    }
    return wait;
  }

  async recordFailure(username: string, ip: string): Promise<void> {
    for (const [key] of this.keys(username, ip)) await this.incr(key);
  }

  /** A successful login clears the username's count (not the address's: one address, many users). */
  async recordSuccess(username: string, ip: string): Promise<void> {
    const [userKey] = this.keys(username, ip)[0]!;
    this.local.delete(userKey);
    if (this.redis?.isReady()) await this.redis.client.del(userKey).catch(() => 0);
  }

  private async read(key: string): Promise<{ n: number; ttl: number }> {
    if (this.redis?.isReady()) {
      try {
        const [n, ttl] = await Promise.all([this.redis.client.get(key), this.redis.client.ttl(key)]);
        return { n: Number(n ?? 0), ttl: Math.max(Number(ttl), 0) };
      } catch {
        // fall back to this node's counts
      }
    }
    const e = this.local.get(key);
    if (!e || e.until <= Date.now()) return { n: 0, ttl: 0 };
    return { n: e.n, ttl: Math.ceil((e.until - Date.now()) / 1000) };
  }

  private async incr(key: string): Promise<void> {
    if (this.redis?.isReady()) {
      try {
        const n = await this.redis.client.incr(key);
        if (n === 1) await this.redis.client.expire(key, this.policy.windowSec);
        return;
      } catch {
        // fall back to this node's counts
      }
    }
    const e = this.local.get(key);
    if (!e || e.until <= Date.now()) this.local.set(key, { n: 1, until: Date.now() + this.policy.windowSec * 1000 });
    else e.n++;
  }
}
