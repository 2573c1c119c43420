const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * A date or date-time as written (`2026-11-26`, `2026-11-26T10:58:19Z`, `2026-11-26 10:58:19`,
 * `…+05:30`), read as UTC when no offset is given; null unless every part is in range. JavaScript's
 * Date rolls `2025-02-30` over to March 2 and `T24:00` to the next day: such values are refused here.
 */
export function isoDateTime(value: string): Date | null {
  const m = ISO_DATE_TIME.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h = '00', mi = '00', se = '00', frac = '', zone = 'Z'] = m;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, se].map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) return null;
  let offsetMin = 0;
  if (zone !== 'Z') {
    const zh = Number(zone.slice(1, 3));
    const zm = Number(zone.slice(-2));
    if (zh > 14 || zm > 59) return null;
    offsetMin = (zone[0] === '-' ? -1 : 1) * (zh * 60 + zm);
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, Math.floor(Number(`0${frac || '.0'}`) * 1000)) - offsetMin * 60_000;
  // Date.UTC maps years 0-99 to 1900-1999; four digits are always meant literally.
  const date = new Date(ms);
  if (year < 100) date.setUTCFullYear(date.getUTCFullYear() - 1900);
  return Number.isNaN(date.getTime()) ? null : date;
}
