import type { Queryable } from './database.ts';
import { sqlDateTime } from './metrics-repository.ts';
import type { Tables } from './tables.ts';

export interface AlertRow {
  id: number;
  alert_name: string;
  metric_name: string;
  threshold_value: number;
  current_value: number;
  severity: string;
  status: 'active' | 'resolved';
  message: string;
  triggered_at: string;
  resolved_at: string | null;
}

export type AlertStatusFilter = 'active' | 'resolved' | 'all';

const COLS = 'id, alert_name, metric_name, threshold_value, current_value, severity, status, message, triggered_at, resolved_at';
/** A row as MariaDB hands it over: ids and FLOAT columns may come back as strings. */
type StoredAlert = Omit<AlertRow, 'id' | 'threshold_value' | 'current_value'> & {
  id: number | string;
  threshold_value: number | string;
  current_value: number | string;
};

const toRow = (r: StoredAlert): AlertRow => ({
  ...r,
  id: Number(r.id),
  threshold_value: Number(r.threshold_value),
  current_value: Number(r.current_value),
});

/** Rows of `{prefix}slbp_alerts`: one row per firing, `active` until the condition clears. */
export class AlertsRepository {
  constructor(private readonly tables: Tables) {}

  private get t() {
    return this.tables.slbp.alerts;
  }

  async list(q: Queryable, status: AlertStatusFilter, limit: number, offset: number): Promise<{ rows: AlertRow[]; total: number }> {
    const where = status === 'all' ? '' : 'WHERE status = ?';
    const args = status === 'all' ? [] : [status];
    const [rows, count] = await Promise.all([
      q.query<StoredAlert[]>(`SELECT ${COLS} FROM \`${this.t}\` ${where} ORDER BY triggered_at DESC, id DESC LIMIT ? OFFSET ?`, [
        ...args,
        limit,
        offset,
      ]),
      q.query<{ n: number }[]>(`SELECT COUNT(*) AS n FROM \`${this.t}\` ${where}`, args),
    ]);
    return { rows: rows.map(toRow), total: Number(count[0]?.n ?? 0) };
  }

  /** The open alert of a rule, if any. */
  async active(q: Queryable, alertName: string): Promise<AlertRow | null> {
    const rows = await q.query<StoredAlert[]>(
      `SELECT ${COLS} FROM \`${this.t}\` WHERE alert_name = ? AND status = 'active' ORDER BY id DESC LIMIT 1`,
      [alertName],
    );
    return rows[0] ? toRow(rows[0]) : null;
  }

  /** When the rule last fired (any status), for the cooldown. */
  async lastTriggeredAt(q: Queryable, alertName: string): Promise<Date | null> {
    const rows = await q.query<{ t: string | null }[]>(`SELECT MAX(triggered_at) AS t FROM \`${this.t}\` WHERE alert_name = ?`, [
      alertName,
    ]);
    return rows[0]?.t ? new Date(`${rows[0].t.replace(' ', 'T')}Z`) : null;
  }

  async insertActive(
    q: Queryable,
    a: { alert_name: string; metric_name: string; threshold_value: number; current_value: number; severity: string; message: string },
    at: Date,
  ): Promise<number> {
    const res = await q.query<{ insertId: number }>(
      `INSERT INTO \`${this.t}\` (alert_name, metric_name, threshold_value, current_value, severity, status, message, triggered_at) VALUES (?, ?, ?, ?, ?, 'active', ?, ?)`,
      [a.alert_name, a.metric_name, a.threshold_value, a.current_value, a.severity, a.message, sqlDateTime(at)],
    );
    return Number(res.insertId);
  }

  async updateCurrent(q: Queryable, id: number, value: number): Promise<void> {
    await q.query(`UPDATE \`${this.t}\` SET current_value = ? WHERE id = ?`, [value, id]);
  }

  async resolve(q: Queryable, id: number, value: number, at: Date): Promise<boolean> {
    const res = await q.query<{ affectedRows: number }>(
      `UPDATE \`${this.t}\` SET status = 'resolved', resolved_at = ?, current_value = ? WHERE id = ? AND status = 'active'`,
      [sqlDateTime(at), value, id],
    );
    return res.affectedRows > 0;
  }
}
