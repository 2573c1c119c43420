import ratelimit from 'koa-ratelimit';
import type { RedisHandle } from '../../cache/redis.ts';
import type { Caller } from '../../domain/caller.ts';
import type { Logger } from '../../observability/logger.ts';
import { SidecarError } from '../../errors.ts';
import type { AppContext } from '../route.ts';

export type ZoneName = 'general' | 'api' | 'auth' | 'api_key' | 'failed_auth';

/** Called once per rejected request, e.g. to count rejections per zone in metrics. */
export type RateLimitObserver = (zone: ZoneName) => void;

/**
 * nginx-style "rate r/s, burst b" as a sliding window: at most `rate + burst` requests in any
 * `(rate + burst) / rate` seconds. A burst of rate+burst passes at once and the long-run average
 * stays at `rate` (auth: 6 at once, then 1 per second; api: 30 at once, then 10 per second).
 * See docs/decisions/0010-rate-limits.md.
 */
export function burstZone(rate: number, burst: number): { max: number; durationMs: number } {
  const max = rate + burst;
  return { max, durationMs: Math.round((max / rate) * 1000) };
}

/**
 * `failed_auth` counts credentials that were refused (401), per address: 10 a minute. It is
 * stricter than the others because a wrong API key, token or signature costs a lookup each time
 * and has no legitimate reason to repeat (docs/decisions/0010-rate-limits.md).
 */
export const ZONES = { api: burstZone(10, 20), auth: burstZone(1, 5), failedAuth: { max: 10, durationMs: 60_000 } };

/** A Map that forgets its oldest entries past `limit`, so per-process fallback limits stay bounded. */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly limit: number) {
    super();
  }

  override set(key: K, value: V): this {
    if (!this.has(key) && this.size >= this.limit) this.delete(this.keys().next().value as K);
    return super.set(key, value);
  }
}

export interface RateLimitOptions {
  redis: RedisHandle | null;
  /** `rate_limit_general` (requests per minute per client) from slbp_performance_config. */
  generalPerMinute: () => number;
  observers: RateLimitObserver[];
  logger: Logger;
  /** Entries kept per zone by the in-process fallback. */
  fallbackEntries?: number;
}

/** Who a limit counts against: the verified identity, else the client address. */
export function limitKey(caller: Caller, ip: string): string {
  if (caller.kind === 'user') return `user:${caller.userId}`;
  if (caller.kind === 'api_key') return `key:${caller.keyId}`;
  return `ip:${ip}`;
}

/** The rate limits: the zones of every request's route, and the failed-credential zone around identity. */
export interface RateLimiter {
  /**
   * After identity: counts the request in the zones of the route it matched (`general`, `api`, an
   * API key's hourly limit, `auth` for sign-in routes; none for routes marked `exempt`) and
   * throws the 429 of the first one it is over. Nothing to wait for when nothing is counted.
   */
  limit(ctx: AppContext): Promise<void> | undefined;
  /**
   * Before any credential is checked: refuses (429) a request from an address this node saw go
   * over the failed-credential zone, so a flood of bad keys stops costing lookups. Synchronous.
   */
  admit(ctx: AppContext): void;
  /**
   * After a credential was refused (401): counts the failure in the address's `failed_auth`
   * zone and the request in its `general` and `api` zones. Throws the 429 when one of them is
   * now over its limit; otherwise resolves and the caller answers the 401.
   */
  failed(ctx: AppContext): Promise<void>;
}

type Zone = [ZoneName, string, number, number];

/**
 * The zones every node shares through Redis (koa-ratelimit's Redis driver): `general` and `api`
 * for every route, `auth` on sign-in routes (keyed on the address), each API key's hourly
 * `rate_limit`, and `failed_auth` for refused credentials (keyed on the address, counted before
 * the request could reach the routes). Probes marked `exempt` and WordPress itself (the signed
 * shim as user 0) are never limited. While Redis is down each node enforces the same limits in a
 * bounded in-process map. Rejections are WordPress-shaped 429s.
 */
export function rateLimit(opts: RateLimitOptions): RateLimiter {
  const limiters = new Map<string, ReturnType<typeof ratelimit>>();
  const memory = new Map<string, BoundedMap<unknown, unknown>>();
  /** Addresses over the failed-credential zone, and until when (ms): this node's view, filled by its own refusals. */
  const blocked = new BoundedMap<string, number>(opts.fallbackEntries ?? 50_000);
  let lastWarn = 0;

  const limiterFor = (zone: ZoneName, driver: 'redis' | 'memory', max: number, duration: number) => {
    const name = `${zone}:${driver}:${max}:${duration}`;
    let mw = limiters.get(name);
    if (!mw) {
      if (!memory.has(zone)) memory.set(zone, new BoundedMap(opts.fallbackEntries ?? 50_000));
      mw = ratelimit({
        driver,
        db: (driver === 'redis' ? opts.redis!.client : memory.get(zone)!) as never,
        namespace: `ratelimit:${zone}`,
        duration,
        max,
        id: (ctx: AppContext) => (ctx.state as { rateLimitId?: string }).rateLimitId ?? false,
      } as never);
      limiters.set(name, mw);
    }
    return mw;
  };

  /** True when the request may pass this zone; on refusal ctx holds koa-ratelimit's headers. */
  const check = async (ctx: AppContext, zone: ZoneName, id: string, max: number, duration: number): Promise<boolean> => {
    (ctx.state as { rateLimitId?: string }).rateLimitId = id;
    let passed = false;
    const pass = async () => {
      passed = true;
    };
    if (opts.redis?.isReady()) {
      try {
        await limiterFor(zone, 'redis', max, duration)(ctx as never, pass);
        return passed;
      } catch (err) {
        if (Date.now() - lastWarn > 30_000) {
          lastWarn = Date.now();
          opts.logger.warn('rate limits fall back to per-process counts (redis failed)', { error: (err as Error).message });
        }
      }
    }
    await limiterFor(zone, 'memory', max, duration)(ctx as never, pass);
    return passed;
  };

  const refuse = (ctx: AppContext, zone: ZoneName, retryAfter: number): SidecarError => {
    ctx.set('Retry-After', String(retryAfter));
    for (const observe of opts.observers) observe(zone);
    return new SidecarError(
      'slbp_rate_limited',
      `Too many requests. Please retry in ${retryAfter} second${retryAfter === 1 ? '' : 's'}.`,
      429,
      { retry_after: retryAfter, zone },
    );
  };

  /** Counts the request in each zone in turn; throws the 429 of the first one it is over. */
  const enforce = async (ctx: AppContext, zones: Zone[]): Promise<void> => {
    for (const [zone, id, max, duration] of zones) {
      if (await check(ctx, zone, id, max, duration)) continue;
      const retryAfter = Math.max(1, Number(ctx.response.get('Retry-After')) || 1);
      if (zone === 'failed_auth') blocked.set(ctx.state.origin.ip, Date.now() + retryAfter * 1000);
      throw refuse(ctx, zone, retryAfter);
    }
    delete (ctx.state as { rateLimitId?: string }).rateLimitId;
  };

  /** The `general` and `api` zones of a caller. */
  const common = (who: string): Zone[] => {
    const general = Math.floor(opts.generalPerMinute());
    return [...(general > 0 ? [['general', who, general, 60_000] as Zone] : []), ['api', who, ZONES.api.max, ZONES.api.durationMs]];
  };

  const limit = (ctx: AppContext): Promise<void> | undefined => {
    // The matched route's zone; a request that matched no route counts in the defaults.
    const kind = ctx.state.route?.rateLimit;
    const caller = ctx.state.caller;
    // WordPress itself (signed shim request, user 0: cache invalidation hooks) is never limited.
    if (kind === 'exempt' || ctx.method === 'OPTIONS' || caller.kind === 'system') return undefined;
    const who = limitKey(caller, ctx.state.origin.ip);
    const zones: Zone[] = [];
    if (caller.kind === 'api_key' && caller.rateLimitPerHour > 0) zones.push(['api_key', who, caller.rateLimitPerHour, 3_600_000]);
    zones.push(...common(who));
    // Sign-in attempts are anonymous by nature: count them per address.
    if (kind === 'auth') zones.push(['auth', `ip:${ctx.state.origin.ip}`, ZONES.auth.max, ZONES.auth.durationMs]);
    return enforce(ctx, zones);
  };

  return {
    limit,
    admit(ctx) {
      const ip = ctx.state.origin.ip;
      const until = blocked.get(ip);
      if (until === undefined) return;
      const wait = Math.ceil((until - Date.now()) / 1000);
      if (wait > 0) throw refuse(ctx, 'failed_auth', wait);
      blocked.delete(ip);
    },
    failed(ctx) {
      const who = `ip:${ctx.state.origin.ip}`;
      return enforce(ctx, [['failed_auth', who, ZONES.failedAuth.max, ZONES.failedAuth.durationMs], ...common(who)]);
    },
  };
}
