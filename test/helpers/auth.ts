import { randomBytes } from 'node:crypto';
import { generateApiKey, hashApiKey } from '../../src/domain/api-keys.ts';
import { shimSignature, shimStringToSign } from '../../src/http/identity/shim-signature.ts';
import type { TestDb } from './db.ts';

export const TEST_SHIM_SECRET = 'test-shim-secret-0123456789abcdef';
/** Demo data user ids: 1 administrator, 2 editor, 3.. subscribers. */
export const ADMIN_ID = 1;
export const EDITOR_ID = 2;
export const STUDENT_ID = 3;

/**
 * Headers the WordPress shim sends for `userId`, signed over method, path-with-query, body,
 * timestamp and nonce (the path must be exactly what the sidecar receives, query included).
 */
export function signedHeaders(opts: {
  method: string;
  path: string;
  body?: string;
  userId: number;
  secret?: string;
  timestamp?: number;
  nonce?: string;
  clientIp?: string;
}): Record<string, string> {
  const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
  const nonce = opts.nonce ?? randomBytes(16).toString('hex');
  const userId = String(opts.userId);
  const sig = shimSignature(
    opts.secret ?? TEST_SHIM_SECRET,
    shimStringToSign(opts.method, opts.path, opts.body ?? '', timestamp, nonce, userId),
  );
  return {
    'X-SLBP-User': userId,
    'X-SLBP-Timestamp': timestamp,
    'X-SLBP-Nonce': nonce,
    'X-SLBP-Signature': sig,
    ...(opts.clientIp ? { 'X-SLBP-Client-IP': opts.clientIp } : {}),
  };
}

/** Fetch options for a signed request from the shim as `userId` to `base + path`. */
export function asUser(userId: number, method: string, path: string, body?: unknown): RequestInit {
  const text = body === undefined ? undefined : JSON.stringify(body);
  return {
    method,
    headers: { ...signedHeaders({ method, path, body: text, userId }), ...(text ? { 'Content-Type': 'application/json' } : {}) },
    body: text,
  };
}

/** Inserts an API key row (sha256 hex stored) and returns the raw key. */
export async function createApiKey(
  db: TestDb,
  opts: { userId: number; permissions: string[]; rateLimit?: number; active?: boolean; expiresAt?: string | null; name?: string },
): Promise<{ key: string; id: number }> {
  const key = generateApiKey();
  const [res] = await db.pool.query<any>(
    `INSERT INTO ${db.prefix}slbp_api_keys (user_id, name, api_key, permissions, rate_limit, is_active, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    [
      opts.userId,
      opts.name ?? 'test key',
      hashApiKey(key),
      JSON.stringify(opts.permissions),
      opts.rateLimit ?? 1000,
      opts.active === false ? 0 : 1,
      opts.expiresAt ?? null,
    ],
  );
  return { key, id: res.insertId };
}
