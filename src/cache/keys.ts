/**
 * Every cache key the sidecar uses, in one place. The schema version is part of each key, so a
 * deploy that changes a cached value's shape never reads values written by the previous one.
 *
 * Tag vocabulary (invalidate a tag to drop every key carrying it):
 * - `user:{id}`  anything scoped to one WordPress user: identity, their billing lists, summary,
 *                dashboard, enrolments, notifications.
 * - `billing`    cross-user billing reads (admin lists, totals).
 * - `analytics`  analytics results.
 * - `options`    decoded wp_options (also makes every node re-read them).
 */
export const CACHE_SCHEMA_VERSION = 1;

const v = (key: string) => `v${CACHE_SCHEMA_VERSION}:${key}`;

export const cacheKeys = {
  /** Roles and capabilities of a WordPress user; tag `user:{id}`. */
  userIdentity: (userId: number) => v(`user:${userId}:identity`),
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
