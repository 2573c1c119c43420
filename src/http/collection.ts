import { Memo } from '../cache/memo.ts';
import { z } from 'zod';
import { intParam } from './params.ts';
import { RestError } from './rest-error.ts';
import type { AppContext } from './route.ts';

/**
 * WordPress collection conventions, generic for any list route: `page` (≥1), `per_page`
 * (1..100, default 10) with `limit` as an alias, `X-WP-Total`, `X-WP-TotalPages` and `Link`.
 */
export const MAX_PER_PAGE = 100;
export const DEFAULT_PER_PAGE = 10;

/** Spread into a route's query schema: `z.object({ ...collectionParams, status: ... })`. */
export const collectionParams = {
  page: intParam({ min: 1, max: 1_000_000 }).optional(),
  per_page: intParam({ min: 1, max: MAX_PER_PAGE }).optional(),
  limit: intParam({ min: 1, max: MAX_PER_PAGE }).optional(),
};

export interface Paging { page: number; perPage: number; offset: number }

/** Page and page size from parsed collection params (`per_page` wins over `limit`). */
export function paging(q: { page?: number; per_page?: number; limit?: number }): Paging {
  const page = q.page ?? 1;
  const perPage = q.per_page ?? q.limit ?? DEFAULT_PER_PAGE;
  return { page, perPage, offset: (page - 1) * perPage };
}

/** `after`/`before`-style ISO 8601 date-time (or date) parameter, parsed to a Date. */
export const dateTimeParam = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/, 'must be an ISO 8601 date-time')
  .transform((v, ctx) => {
    // A date-time without a zone is read as UTC, like the stored values.
    const s = v.length === 10 ? `${v}T00:00:00Z` : /Z|[+-]\d{2}:?\d{2}$/.test(v) ? v.replace(' ', 'T') : `${v.replace(' ', 'T')}Z`;
    const d = new Date(s);
    if (Number.isNaN(d.getTime())) {
      ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 date-time' });
      return z.NEVER;
    }
    return d;
  });

/** A comma list or `x[]=` array of allowed values. */
export const listParam = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values, { error: `must be one of: ${values.join(', ')}` })).min(1, 'must not be empty'));

/** Link headers by request URL and page count: the same page of the same list is asked for again and again. */
const linkHeaders = new Memo<string, string>(2048);

function pageUrl(ctx: AppContext, page: number): string {
  const params = new URLSearchParams(ctx.querystring);
  params.set('page', String(page));
  return `${ctx.protocol}://${ctx.host}${ctx.path}?${params.toString()}`;
}

/**
 * Sets the collection headers and rejects a page past the end like WordPress
 * (`rest_post_invalid_page_number`, only when there is at least one row).
 */
export function sendCollection<T>(ctx: AppContext, items: T, total: number, p: Paging): T {
  const totalPages = Math.ceil(total / p.perPage);
  if (total > 0 && p.page > totalPages) {
    throw new RestError('rest_post_invalid_page_number', 'The page number requested is larger than the number of pages available.', 400);
  }
  ctx.res.setHeader('X-WP-Total', String(total));
  ctx.res.setHeader('X-WP-TotalPages', String(totalPages));
  // Keyed by what the links are made of, as sent (Koa's ctx.host splits the header on every call).
  const key = `${ctx.protocol} ${ctx.req.headers.host ?? ''} ${ctx.req.url} ${totalPages}`;
  let link = linkHeaders.get(key);
  if (link === undefined) {
    const links: string[] = [];
    if (p.page > 1) links.push(`<${pageUrl(ctx, Math.min(p.page - 1, Math.max(totalPages, 1)))}>; rel="prev"`);
    if (p.page < totalPages) links.push(`<${pageUrl(ctx, p.page + 1)}>; rel="next"`);
    link = links.join(', ');
    linkHeaders.set(key, link);
  }
  if (link) ctx.res.setHeader('Link', link);
  return items;
}
