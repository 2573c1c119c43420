/** A stretch of time with one UTC offset in the site's zone; `until` is exclusive (UTC DATETIME) or null for open-ended. */
export interface OffsetSegment { until: string | null; offsetMin: number }
export type BucketSize = 'day' | 'week' | 'month';

/**
 * SQL for the local calendar bucket of a UTC DATETIME column. MariaDB's time zone tables are
 * often not loaded (CONVERT_TZ answers NULL), so the offset for each DST segment is computed in
 * Node and applied with a CASE; buckets come out as `YYYY-MM-DD` (week = its Monday, month = the 1st).
 */
export function localBucketSql(column: string, segments: OffsetSegment[], size: BucketSize): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  let offset: string;
  if (segments.length === 1) {
    offset = '?';
    params.push(segments[0]!.offsetMin);
  } else {
    const whens = segments.slice(0, -1).map((s) => {
      params.push(s.until, s.offsetMin);
      return `WHEN ${column} < ? THEN ?`;
    });
    params.push(segments[segments.length - 1]!.offsetMin);
    offset = `CASE ${whens.join(' ')} ELSE ? END`;
  }
  const local = `(${column} + INTERVAL (${offset}) MINUTE)`;
  if (size === 'day') return { sql: `DATE_FORMAT(${local}, '%Y-%m-%d')`, params };
  if (size === 'month') return { sql: `DATE_FORMAT(${local}, '%Y-%m-01')`, params };
  // Week: the local date minus its weekday (Monday = 0); the local expression is needed twice.
  return { sql: `DATE_FORMAT(DATE(${local}) - INTERVAL WEEKDAY(${local}) DAY, '%Y-%m-%d')`, params: [...params, ...params] };
}
