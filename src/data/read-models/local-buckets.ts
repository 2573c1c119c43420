/** A stretch of time with one UTC offset in the site's zone; `until` is exclusive (UTC DATETIME) or null for open-ended. */
export interface OffsetSegment { until: string | null; offsetMin: number }
export type BucketSize = 'day' | 'week' | 'month';

/**
 * SQL for the local calendar day of a UTC DATETIME column, as a day number since 1970-01-01.
 * MariaDB's time zone tables are often not loaded (CONVERT_TZ answers NULL), so the offset of
 * each DST segment is computed in Node and applied with a CASE. Integer arithmetic is used
 * instead of DATE_FORMAT on purpose: over a million rows it is markedly cheaper, and days are
 * folded into weeks and months in Node (at most a few hundred groups per currency).
 * Relies on the session time zone being UTC (every pool connection sets `+00:00`).
 */
export function localDaySql(column: string, segments: OffsetSegment[]): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  let offset: string;
  if (segments.length === 1) {
    offset = '?';
    params.push(segments[0]!.offsetMin * 60);
  } else {
    const whens = segments.slice(0, -1).map((s) => {
      params.push(s.until, s.offsetMin * 60);
      return `WHEN ${column} < ? THEN ?`;
    });
    params.push(segments[segments.length - 1]!.offsetMin * 60);
    offset = `CASE ${whens.join(' ')} ELSE ? END`;
  }
  return { sql: `FLOOR((UNIX_TIMESTAMP(${column}) + ${offset}) / 86400)`, params };
}
