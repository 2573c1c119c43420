/** A stretch of time with one UTC offset in the site's zone; `until` is exclusive (UTC DATETIME) or null for open-ended. */
export interface OffsetSegment {
  until: string | null;
  offsetMin: number;
}
export type BucketSize = 'day' | 'week' | 'month';

/** TO_DAYS('1970-01-01'): MariaDB's day number of the Unix epoch. */
const EPOCH_TO_DAYS = 719528;

/**
 * SQL for the local calendar day of a UTC DATETIME column, as a day number since 1970-01-01.
 * MariaDB's time zone tables are often not loaded (CONVERT_TZ answers NULL), so the offset of
 * each DST segment is computed in Node and applied with a CASE. Date arithmetic on the DATETIME
 * itself (`TO_DAYS(column + INTERVAL offset SECOND)`) is used on purpose: over a million rows it
 * is markedly cheaper than DATE_FORMAT, and than UNIX_TIMESTAMP, which converts every value
 * through the session time zone (a 12-month revenue scan: 0.45 s against 0.71 s on one core).
 * Days are folded into weeks and months in Node (at most a few hundred groups per currency).
 */
export function localDaySql(column: string, segments: OffsetSegment[]): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  if (segments.length === 1 && segments[0]!.offsetMin === 0) return { sql: `TO_DAYS(${column}) - ${EPOCH_TO_DAYS}`, params };
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
  return { sql: `TO_DAYS(${column} + INTERVAL (${offset}) SECOND) - ${EPOCH_TO_DAYS}`, params };
}
