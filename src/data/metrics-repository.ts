import type { Queryable } from './database.ts';
import type { Tables } from './tables.ts';

export interface MetricRow {
  category: string;
  metric_name: string;
  metric_value: number;
  metric_unit: string;
  collected_at: string;
}
export interface MetricSummary {
  count: number;
  sum: number;
  min: number;
  max: number;
  avg: number;
  unit: string;
}

/** `2026-11-26 11:02:09` (UTC DATETIME) from a Date. */
export const sqlDateTime = (d: Date) => d.toISOString().slice(0, 19).replace('T', ' ');

/** Rows of `{prefix}slbp_metrics`: the periodic snapshots behind /metrics/dashboard. */
export class MetricsRepository {
  constructor(private readonly tables: Tables) {}

  private get t() {
    return this.tables.slbp.metrics;
  }

  async insertSnapshot(q: Queryable, rows: { category: string; name: string; value: number; unit: string }[], at: Date): Promise<number> {
    if (!rows.length) return 0;
    const when = sqlDateTime(at);
    await q.query(
      `INSERT INTO \`${this.t}\` (category, metric_name, metric_value, metric_unit, collected_at) VALUES ${rows.map(() => '(?, ?, ?, ?, ?)').join(', ')}`,
      rows.flatMap((r) => [r.category, r.name, r.value, r.unit, when]),
    );
    return rows.length;
  }

  /** Whether a snapshot was already written at or after `since` (another node took the slot). */
  async hasSnapshotSince(q: Queryable, since: Date): Promise<boolean> {
    const rows = await q.query<unknown[]>(`SELECT 1 FROM \`${this.t}\` WHERE collected_at >= ? LIMIT 1`, [sqlDateTime(since)]);
    return rows.length > 0;
  }

  async pruneOlderThan(q: Queryable, before: Date): Promise<number> {
    const res = await q.query<{ affectedRows: number }>(`DELETE FROM \`${this.t}\` WHERE collected_at < ?`, [sqlDateTime(before)]);
    return res.affectedRows;
  }

  /** Newest rows first, at most `limit`. */
  async since(q: Queryable, from: Date, limit: number): Promise<MetricRow[]> {
    const rows = await q.query<(Omit<MetricRow, 'metric_value'> & { metric_value: number | string })[]>(
      `SELECT category, metric_name, metric_value, metric_unit, collected_at FROM \`${this.t}\`
       WHERE collected_at >= ? ORDER BY collected_at DESC, id ASC LIMIT ?`,
      [sqlDateTime(from), limit],
    );
    return rows.map((r) => ({ ...r, metric_value: Number(r.metric_value) }));
  }

  /** count/sum/min/max/avg per `category.metric_name` since `from`, computed in SQL over every row. */
  async summary(q: Queryable, from: Date): Promise<Record<string, MetricSummary>> {
    const rows = await q.query<Record<string, string | number>[]>(
      `SELECT category, metric_name, MAX(metric_unit) AS unit, COUNT(*) AS n, SUM(metric_value) AS s, MIN(metric_value) AS mn, MAX(metric_value) AS mx, AVG(metric_value) AS av
       FROM \`${this.t}\` WHERE collected_at >= ? GROUP BY category, metric_name ORDER BY category, metric_name`,
      [sqlDateTime(from)],
    );
    const out: Record<string, MetricSummary> = {};
    for (const r of rows) {
      out[`${r.category}.${r.metric_name}`] = {
        count: Number(r.n),
        sum: Number(r.s),
        min: Number(r.mn),
        max: Number(r.mx),
        unit: String(r.unit),
        avg: Number(r.av),
      };
    }
    return out;
  }
}
