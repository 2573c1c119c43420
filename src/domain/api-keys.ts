import { createHash, randomBytes } from 'node:crypto';
import { API_PERMISSIONS } from './caller.ts';

/** Prefix of keys this sidecar issues; helps secret scanners and support recognise them. */
export const API_KEY_PREFIX = 'slbp_';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function generateApiKey(): string {
  return `${API_KEY_PREFIX}${randomBytes(30).toString('base64url')}`;
}

/** `slbp_abcd…wxyz`: enough to recognise a key in a list, never enough to use it. */
export function maskApiKey(hashOrKey: string): string {
  return `${hashOrKey.slice(0, 8)}…${hashOrKey.slice(-4)}`;
}

/** Parses the permissions column (a JSON array; unknown names are dropped, not trusted). */
export function parsePermissions(raw: string | null): string[] {
  if (!raw) return [];
  try {
    const list = JSON.parse(raw);
    return Array.isArray(list)
      ? list.filter((p): p is string => typeof p === 'string' && (API_PERMISSIONS as readonly string[]).includes(p))
      : [];
  } catch {
    return [];
  }
}
