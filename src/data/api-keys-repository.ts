import type { Queryable } from './database.ts';
import type { Tables } from './tables.ts';

export interface ApiKeyRow {
  id: number;
  user_id: number;
  name: string;
  api_key: string;
  permissions: string;
  rate_limit: number;
  is_active: number;
  last_used_at: string | null;
  expires_at: string | null;
  created_at: string | null;
}

/** `{prefix}slbp_api_keys`; the api_key column holds the sha256 hex of the key, never the key. */
export class ApiKeysRepository {
  constructor(private readonly tables: Tables) {}

  private get t(): string {
    return `\`${this.tables.slbp.api_keys}\``;
  }

  async findByHash(q: Queryable, hash: string): Promise<ApiKeyRow | null> {
    const rows = await q.query<ApiKeyRow[]>(`SELECT * FROM ${this.t} WHERE api_key = ?`, [hash]);
    return rows[0] ?? null;
  }

  async insert(
    q: Queryable,
    row: { userId: number; name: string; hash: string; permissions: string[]; rateLimit: number; expiresAt: string | null },
  ): Promise<number> {
    const res = await q.query<{ insertId: number }>(
      `INSERT INTO ${this.t} (user_id, name, api_key, permissions, rate_limit, is_active, expires_at, created_at) VALUES (?, ?, ?, ?, ?, 1, ?, UTC_TIMESTAMP())`,
      [row.userId, row.name, row.hash, JSON.stringify(row.permissions), row.rateLimit, row.expiresAt],
    );
    return res.insertId;
  }

  async list(q: Queryable): Promise<ApiKeyRow[]> {
    return q.query<ApiKeyRow[]>(`SELECT * FROM ${this.t} ORDER BY id`);
  }

  /** Newest first, one page. */
  async listPage(q: Queryable, limit: number, offset: number): Promise<ApiKeyRow[]> {
    return q.query<ApiKeyRow[]>(`SELECT * FROM ${this.t} ORDER BY id DESC LIMIT ? OFFSET ?`, [limit, offset]);
  }

  async count(q: Queryable): Promise<number> {
    const rows = await q.query<{ n: number | string }[]>(`SELECT COUNT(*) AS n FROM ${this.t}`);
    return Number(rows[0]?.n ?? 0);
  }

  async findById(q: Queryable, id: number): Promise<ApiKeyRow | null> {
    const rows = await q.query<ApiKeyRow[]>(`SELECT * FROM ${this.t} WHERE id = ?`, [id]);
    return rows[0] ?? null;
  }

  async revoke(q: Queryable, id: number): Promise<boolean> {
    const res = await q.query<{ affectedRows: number }>(`UPDATE ${this.t} SET is_active = 0 WHERE id = ?`, [id]);
    return res.affectedRows > 0;
  }

  /** Records use, at most once a minute per key (the WHERE clause makes concurrent nodes agree). */
  async touch(q: Queryable, id: number): Promise<void> {
    await q.query(
      `UPDATE ${this.t} SET last_used_at = UTC_TIMESTAMP() WHERE id = ? AND (last_used_at IS NULL OR last_used_at < UTC_TIMESTAMP() - INTERVAL 60 SECOND)`,
      [id],
    );
  }
}
