import type { OffsetSegment, BucketSize } from '../../data/read-models/local-buckets.ts';
import { dbFromDate } from './values.ts';

/**
 * Calendar arithmetic in the site's time zone (`timezone_string`, or a fixed `+05:30` from
 * gmt_offset), done with Intl so it works when MariaDB's time zone tables are not loaded.
 */
export class SiteCalendar {
  private readonly fixed: number | null;
  private readonly fmt: Intl.DateTimeFormat | null;

  constructor(readonly zone: string) {
    const m = /^([+-])(\d{2}):(\d{2})$/.exec(zone);
    this.fixed = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : null;
    this.fmt =
      this.fixed === null
        ? new Intl.DateTimeFormat('en-US', {
            timeZone: zone,
            hourCycle: 'h23',
            year: 'numeric',
            month: '2-digit',
            day: '2-digit',
            hour: '2-digit',
            minute: '2-digit',
            second: '2-digit',
          })
        : null;
  }

  /**
   * Offsets already asked for, by UTC minute. Zones change offset on whole minutes, so one answer
   * holds for its minute; Intl's formatToParts is the slow part of every analytics request.
   */
  private readonly byMinute = new Map<number, number>();

  /** Minutes to add to UTC to get local time at instant `ms`. */
  offsetAt(ms: number): number {
    if (this.fixed !== null) return this.fixed;
    const minute = Math.floor(ms / 60_000);
    const known = this.byMinute.get(minute);
    if (known !== undefined) return known;
    const p = Object.fromEntries(this.fmt!.formatToParts(new Date(minute * 60_000)).map((x) => [x.type, x.value]));
    const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
    const offset = Math.round((asUtc - minute * 60_000) / 60_000);
    if (this.byMinute.size >= 50_000) this.byMinute.clear();
    this.byMinute.set(minute, offset);
    return offset;
  }

  /** Local calendar date (y, m 1-12, d) at instant `ms`. */
  localDate(ms: number): { y: number; m: number; d: number } {
    const local = new Date(ms + this.offsetAt(ms) * 60_000);
    return { y: local.getUTCFullYear(), m: local.getUTCMonth() + 1, d: local.getUTCDate() };
  }

  /** The UTC instant of local midnight starting the given date (month/day may overflow, like Date.UTC). */
  startOfDay(y: number, m: number, d: number): Date {
    const wall = Date.UTC(y, m - 1, d);
    let t = wall - this.offsetAt(wall) * 60_000;
    // Re-check with the offset in force at the guess (it differs around a DST change).
    t = wall - this.offsetAt(t) * 60_000;
    return new Date(t);
  }

  /**
   * The offsets in force between `from` and `to`, as segments for SQL bucketing. Scans in 6-hour
   * steps and narrows each change to the minute (zones change offset at most a few times a year).
   */
  segments(from: Date, to: Date): OffsetSegment[] {
    const end = to.getTime();
    let t = from.getTime();
    let current = this.offsetAt(t);
    const out: OffsetSegment[] = [];
    if (this.fixed === null) {
      const step = 6 * 3_600_000;
      while (t < end) {
        const next = Math.min(t + step, end);
        const o = this.offsetAt(next);
        if (o !== current) {
          let lo = t;
          let hi = next;
          while (hi - lo > 60_000) {
            const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
            if (this.offsetAt(mid) === current) lo = mid;
            else hi = mid;
          }
          out.push({ until: dbFromDate(new Date(hi)), offsetMin: current });
          current = o;
        }
        t = next;
      }
    }
    out.push({ until: null, offsetMin: current });
    return out;
  }

  /** Bucket labels (`YYYY-MM-DD`) covering [from, to), as the SQL produces them. */
  bucketLabels(from: Date, to: Date, size: BucketSize): string[] {
    const s = this.localDate(from.getTime());
    const last = this.localDate(to.getTime() - 1);
    const lastKey = Date.UTC(last.y, last.m - 1, last.d);
    const labels: string[] = [];
    let cur = Date.UTC(s.y, s.m - 1, size === 'month' ? 1 : s.d);
    if (size === 'week') cur -= ((new Date(cur).getUTCDay() + 6) % 7) * 86_400_000;
    while (cur <= lastKey) {
      labels.push(new Date(cur).toISOString().slice(0, 10));
      const d = new Date(cur);
      cur =
        size === 'day' ? cur + 86_400_000 : size === 'week' ? cur + 7 * 86_400_000 : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    }
    return labels;
  }

  /** The bucket label (`YYYY-MM-DD`: the day, its Monday, or the 1st) of a local day number. */
  static bucketOfDay(day: number, size: BucketSize): string {
    let ms = day * 86_400_000;
    if (size === 'week') ms -= ((new Date(ms).getUTCDay() + 6) % 7) * 86_400_000;
    const label = new Date(ms).toISOString().slice(0, 10);
    return size === 'month' ? `${label.slice(0, 8)}01` : label;
  }
}
