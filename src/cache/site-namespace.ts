import { createHash } from 'node:crypto';
import type { ServerIdentity } from '../data/probes.ts';
import type { CheckResult } from '../observability/checks.ts';
import { describeSite, type SiteIdentity } from '../config/site-identity.ts';
import type { Logger } from '../observability/logger.ts';
import type { NamespaceState, RedisHandle } from './redis.ts';

/**
 * Who uses a site's Redis namespace: `<namespace>site`, held while one of the site's nodes is
 * alive (a lease every node renews). The site key comes from the database name and table prefix
 * only, so a copy of the site on another database server with the same names would land in the
 * same namespace; the claim, which names the server, is what catches that (docs/decisions/0024-site-identity.md).
 */
export interface NamespaceClaim {
  site_key: string;
  database: string;
  table_prefix: string;
  /** The database server as it names itself (`@@hostname:@@port`). */
  server: string;
  site_url: string | null;
  claimed_by: string;
  at: string;
}

export interface NamespaceCheck {
  /** `free`: nobody holds it (inspect only); `conflict`: another site does. */
  state: 'ours' | 'free' | 'conflict';
  namespace: string;
  holder: NamespaceClaim | null;
}

export interface Claimant {
  site: SiteIdentity;
  server: ServerIdentity;
  node: string;
  siteUrl: string | null;
}

const CLAIM_KEY = 'site';
export const CLAIM_TTL_MS = 60_000;

// Takes the claim when free, renews it when it carries our fingerprint, else answers the holder's.
const CLAIM = `local v = redis.call('GET', KEYS[1])
if v == false or string.sub(v, 1, #ARGV[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1] .. ARGV[2], 'PX', ARGV[3])
  return false
end
return v`;

/** Same database, prefix and server: the same site. The separator ends it, so no fingerprint prefixes another. */
function fingerprint(c: Claimant): string {
  return `${createHash('sha256').update(`${c.server.uid}\0${c.site.database}\0${c.site.tablePrefix}`).digest('hex').slice(0, 16)}\n`;
}

function claimOf(c: Claimant): NamespaceClaim {
  return {
    site_key: c.site.key,
    database: c.site.database,
    table_prefix: c.site.tablePrefix,
    server: c.server.server,
    site_url: c.siteUrl,
    claimed_by: c.node,
    at: new Date().toISOString(),
  };
}

function parse(value: string): NamespaceClaim | null {
  try {
    return JSON.parse(value.slice(value.indexOf('\n') + 1)) as NamespaceClaim;
  } catch {
    return null;
  }
}

/** Claims or renews the site's namespace; `conflict` (with the holder) when another site holds it. */
export async function claimRedisNamespace(redis: RedisHandle, me: Claimant, ttlMs = CLAIM_TTL_MS): Promise<NamespaceCheck> {
  const other = (await redis.client.eval(CLAIM, 1, CLAIM_KEY, fingerprint(me), JSON.stringify(claimOf(me)), String(ttlMs))) as
    string | null;
  return other === null
    ? { state: 'ours', namespace: redis.keyPrefix, holder: claimOf(me) }
    : { state: 'conflict', namespace: redis.keyPrefix, holder: parse(other) };
}

/** Reads who holds the site's namespace without claiming it ("is this Redis prefix this site's?"). */
export async function inspectRedisNamespace(redis: RedisHandle, me: Claimant): Promise<NamespaceCheck> {
  const value = await redis.client.get(CLAIM_KEY);
  if (value === null) return { state: 'free', namespace: redis.keyPrefix, holder: null };
  return { state: value.startsWith(fingerprint(me)) ? 'ours' : 'conflict', namespace: redis.keyPrefix, holder: parse(value) };
}

/**
 * Keeps this node's Redis use to the site's own namespace: claims it when Redis connects and
 * renews it every `everyMs`. While another site holds it, `RedisHandle.isReady()` is false, so
 * every Redis user falls back to its in-process or database path instead of sharing.
 */
export class NamespaceGuard {
  readonly name = 'redis-namespace-guard';
  private server: ServerIdentity | null = null;
  private holder: NamespaceClaim | null = null;
  private lastError: string | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly redis: RedisHandle,
    private readonly site: SiteIdentity,
    private readonly serverOf: () => Promise<ServerIdentity>,
    private readonly node: string,
    private readonly siteUrl: () => string | null,
    private readonly logger: Logger,
    private readonly everyMs = 20_000,
    private readonly ttlMs = CLAIM_TTL_MS,
  ) {
    redis.setNamespaceState('unverified', `namespace ${redis.keyPrefix} not claimed yet`);
    redis.client.on('ready', () => {
      void this.verify();
    });
  }

  /** Claims or renews now; resolves to the namespace state (unchanged when Redis or the database is down). */
  async verify(): Promise<NamespaceState> {
    if (!this.redis.isConnected()) return this.redis.namespaceState;
    try {
      this.server = await this.serverOf();
    } catch (err) {
      // A database blip keeps the last known server; without one the namespace stays unverified.
      this.lastError = `cannot ask the database server who it is: ${(err as Error).message}`;
      if (!this.server) return this.redis.namespaceState;
    }
    try {
      const check = await claimRedisNamespace(
        this.redis,
        { site: this.site, server: this.server, node: this.node, siteUrl: this.siteUrl() },
        this.ttlMs,
      );
      this.lastError = null;
      this.apply(check);
    } catch (err) {
      this.lastError = `cannot claim the namespace: ${(err as Error).message}`;
    }
    return this.redis.namespaceState;
  }

  private apply(check: NamespaceCheck): void {
    const was = this.redis.namespaceState;
    this.holder = check.holder;
    if (check.state !== 'conflict') {
      if (was === 'conflict') this.logger.warn("the redis namespace is this site's again; using Redis", { namespace: check.namespace });
      this.redis.setNamespaceState('ours');
      return;
    }
    const holder = check.holder ? describeSite(check.holder) : 'an unreadable claim';
    const reason =
      `Redis namespace ${check.namespace} is in use by another site (${holder}); this site is ${describeSite(this.me())}. ` +
      'Not sharing it: give one of the two sites its own SLBP_REDIS_PREFIX (after a database failover this clears itself within a minute).';
    if (was !== 'conflict')
      this.logger.error('redis namespace in use by a different site: running on the in-process cache instead of sharing it', {
        namespace: check.namespace,
        holder: check.holder,
        site: this.me(),
      });
    this.redis.setNamespaceState('conflict', reason);
  }

  private me() {
    return {
      site_key: this.site.key,
      database: this.site.database,
      table_prefix: this.site.tablePrefix,
      server: this.server?.server ?? null,
    };
  }

  /** Claims once Redis is connected (waiting at most `waitMs`), then renews every `everyMs`. */
  async start(waitMs = 1000): Promise<void> {
    if (!this.redis.isConnected())
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, waitMs);
        this.redis.client.once('ready', () => {
          clearTimeout(t);
          resolve();
        });
      });
    await this.verify();
    this.timer = setInterval(() => {
      void this.verify();
    }, this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The `site_identity` section of /health/detailed. */
  detail(): CheckResult {
    const state = this.redis.namespaceState;
    const message =
      state === 'ours'
        ? `Redis namespace ${this.redis.keyPrefix} belongs to this site`
        : state === 'conflict'
          ? `Redis namespace in use by another site: ${describeSite(this.holder ?? { database: '?', table_prefix: '?' })}`
          : `Redis namespace not verified yet${this.lastError ? ` (${this.lastError})` : ''}`;
    return {
      healthy: state === 'ours',
      message,
      ...this.me(),
      redis_namespace: this.redis.keyPrefix,
      namespace_state: state,
      holder: state === 'conflict' ? this.holder : null,
      error: this.lastError,
    };
  }
}
