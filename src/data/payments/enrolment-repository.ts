import type { Queryable } from '../database.ts';
import type { Tables } from '../tables.ts';

/** One `slbp_enrollment_logs` row; `createdAt` (UTC) when it is written later than the change it records. */
export interface EnrolmentLogWrite {
  userId: number;
  courseId: number;
  action: 'enrolled' | 'unenrolled';
  transactionId: string | null;
  notes: string;
  createdAt?: string | null;
}

/**
 * LearnDash access meta (`course_{id}_access_from`), the plugin's `slbp_enrollment_{id}` meta and
 * `{prefix}slbp_enrollment_logs`. Meta rows are locked with `FOR UPDATE` before they are written,
 * so a user's enrolment in one course changes in one transaction at a time.
 */
export class EnrolmentRepository {
  constructor(private readonly tables: Tables) {}

  static accessKey = (courseId: number) => `course_${courseId}_access_from`;
  static enrolmentKey = (courseId: number) => `slbp_enrollment_${courseId}`;

  /** Locks and returns the user's access meta for these courses (course id → value). */
  async lockAccess(q: Queryable, userId: number, courseIds: number[]): Promise<Map<number, string>> {
    if (!courseIds.length) return new Map();
    const keys = courseIds.map(EnrolmentRepository.accessKey);
    const rows = await q.query<{ meta_key: string; meta_value: string }[]>(
      `SELECT meta_key, meta_value FROM \`${this.tables.core.usermeta}\` WHERE user_id = ? AND meta_key IN (${keys.map(() => '?').join(',')}) FOR UPDATE`,
      [userId, ...keys],
    );
    const out = new Map<number, string>();
    for (const r of rows) out.set(Number(/^course_(\d+)_access_from$/.exec(r.meta_key)![1]), r.meta_value);
    return out;
  }

  /** The user's `slbp_enrollment_{course}` meta values, by course id. */
  async enrolmentRecords(q: Queryable, userId: number): Promise<Map<number, string>> {
    const rows = await q.query<{ meta_key: string; meta_value: string }[]>(
      `SELECT meta_key, meta_value FROM \`${this.tables.core.usermeta}\` WHERE user_id = ? AND meta_key LIKE 'slbp\\_enrollment\\_%'`,
      [userId],
    );
    const out = new Map<number, string>();
    for (const r of rows) {
      const m = /^slbp_enrollment_(\d+)$/.exec(r.meta_key);
      if (m) out.set(Number(m[1]), r.meta_value);
    }
    return out;
  }

  async setMeta(q: Queryable, userId: number, key: string, value: string): Promise<void> {
    await q.query(`DELETE FROM \`${this.tables.core.usermeta}\` WHERE user_id = ? AND meta_key = ?`, [userId, key]);
    await q.query(`INSERT INTO \`${this.tables.core.usermeta}\` (user_id, meta_key, meta_value) VALUES (?, ?, ?)`, [userId, key, value]);
  }

  async deleteMeta(q: Queryable, userId: number, keys: string[]): Promise<void> {
    if (!keys.length) return;
    await q.query(`DELETE FROM \`${this.tables.core.usermeta}\` WHERE user_id = ? AND meta_key IN (${keys.map(() => '?').join(',')})`, [
      userId,
      ...keys,
    ]);
  }

  async log(q: Queryable, e: EnrolmentLogWrite): Promise<void> {
    await q.query(
      `INSERT INTO \`${this.tables.slbp.enrollment_logs}\` (user_id, course_id, action, status, transaction_id, lms, notes, created_at)
       VALUES (?, ?, ?, 'success', ?, 'learndash', ?, COALESCE(?, UTC_TIMESTAMP()))`,
      [e.userId, e.courseId, e.action, e.transactionId, e.notes, e.createdAt ?? null],
    );
  }
}
