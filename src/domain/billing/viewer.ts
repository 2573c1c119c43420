import { hash } from 'node:crypto';
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

/** Plain objects with their keys in code-unit order, so equal queries serialise alike. */
function sortedKeys(_k: string, v: unknown): unknown {
  if (!v || typeof v !== 'object' || Array.isArray(v) || v instanceof Date) return v;
  const keys = Object.keys(v).sort();
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = (v as Record<string, unknown>)[k];
  return out;
}

/** A short stable digest of a query object, for cache keys. */
export function queryDigest(q: unknown): string {
  return hash('sha1', JSON.stringify(q, sortedKeys)).slice(0, 20);
}
