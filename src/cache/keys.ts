/**
 * Every cache key and tag the sidecar uses, in one place.
 *
 * Keys are logical names; the cache stores them in Redis as `c:v{CACHE_SCHEMA_VERSION}:{key}`
 * under the sidecar's prefix, so a deploy that changes a value's shape bumps the version and
 * never reads what the previous shape wrote (the old entries simply expire).
 *
 * A key that belongs to one tag wraps that tag in braces (`users:caps:{user:42}`): in a Redis
 * Cluster the value and the tag's member set (`t:{user:42}`) then hash to the same slot, so they
 * are written together in one MULTI. Keys shared by many owners carry no hash tag and spread.
 *
 * Tag vocabulary (invalidating a tag drops every key that carries it, on every node):
 * - `user:{id}`        anything derived from one WordPress user (roles, capabilities, their rows)
 * - `options`          decoded wp_options the sidecar honours; also makes every node re-read them
 * - `transactions`     reads over wp_slbp_transactions (lists, totals, invoices)
 * - `subscriptions`    reads over wp_slbp_subscriptions
 * - `analytics`        revenue and subscription aggregates
 * - `notifications`    reads over wp_slbp_notifications
 */

/** Bump when the shape of any cached value changes. */
export const CACHE_SCHEMA_VERSION = 1;

export const TAGS = {
  options: 'options',
  transactions: 'transactions',
  subscriptions: 'subscriptions',
  analytics: 'analytics',
  notifications: 'notifications',
  user: (id: number): string => `user:${id}`,
} as const;

/** The tag whose invalidation also makes every node re-read wp_options. */
export const OPTIONS_TAG = TAGS.options;

const TAG_RE = /^[a-z_]+(?::[A-Za-z0-9_.-]+)?$/;

/** Whether `tag` is well formed (`name` or `name:id`); the route rejects anything else. */
export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag) && tag.length <= 100;
}

/** Logical key names (not Redis names: the cache adds prefix and version). */
export const cacheKeys = {
  /** Raw rows of the wp_options the sidecar reads (SiteSettings). Tag: options. */
  siteOptions: (): string => `options:site:{${TAGS.options}}`,
  /** A user's roles and capabilities as resolved for identity. Tag: user:{id}. */
  userCapabilities: (userId: number): string => `users:caps:{${TAGS.user(userId)}}`,
} as const;

/** Redis name of a cached value (without the connection's key prefix). */
export const valueKey = (key: string, version = CACHE_SCHEMA_VERSION): string => `c:v${version}:${key}`;

/** Redis name of a tag's member set; the braces make it share a slot with its primary keys. */
export const tagSetKey = (tag: string): string => `t:{${tag}}`;

/** Pub/sub channel of the invalidation bus (channels are not prefixed by ioredis: add it here). */
export const invalidationChannel = (prefix: string): string => `${prefix}bus:invalidate`;

/** The cluster hash tag of a logical key (the first `{...}`), as Redis computes it. */
export function hashTagOf(key: string): string | null {
  const open = key.indexOf('{');
  if (open < 0) return null;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : null;
}
