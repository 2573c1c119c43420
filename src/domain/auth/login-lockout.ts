import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { RedisHandle } from '../../cache/redis.ts';

/**
 * Failures allowed inside the window (docs/decisions/0022-login-lockout-and-timing.md): per
 * account from one address, per account from all addresses together (then only addresses the
 * account signed in from may go on), and per address across all accounts.
 */
export const LOCKOUT_POLICY = {
  accountAddressFailures: 5,
  accountFailures: 10,
  addressFailures: 20,
  windowSec: 15 * 60,
  knownAddresses: 20,
  knownAddressDays: 90,
};

export type LockoutPolicy = typeof LOCKOUT_POLICY;

/** Who a sign-in attempt is against: the account the database found (by id), or, for a name that matches none, the name as the database compares it. */
export interface LoginSubject {
  key: string;
  userId: number | null;
}

/**
 * A name as MariaDB's `utf8mb4_unicode_*_ci` collations compare it, near enough: compatibility
 * forms folded (`ｓ` is `s`), accents and case dropped, `ß` as `ss`, trailing spaces ignored.
 * Only used for names that match no account, so that spelling variants of one unknown name count
 * together as they would for a real account.
 */
export function foldLoginName(name: string): string {
  return name.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/ß/g, 'ss').trim();
}

/** The subject of an attempt with `name`, which the database resolved to `userId` (or to no account). */
export function loginSubject(name: string, userId: number | null): LoginSubject {
  if (userId !== null) return { key: `acct:${userId}`, userId };
  return { key: `name:${createHash('sha256').update(foldLoginName(name)).digest('hex').slice(0, 32)}`, userId: null };
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);

/**
 * Counts failed sign-ins, pool-wide in Redis (INCR + EXPIRE) and in bounded in-process maps while
 * Redis is down (fixed-size keys: addresses and names are hashed). Failures are counted per
 * account and address, per account, and per address. An attacker's failures lock their own
 * addresses out of that account; when they come from many addresses and pass the account's own
 * limit, only addresses the account signed in from keep trying, so the owner is not locked out
 * by someone else's guesses. Names that match no account are counted exactly like accounts.
 */
export class LoginLockout {
  private readonly local = new LRUCache<string, { n: number; until: number }>({ max: 50_000 });
  private readonly localKnown = new LRUCache<string, true>({ max: 50_000, ttl: LOCKOUT_POLICY.knownAddressDays * 86_400_000 });

  constructor(
    private readonly redis: RedisHandle | null,
    private readonly policy: LockoutPolicy = LOCKOUT_POLICY,
  ) {}

  private addressKey(ip: string): string {
    return `lockout:ip:${sha(ip)}`;
  }

  private pairKey(s: LoginSubject, ip: string): string {
    return `lockout:${s.key}:ip:${sha(ip)}`;
  }

  private subjectKey(s: LoginSubject): string {
    return `lockout:${s.key}`;
  }

  private knownKey(s: LoginSubject): string {
    return `lockout:known:${s.key}`;
  }

  /** Seconds until this address may try any sign-in again (0: it may). Asked before the account is looked up. */
  async addressWait(ip: string): Promise<number> {
    return this.wait(this.addressKey(ip), this.policy.addressFailures);
  }

  /**
   * Seconds until this address may try this subject again: its own failures against it, or the
   * subject's failures from everywhere when the address is not one the account is known to use
   * (`known`, asked only then).
   */
  async subjectWait(s: LoginSubject, ip: string, known: () => Promise<boolean>): Promise<number> {
    const own = await this.wait(this.pairKey(s, ip), this.policy.accountAddressFailures);
    if (own > 0) return own;
    const all = await this.wait(this.subjectKey(s), this.policy.accountFailures);
    if (all === 0) return 0;
    return (await known()) ? 0 : all;
  }

  async recordFailure(s: LoginSubject, ip: string): Promise<void> {
    for (const key of [this.pairKey(s, ip), this.subjectKey(s), this.addressKey(ip)]) await this.incr(key);
  }

  /**
   * A successful sign-in clears this address's count against the account and remembers the
   * address as one the account uses; the account's and the address's totals stay (one address
   * may serve many users, and the owner signing in does not end an attack from elsewhere).
   */
  async recordSuccess(s: LoginSubject, ip: string): Promise<void> {
    const pair = this.pairKey(s, ip);
    this.local.delete(pair);
    this.localKnown.set(`${this.knownKey(s)}:${sha(ip)}`, true);
    if (!this.redis?.isReady()) return;
    const known = this.knownKey(s);
    const now = Date.now();
    try {
      await this.redis.client.del(pair);
      await this.redis.client.zadd(known, now, sha(ip));
      // Only the most recent addresses, and none unused for the retention period.
      await this.redis.client.zremrangebyrank(known, 0, -(this.policy.knownAddresses + 1));
      await this.redis.client.zremrangebyscore(known, 0, now - this.policy.knownAddressDays * 86_400_000);
      await this.redis.client.expire(known, this.policy.knownAddressDays * 86_400);
    } catch {
      // this node remembers it; the pool-wide record is best effort
    }
  }

  /** Whether the account signed in from this address (through the sidecar) within the retention period. */
  async knows(s: LoginSubject, ip: string): Promise<boolean> {
    if (this.localKnown.has(`${this.knownKey(s)}:${sha(ip)}`)) return true;
    if (!this.redis?.isReady()) return false;
    try {
      const at = await this.redis.client.zscore(this.knownKey(s), sha(ip));
      return at !== null && Number(at) > Date.now() - this.policy.knownAddressDays * 86_400_000;
    } catch {
      return false;
    }
  }

  private async wait(key: string, max: number): Promise<number> {
    const { n, ttl } = await this.read(key);
    return n >= max ? Math.max(ttl, 1) : 0;
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
