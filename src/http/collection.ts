import { Memo } from '../cache/memo.ts';
import { z } from 'zod';
import { dateParam, intParam } from './params.ts';
import { SidecarError } from '../errors.ts';
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

export interface Paging {
  page: number;
  perPage: number;
  offset: number;
}

/** Page and page size from parsed collection params (`per_page` wins over `limit`). */
export function paging(q: { page?: number; per_page?: number; limit?: number }): Paging {
  const page = q.page ?? 1;
  const perPage = q.per_page ?? q.limit ?? DEFAULT_PER_PAGE;
  return { page, perPage, offset: (page - 1) * perPage };
}

/** `after`/`before`-style ISO 8601 date-time (or date), parsed to a Date; impossible dates (`2025-02-30`) are refused. */
export const dateTimeParam = dateParam('must be an ISO 8601 date-time');

/** A comma list or `x[]=` array of allowed values. */
export const listParam = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values, { error: `must be one of: ${values.join(', ')}` })).min(1, 'must not be empty'));

/**
 * Link headers by site home, request path and query, and page count: the same page of the same
 * list is asked for again and again. Only callers who passed the route's access check get here;
 * the byte bound still keeps long query strings from crowding the memo.
 */
const linkHeaders = new Memo<string, string>(2048, 256 * 1024, (key, link) => 2 * (key.length + link.length) + 64);

/**
 * The URL of another page of this list: the site's `home` (WordPress's rest_url() is built on
 * it), never the request's Host header, which the client chooses; a relative URL when the home
 * option is not known.
 */
function pageUrl(ctx: AppContext, home: string, page: number): string {
  const params = new URLSearchParams(ctx.querystring);
  params.set('page', String(page));
  return `${home.replace(/\/+$/, '')}${ctx.path}?${params.toString()}`;
}

/** The `Link` header of page `page` of `totalPages` (prev and next), '' when there is neither. */
export function pageLinks(ctx: AppContext, home: string, page: number, totalPages: number): string {
  const key = `${home} ${ctx.req.url} ${totalPages}`;
  let link = linkHeaders.get(key);
  if (link === undefined) {
    const links: string[] = [];
    if (page > 1) links.push(`<${pageUrl(ctx, home, Math.min(page - 1, Math.max(totalPages, 1)))}>; rel="prev"`);
    if (page < totalPages) links.push(`<${pageUrl(ctx, home, page + 1)}>; rel="next"`);
    link = links.join(', ');
    if (ctx.state.caller.kind !== 'anonymous') linkHeaders.set(key, link);
  }
  return link;
}

/**
 * Sets the collection headers and rejects a page past the end like WordPress
 * (`rest_post_invalid_page_number`, only when there is at least one row). `home` is the site's
 * home URL, the base of the `Link` header's absolute URLs.
 */
export function sendCollection<T>(ctx: AppContext, items: T, total: number, p: Paging, home: string): T {
  const totalPages = Math.ceil(total / p.perPage);
  if (total > 0 && p.page > totalPages) {
    throw new SidecarError('rest_post_invalid_page_number', 'The page number requested is larger than the number of pages available.', 400);
  }
  ctx.res.setHeader('X-WP-Total', String(total));
  ctx.res.setHeader('X-WP-TotalPages', String(totalPages));
  const link = pageLinks(ctx, home, p.page, totalPages);
  if (link) ctx.res.setHeader('Link', link);
  return items;
}
