import type mysql from 'mysql2/promise';
import { asUser } from './auth.ts';
import { call, type JsonResponse } from './http.ts';
import { NS } from './sidecar.ts';

/** A signed administrator request to a namespace path (query included in the signature). */
export function adminCall(url: string, method: string, nsPath: string, body?: unknown): Promise<JsonResponse> {
  return call(`${url}${NS}${nsPath}`, asUser(1, method, `${NS}${nsPath}`, body));
}

/** Every base table's row count and CHECKSUM TABLE, read independently of the sidecar. */
export async function tableFingerprint(pool: mysql.Pool, database: string): Promise<Record<string, { rows: number; checksum: string }>> {
  const [tables] = await pool.query<any[]>(
    `SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`,
    [database],
  );
  const out: Record<string, { rows: number; checksum: string }> = {};
  for (const { t } of tables) {
    const [[sum]] = await pool.query<any[]>(`CHECKSUM TABLE \`${database}\`.\`${t}\``);
    const [[count]] = await pool.query<any[]>(`SELECT COUNT(*) AS n FROM \`${database}\`.\`${t}\``);
    out[t] = { rows: Number(count.n), checksum: String(sum.Checksum) };
  }
  return out;
}

/** Polls until `check` returns a truthy value (or fails after `ms`). */
export async function waitFor<T>(check: () => Promise<T | null | undefined | false>, ms = 20_000, what = 'condition'): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
