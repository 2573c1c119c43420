import { createHash } from 'node:crypto';
import type { Queryable } from './database.ts';
import type { Tables } from './tables.ts';

/** Name prefix of the records in `{prefix}options`; the rest is a sha256 of the subscription's gateway and id. */
export const RESUME_STATE_PREFIX = '_slbp_sub_resume_';

/**
 * What a subscription was before the sidecar cancelled it (its status and expiry) and what the
 * cancel made of it (so a record that no longer describes the row is not used). Kept in
 * `{prefix}options`, autoload off, like the webhook ledger: the plugin's subscriptions table has
 * no column for it.
 */
export interface ResumeState {
  status: string;
  expires_at: string | null;
  cancelled: { expires_at: string | null; updated_at: string | null };
}

export class ResumeStatesRepository {
  constructor(private readonly tables: Tables) {}

  private name(gateway: string, subscriptionId: string): string {
    return `${RESUME_STATE_PREFIX}${createHash('sha256').update(`${gateway}\n${subscriptionId}`).digest('hex').slice(0, 40)}`;
  }

  async save(q: Queryable, gateway: string, subscriptionId: string, state: ResumeState): Promise<void> {
    await q.query(
      `INSERT INTO \`${this.tables.core.options}\` (option_name, option_value, autoload) VALUES (?, ?, 'no')
       ON DUPLICATE KEY UPDATE option_value = VALUES(option_value)`,
      [this.name(gateway, subscriptionId), JSON.stringify(state)],
    );
  }

  async load(q: Queryable, gateway: string, subscriptionId: string): Promise<ResumeState | null> {
    const rows = await q.query<{ option_value: string }[]>(
      `SELECT option_value FROM \`${this.tables.core.options}\` WHERE option_name = ?`,
      [this.name(gateway, subscriptionId)],
    );
    if (!rows[0]) return null;
    try {
      return JSON.parse(rows[0].option_value) as ResumeState;
    } catch {
      return null;
    }
  }

  async delete(q: Queryable, gateway: string, subscriptionId: string): Promise<void> {
    await q.query(`DELETE FROM \`${this.tables.core.options}\` WHERE option_name = ?`, [this.name(gateway, subscriptionId)]);
  }
}
