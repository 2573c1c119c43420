import { z } from 'zod';

/**
 * Zod builders for WordPress-style request parameters. Query strings carry strings (or arrays
 * when a name repeats or ends in `[]`), so every builder accepts the string form, refuses an
 * array where one value is expected, and turns malformed values into a named 400
 * (`rest_invalid_param`) instead of a 500 further down. Unknown parameters are ignored by
 * `z.object` (it strips them), as WordPress does.
 *
 * Example:
 *   query: collectionQuery({ status: enumParam(['active', 'expired']).optional(), after: dateParam().optional() })
 */

/** Longest value a scalar parameter may have; longer is malformed, never a database search. */
export const MAX_PARAM_LENGTH = 1000;

/** An error message for a present-but-wrong value; a missing one keeps zod's own, which route.ts reports as missing. */
const msg = (text: string) => (issue: { input?: unknown }) => (issue.input === undefined ? undefined : text);

const scalar = (v: unknown) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v);

/** A single string (trimmed), at most `max` characters; arrays and objects are refused. */
export function stringParam(opts: { min?: number; max?: number; pattern?: RegExp } = {}) {
  let s = z
    .string({ error: msg('Must be a single string.') })
    .trim()
    .max(opts.max ?? MAX_PARAM_LENGTH);
  if (opts.min !== undefined) s = s.min(opts.min);
  if (opts.pattern) s = s.regex(opts.pattern, 'Has an invalid format.');
  return z.preprocess(scalar, s);
}

/**
 * A whole number within [min, max] (default: 1..Number.MAX_SAFE_INTEGER for ids); accepts `"12"` and `12`,
 * refuses `"1e3"`, `"12abc"`, `"-"`, floats and arrays. With `default`, a missing value becomes it.
 */
export function intParam(opts: { min?: number; max?: number; default?: number } = {}) {
  const min = opts.min ?? 1;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  const inner = z.preprocess(
    (v) => (typeof v === 'string' && /^\s*-?\d{1,16}\s*$/.test(v) ? Number(v) : v),
    z
      .number({ error: msg('Must be an integer.') })
      .int('Must be an integer.')
      .min(min, `Must be at least ${min}.`)
      .max(max, `Must be at most ${max}.`),
  );
  return opts.default !== undefined ? inner.optional().transform((v) => v ?? opts.default!) : inner;
}

/** WordPress booleans: true/false, 1/0, yes/no, on/off (case-insensitive). */
export function boolParam(opts: { default?: boolean } = {}) {
  const inner = z.preprocess(
    (v) => {
      if (typeof v === 'boolean') return v;
      if (typeof v === 'number') return v === 1 ? true : v === 0 ? false : v;
      if (typeof v !== 'string') return v;
      const s = v.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return true;
      if (['0', 'false', 'no', 'off', ''].includes(s)) return false;
      return v;
    },
    z.boolean({ error: msg('Must be a boolean.') }),
  );
  return opts.default !== undefined ? inner.optional().transform((v) => v ?? opts.default!) : inner;
}

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

/**
 * A date or date-time (`2026-11-26`, `2026-11-26T10:58:19Z`, `2026-11-26 10:58:19`), read as UTC
 * when no offset is given; yields a Date. Impossible dates and times (`2026-02-30`, `T25:00`) are refused.
 */
export function dateParam(message = 'Must be a date (YYYY-MM-DD or ISO 8601).') {
  // Documented as the string it is sent as (the parsed Date has no JSON Schema form).
  return z
    .preprocess((v) => (typeof v === 'string' ? (isoDateTime(v) ?? v) : v), z.date({ error: msg(message) }))
    .meta({ type: 'string', format: 'date-time' });
}

/** One of the given values (exact, case-sensitive, as WordPress's `enum`). */
export function enumParam<const T extends readonly [string, ...string[]]>(values: T) {
  return z.preprocess(scalar, z.enum(values, { error: msg(`Must be one of: ${values.join(', ')}.`) }));
}

/**
 * A list given as `a,b`, `x[]=a&x[]=b` or a JSON array; each item validated by `item`; at most
 * `max` items (default 100). Empty items are dropped.
 */
export function csvList<T extends z.ZodType>(item: T, opts: { max?: number } = {}) {
  return z.preprocess(
    (v) => {
      if (typeof v === 'string')
        return v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
      return v;
    },
    z.array(item, { error: msg('Must be a list.') }).max(opts.max ?? 100),
  );
}

/** Route parameter `:id`: a positive integer id (BIGINT-safe). */
export const idParams = z.object({ id: intParam() });
