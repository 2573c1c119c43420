import { z } from 'zod';
import { isoDateTime } from '../domain/iso-date-time.ts';

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
