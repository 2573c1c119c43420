/**
 * Every cache key the sidecar uses, in one place. The schema version is part of each key, so a
 * deploy that changes a cached value's shape never reads values written by the previous one
 * (the old entries simply expire).
 *
 * A key that belongs to one owner puts that owner's tag in braces (`v2:{user:42}:identity`): in
 * a Redis Cluster the value and the tag's member set (`t:{user:42}`) then hash to the same slot
 * and are written in one MULTI. In Redis both carry the site key inside the braces too
 * (`{<site>:user:42}`, see `siteHashTag`). The sidecar's key prefix must not contain braces.
 *
 * Tag vocabulary (invalidate a tag to drop every key carrying it, on every node):
 * - `user:{id}`  anything scoped to one WordPress user: identity, their billing lists, summary,
 *                dashboard, enrolments, notifications.
 * - `billing`    cross-user billing reads (admin lists, totals).
 * - `analytics`  analytics results.
 * - `options`    decoded wp_options (also makes every node re-read them).
 */
// 2: a user's identity carries the stamp of their password hash (#25).
export const CACHE_SCHEMA_VERSION = 2;

const v = (key: string) => `v${CACHE_SCHEMA_VERSION}:${key}`;

export const cacheKeys = {
  /** Roles and capabilities of a WordPress user; tag `user:{id}`. */
  userIdentity: (userId: number) => v(`{user:${userId}}:identity`),
  /** A billing list or aggregate for one scope (`user:{id}` or `all`) and a canonical query; tag `user:{id}` or `billing`. */
  billingQuery: (kind: string, scope: string, query: string) => v(`billing:${kind}:{${scope}}:${query}`),
  /** One billing row by id (transactions, subscriptions); tag `billing`. */
  billingItem: (kind: string, id: number) => v(`billing:${kind}:item:${id}`),
  /** An analytics result for a canonical query; tag `analytics`, with a TTL. */
  analytics: (kind: string, query: string) => v(`analytics:${kind}:${query}`),
  /** Business and queue counts behind /metrics (reused at most 30 s); tag `billing`. */
  metricsBusiness: () => v('metrics:business'),
};

export const cacheTags = {
  user: (userId: number) => `user:${userId}`,
  billing: 'billing',
  analytics: 'analytics',
  options: 'options',
  /** What a change to one user's transactions, subscriptions or enrolments must drop. */
  billingChange: (userId: number) => [`user:${userId}`, 'billing', 'analytics'],
};

/** The tag whose invalidation also makes every node re-read wp_options. */
export const OPTIONS_TAG = cacheTags.options;

/** Whether `tag` is well formed (`name` or `name:id`); the invalidation route rejects others. */
export function isValidTag(tag: string): boolean {
  return tag.length <= 100 && /^[a-z_]+(?::[A-Za-z0-9_.-]+)?$/.test(tag);
}

/** A Redis Cluster hash tag that carries the site key: `{<site>:<tag>}`. */
export const siteHashTag = (site: string, tag: string): string => `{${site}:${tag}}`;

/** `key` with its hash tag (if any) carrying the site key, so two sites never share a tag. */
export function withSiteHashTag(key: string, site: string): string {
  const tag = hashTagOf(key);
  if (tag === null) return key;
  const open = key.indexOf(`{${tag}}`);
  return `${key.slice(0, open)}${siteHashTag(site, tag)}${key.slice(open + tag.length + 2)}`;
}

/** Redis name of a cached value (the connection adds the sidecar's prefix and site namespace). */
export const valueKey = (key: string, site: string): string => `c:${withSiteHashTag(key, site)}`;

/** Redis name of a tag's member set; the braces put it in the slot of keys tagged `{tag}`. */
export const tagSetKey = (tag: string, site: string): string => `t:${siteHashTag(site, tag)}`;

/** Pub/sub channel of the invalidation bus, inside the site's namespace (`RedisHandle.channel`). */
export const INVALIDATION_CHANNEL = 'bus:invalidate';

/** The cluster hash tag of a key (its first non-empty `{...}`), as Redis computes it. */
export function hashTagOf(key: string): string | null {
  const open = key.indexOf('{');
  if (open < 0) return null;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : null;
}
