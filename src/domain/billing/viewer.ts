import { hash } from 'node:crypto';
import { Memo } from '../../cache/memo.ts';
import { cacheTags } from '../../cache/keys.ts';
import { isAdmin, type Caller } from '../caller.ts';

/** Whose billing rows a caller may see: admins everything, everyone else only their own. */
export interface Viewer {
  userId: number | null;
  admin: boolean;
}

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

/**
 * JSON with the keys of plain objects in code-unit order, so equal queries serialise alike
 * whatever order their keys were set in (what JSON.stringify with a sorting replacer gives, at
 * a fraction of the cost: a replacer is a call per value). Dates are written as toJSON does.
 */
function canonicalJson(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object') return v === undefined || typeof v === 'function' ? undefined : JSON.stringify(v);
  if (v instanceof Date) return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x) ?? 'null').join(',')}]`;
  const parts: string[] = [];
  for (const k of Object.keys(v).sort()) {
    const item = canonicalJson((v as Record<string, unknown>)[k]);
    if (item !== undefined) parts.push(`${JSON.stringify(k)}:${item}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * Digests by the query's plain JSON (cheap to write; equal queries built alike repeat it exactly).
 * Queries come validated, from callers a route let in; bounded in bytes all the same.
 */
const digests = new Memo<string, string>(4096, 512 * 1024, (plain) => 2 * plain.length + 120);

/** A short stable digest of a query object, for cache keys. */
export function queryDigest(q: unknown): string {
  const plain = JSON.stringify(q) ?? 'undefined';
  let digest = digests.get(plain);
  if (digest === undefined) {
    digest = hash('sha1', canonicalJson(q) ?? 'undefined').slice(0, 20);
    digests.set(plain, digest);
  }
  return digest;
}
