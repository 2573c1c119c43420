import { SiteCalendar } from './billing/site-calendar.ts';

/**
 * The plugin's two date formats, kept on the routes it registers (docs/compatibility.md): PHP's
 * `c` (`current_time('c')`: `2026-11-26T11:02:16+00:00`) for probe and drill timestamps, and
 * MySQL's `Y-m-d H:i:s` in the site's time zone (`current_time('mysql')`) for stored rows.
 */

/** PHP's `date('c')` of an instant, in UTC: `2026-11-26T11:02:16+00:00`. */
export function phpIso(d: Date = new Date()): string {
  return `${d.toISOString().slice(0, 19)}+00:00`;
}

const calendars = new Map<string, SiteCalendar>();

/** One calendar per zone name (their offset caches are worth keeping). */
function calendarOf(zone: string): SiteCalendar {
  let c = calendars.get(zone);
  if (!c) {
    if (calendars.size > 16) calendars.clear();
    calendars.set(zone, (c = new SiteCalendar(zone)));
  }
  return c;
}

/** A UTC DATETIME (`2026-11-26 11:02:09`, as the sidecar stores them) or an instant as `Y-m-d H:i:s` in the site's zone. */
export function siteMysqlTime(utc: string | Date, zone: string): string;
export function siteMysqlTime(utc: string | Date | null, zone: string): string | null;
export function siteMysqlTime(utc: string | Date | null, zone: string): string | null {
  if (utc === null) return null;
  const ms = typeof utc === 'string' ? Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(utc) ? utc : `${utc.replace(' ', 'T')}Z`) : utc.getTime();
  if (Number.isNaN(ms)) return typeof utc === 'string' ? utc : null;
  const local = new Date(ms + calendarOf(zone).offsetAt(ms) * 60_000);
  return local.toISOString().slice(0, 19).replace('T', ' ');
}
