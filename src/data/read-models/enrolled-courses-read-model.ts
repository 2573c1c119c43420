import type { Queryable } from '../database.ts';
import type { Tables } from '../tables.ts';

export interface EnrolledCourseRow {
  course_id: number;
  title: string | null;
  url: string | null;
  enrolled_at: string | null;
  access_from: number | null;
  source: 'learndash' | 'enrollment_log';
}

/**
 * A user's courses: LearnDash's `course_{id}_access_from` user meta (what grants access) plus
 * the plugin's enrolment log (latest action per course wins), with titles from `wp_posts`.
 */
export class EnrolledCoursesReadModel {
  constructor(private readonly tables: Tables) {}

  /** `logs` is where the user's `slbp_enrollment_logs` rows live (their billing shard); `q` holds usermeta and posts. */
  async forUser(q: Queryable, userId: number, logs: Queryable = q): Promise<EnrolledCourseRow[]> {
    const [meta, logRows] = await Promise.all([
      q.query<{ meta_key: string; meta_value: string }[]>(
        `SELECT meta_key, meta_value FROM \`${this.tables.core.usermeta}\` WHERE user_id = ? AND meta_key LIKE 'course\\_%\\_access\\_from'`,
        [userId],
      ),
      logs.query<{ course_id: number | string; action: string; created_at: string | null }[]>(
        `SELECT course_id, action, created_at FROM \`${this.tables.slbp.enrollment_logs}\` WHERE user_id = ? ORDER BY created_at, id`,
        [userId],
      ),
    ]);
    const courses = new Map<number, EnrolledCourseRow>();
    for (const l of logRows) {
      const id = Number(l.course_id);
      if (l.action === 'enrolled') {
        const prev = courses.get(id);
        courses.set(id, {
          course_id: id,
          title: null,
          url: null,
          enrolled_at: prev?.enrolled_at ?? l.created_at,
          access_from: null,
          source: 'enrollment_log',
        });
      } else if (l.action === 'unenrolled') courses.delete(id);
    }
    for (const m of meta) {
      const id = Number(/^course_(\d+)_access_from$/.exec(m.meta_key)?.[1]);
      if (!Number.isSafeInteger(id)) continue;
      const ts = Number(m.meta_value);
      const prev = courses.get(id);
      courses.set(id, {
        course_id: id,
        title: null,
        url: null,
        enrolled_at: prev?.enrolled_at ?? null,
        access_from: Number.isFinite(ts) && ts > 0 ? ts : null,
        source: 'learndash',
      });
    }
    if (!courses.size) return [];
    const ids = [...courses.keys()];
    const posts = await q.query<{ ID: number | string; post_title: string; guid: string }[]>(
      `SELECT ID, post_title, guid FROM \`${this.tables.core.posts}\` WHERE post_type = 'sfwd-courses' AND ID IN (${ids.map(() => '?').join(',')})`,
      ids,
    );
    for (const p of posts) {
      const c = courses.get(Number(p.ID));
      if (c) Object.assign(c, { title: p.post_title, url: p.guid || null });
    }
    return [...courses.values()].sort((a, b) => a.course_id - b.course_id);
  }

  /** Titles of LearnDash courses by id. */
  async titles(q: Queryable, ids: number[]): Promise<Map<number, string>> {
    if (!ids.length) return new Map();
    const rows = await q.query<{ ID: number | string; post_title: string }[]>(
      `SELECT ID, post_title FROM \`${this.tables.core.posts}\` WHERE post_type = 'sfwd-courses' AND ID IN (${ids.map(() => '?').join(',')})`,
      ids,
    );
    return new Map(rows.map((r) => [Number(r.ID), r.post_title]));
  }
}
