import { createHash } from 'node:crypto';
import { cacheTags } from '../../cache/keys.ts';
import { isAdmin, type Caller } from '../caller.ts';

/** Whose billing rows a caller may see: admins everything, everyone else only their own. */
export interface Viewer { userId: number | null; admin: boolean }

export function viewerOf(caller: Caller): Viewer {
  if (caller.kind === 'user' || caller.kind === 'api_key') return { userId: caller.userId, admin: isAdmin(caller) };
  return { userId: null, admin: false };
}

/** Whether the viewer may see a row owned by `ownerId`. */
export function canSee(v: Viewer, ownerId: number | string): boolean {
  return v.admin || (v.userId !== null && Number(ownerId) === v.userId);
}

/** Cache scope and tags for a query restricted to `userId` (or across users when undefined). */
export function scopeOf(userId: number | undefined): { scope: string; tags: string[] } {
  return userId === undefined ? { scope: 'all', tags: [cacheTags.billing] } : { scope: `user:${userId}`, tags: [cacheTags.user(userId)] };
}

/** A short stable digest of a query object, for cache keys. */
export function queryDigest(q: unknown): string {
  const canonical = JSON.stringify(q, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));
  return createHash('sha1').update(canonical).digest('hex').slice(0, 20);
}
