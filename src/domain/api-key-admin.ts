import type { ApiKeyRow, ApiKeysRepository } from '../data/api-keys-repository.ts';
import type { Queryable } from '../data/database.ts';
import type { UserRow, UsersRepository } from '../data/users-repository.ts';
import { generateApiKey, hashApiKey, maskApiKey, parsePermissions } from './api-keys.ts';
import { isoFromDb } from './billing/values.ts';
import { API_PERMISSIONS } from './caller.ts';

/** A request for a new key, as an administrator (page or CLI) gives it. */
export interface NewApiKeyInput {
  /** The owner: a user id, login or email. */
  user: string | number;
  name: string;
  permissions: string[];
  /** Requests per hour. */
  rateLimit: number;
  /** `YYYY-MM-DD` (the end of that day, UTC) or an ISO 8601 time; none = never expires. */
  expires?: string | null;
}

/** An input the administrator must correct: names the field, like rest_invalid_param. */
export class ApiKeyInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiKeyItem {
  id: number;
  user_id: number;
  name: string;
  fingerprint: string;
  permissions: string[];
  rate_limit: number;
  status: 'active' | 'revoked' | 'expired';
  last_used_at: string | null;
  expires_at: string | null;
  created_at: string | null;
}

/** A row as administrators see it: never the hash itself, only a fingerprint of it. */
export function apiKeyItem(r: ApiKeyRow, now = Date.now()): ApiKeyItem {
  const expired = r.expires_at !== null && Date.parse(`${r.expires_at.replace(' ', 'T')}Z`) <= now;
  return {
    id: Number(r.id),
    user_id: Number(r.user_id),
    name: r.name,
    fingerprint: maskApiKey(r.api_key),
    permissions: parsePermissions(r.permissions),
    rate_limit: Number(r.rate_limit),
    status: Number(r.is_active) !== 1 ? 'revoked' : expired ? 'expired' : 'active',
    last_used_at: isoFromDb(r.last_used_at),
    expires_at: isoFromDb(r.expires_at),
    created_at: isoFromDb(r.created_at),
  };
}

/** `YYYY-MM-DD` → the end of that day UTC; an ISO time as given; as a DATETIME string. */
function expiryOf(value: string): string {
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T23:59:59Z` : value);
  if (Number.isNaN(d.getTime())) throw new ApiKeyInputError('expires_at', 'must be a date (YYYY-MM-DD) or ISO 8601 time');
  if (d.getTime() <= Date.now()) throw new ApiKeyInputError('expires_at', 'must be in the future');
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * Creating, listing and revoking API keys for administrators (the Billing → API keys page and the
 * `api-keys` CLI). A new key is answered once: only its sha256 is stored. Revoking tells every
 * node (`changed`: the revocation version key), so it takes effect within a second.
 */
export class ApiKeyAdmin {
  constructor(
    private readonly keys: ApiKeysRepository,
    private readonly users: UsersRepository,
    private readonly db: { read: Queryable; write: Queryable },
    /** Tells every node that keys changed (they drop the keys they hold). */
    private readonly changed: () => Promise<void> = async () => undefined,
  ) {}

  async create(input: NewApiKeyInput): Promise<{ key: string; item: ApiKeyItem; user: UserRow }> {
    const name = input.name.trim();
    if (!name || name.length > 255) throw new ApiKeyInputError('name', 'must be 1 to 255 characters');
    const permissions = [...new Set(input.permissions.map((p) => p.trim()).filter(Boolean))];
    const unknown = permissions.filter((p) => !(API_PERMISSIONS as readonly string[]).includes(p));
    if (unknown.length || !permissions.length)
      throw new ApiKeyInputError('permissions', `unknown permission(s): ${unknown.join(', ') || '(none given)'}`);
    if (!Number.isInteger(input.rateLimit) || input.rateLimit < 1 || input.rateLimit > 1_000_000)
      throw new ApiKeyInputError('rate_limit', 'must be a whole number of requests per hour (1 to 1000000)');
    const expiresAt = input.expires ? expiryOf(input.expires) : null;
    const who = String(input.user).trim();
    const user = /^\d+$/.test(who)
      ? await this.users.findById(this.db.read, Number(who))
      : await this.users.findByLoginOrEmail(this.db.read, who);
    if (!user) throw new ApiKeyInputError('user', `no WordPress user "${who}"`);
    const key = generateApiKey();
    const id = await this.keys.insert(this.db.write, {
      userId: Number(user.ID),
      name,
      hash: hashApiKey(key),
      permissions,
      rateLimit: input.rateLimit,
      expiresAt,
    });
    const row = await this.keys.findById(this.db.write, id);
    return { key, item: apiKeyItem(row!), user };
  }

  async page(limit: number, offset: number): Promise<{ items: ApiKeyItem[]; total: number }> {
    const [rows, total] = await Promise.all([this.keys.listPage(this.db.read, limit, offset), this.keys.count(this.db.read)]);
    return { items: rows.map((r) => apiKeyItem(r)), total };
  }

  async all(): Promise<ApiKeyRow[]> {
    return this.keys.list(this.db.read);
  }

  /** Deactivates a key; null when there is no such key. */
  async revoke(id: number): Promise<ApiKeyItem | null> {
    if (!(await this.keys.revoke(this.db.write, id))) return null;
    await this.changed();
    const row = await this.keys.findById(this.db.write, id);
    return row && apiKeyItem(row);
  }
}
