/**
 * Every cache key the sidecar uses, in one place. The schema version is part of each key, so a
 * deploy that changes a cached value's shape never reads values written by the previous one.
 */
export const CACHE_SCHEMA_VERSION = 1;

const v = (key: string) => `v${CACHE_SCHEMA_VERSION}:${key}`;

export const cacheKeys = {
  /** Roles and capabilities of a WordPress user; tag `user:{id}`. */
  userIdentity: (userId: number) => v(`user:${userId}:identity`),
};
