import type { IncomingMessage } from 'node:http';
import parseurl from 'parseurl';
import { z } from 'zod';
import { access } from '../domain/access.ts';
import { routeMiddleware, type AppContext, type RouteSpec } from './route.ts';

export const NAMESPACE = 'skylearn-billing-pro/v1';
export const BASE = `/wp-json/${NAMESPACE}`;

/** Full path of a route as mounted (`/wp-json/skylearn-billing-pro/v1/...` unless absolute). */
export const fullPath = (r: RouteSpec) => (r.absolute ? r.path : `${BASE}${r.path}`);

interface WpArg {
  type?: unknown;
  required: boolean;
  default?: unknown;
  description?: string;
  enum?: unknown;
  minimum?: number;
  maximum?: number;
  items?: unknown;
}

/** WordPress-style `args` from a zod object schema. */
export function argsOf(schema: z.ZodType | undefined): Record<string, WpArg> {
  if (!schema) return {};
  let json: Record<string, unknown>;
  try {
    json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  } catch {
    return {};
  }
  const props = (json.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set((json.required ?? []) as string[]);
  const out: Record<string, WpArg> = {};
  for (const [name, p] of Object.entries(props)) {
    const arg: WpArg = { required: required.has(name) };
    for (const k of ['type', 'default', 'description', 'enum', 'minimum', 'maximum', 'items'] as const) {
      if (
        p[k] !== undefined &&
        !(k === 'maximum' && p[k] === Number.MAX_SAFE_INTEGER) &&
        !(k === 'minimum' && p[k] === Number.MIN_SAFE_INTEGER)
      )
        Object.assign(arg, { [k]: p[k] });
    }
    if (p.anyOf && !arg.type) arg.type = (p.anyOf as { type?: string }[]).map((x) => x.type).filter(Boolean);
    out[name] = arg;
  }
  return out;
}

/** `/transactions/:id` → WordPress's `/skylearn-billing-pro/v1/transactions/(?P<id>[\d]+)`. */
export function wpRoutePattern(r: RouteSpec): string {
  const params = argsOf(r.params);
  const path = r.path.replace(/:(\w+)/g, (_, name: string) => `(?P<${name}>${params[name]?.type === 'integer' ? '[\\d]+' : '[\\w.-]+'})`);
  return r.absolute ? path.replace(/^\/wp-json/, '') : `/${NAMESPACE}${path}`;
}

/** The namespace index, shaped like WordPress's GET /wp-json/{namespace}. */
export function namespaceIndex(routes: readonly RouteSpec[], siteUrl: string): Record<string, unknown> {
  const grouped = new Map<string, RouteSpec[]>();
  grouped.set(`/${NAMESPACE}`, []);
  for (const r of routes) {
    if (r.absolute) continue;
    const key = wpRoutePattern(r);
    grouped.set(key, [...(grouped.get(key) ?? []), r]);
  }
  const root = siteUrl.replace(/\/$/, '');
  const out: Record<string, unknown> = {};
  for (const [key, specs] of grouped) {
    const endpoints = specs.length
      ? specs.map((r) => ({
          methods: [r.method],
          args: { ...argsOf(r.params), ...argsOf(r.query), ...(r.method === 'GET' ? {} : argsOf(r.body)) },
        }))
      : [{ methods: ['GET'], args: { namespace: { default: NAMESPACE, required: false }, context: { default: 'view', required: false } } }];
    out[key] = {
      namespace: NAMESPACE,
      methods: [...new Set(endpoints.flatMap((e) => e.methods))],
      endpoints,
      ...(key.includes('(?P<') ? {} : { _links: { self: [{ href: `${root}/wp-json${key}` }] } }),
    };
  }
  return { namespace: NAMESPACE, routes: out, _links: { up: [{ href: `${root}/wp-json/` }] } };
}

/** Whether a route path has no parameters or patterns, so it can be found in a table. */
export const isExactPath = (path: string) => !path.includes(':') && !path.includes('(') && !path.includes('*');

/**
 * The key of a path in the tables of routes without parameters: as koa-router matches (with its
 * defaults), case-insensitive and with one optional trailing slash.
 */
export function exactPathKey(path: string): string {
  return (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path).toLowerCase();
}

/** A route as the table holds it: its spec and how it runs (validation, access, then the handler). */
export interface TableRoute {
  spec: RouteSpec;
  run(ctx: AppContext, params: Record<string, string>): Promise<void> | void;
}

/** What a request matched: the route and its path parameters (decoded). */
export interface RouteMatch {
  route: TableRoute;
  params: Record<string, string>;
}

const NO_PARAMS: Record<string, string> = Object.freeze({}) as Record<string, string>;
/** Where a request's match is kept once found (the light lane and the frame share it). */
const MATCHED = Symbol('slbp.route-match');
type MatchedRequest = IncomingMessage & { [MATCHED]?: RouteMatch | null };

/** `decodeURIComponent`, or the text as it is when it is not valid percent-encoding. */
function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The characters that send parseurl to url.parse instead of its fast path. */
const UNUSUAL = /[\t\n\f\r #\u00a0\ufeff]/;

/**
 * The URL's path as Koa reads it (parseurl's `pathname`). The usual origin-form URL is cut at `?`
 * here, as parseurl's own fast path does, without building the object a probe answered before Koa
 * never needs; anything else (absolute-form, a `#`, whitespace) is left to parseurl.
 */
function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  if (url.charCodeAt(0) === 0x2f && !UNUSUAL.test(url)) {
    const q = url.indexOf('?');
    return q < 0 ? url : url.slice(0, q);
  }
  return parseurl(req)?.pathname ?? '/';
}

/**
 * A path with `:name` parameters as a regular expression: each parameter one segment, any case,
 * one optional trailing slash (what koa-router, which served the routes until #23, matched).
 */
function pathPattern(path: string): { re: RegExp; names: string[] } {
  if (/[()*{}?+]/.test(path)) throw new Error(`route path ${path} has a pattern the route table does not match (only :name parameters)`);
  const names: string[] = [];
  const body = path
    .split(/(:\w+)/)
    .map((part) => {
      if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      names.push(part.slice(1));
      return '([^\\/]+)';
    })
    .join('');
  return { re: new RegExp(`^(?:${body})(?:\\/)?$`, 'i'), names };
}

/**
 * Every route, matched once per request (docs/decisions/0027-one-path-through-the-code.md): by
 * method and path, any case, one optional trailing slash, HEAD with GET. Paths without parameters
 * are found in a map, the others tried in order; the first route that matches wins. The
 * namespace index (GET /wp-json/skylearn-billing-pro/v1) is in the table too. The match carries
 * the route's spec, from which the frame reads whether the body is kept raw, the rate-limit
 * zone, the input schemas and the access rule, and whether the light lane may answer it.
 */
export class RouteTable {
  private readonly exact = new Map<string, RouteMatch>();
  private readonly patterns: { route: TableRoute; methods: ReadonlySet<string>; re: RegExp; names: string[] }[] = [];

  constructor(
    readonly routes: readonly RouteSpec[],
    siteUrl: () => string,
  ) {
    const index: TableRoute = {
      spec: { method: 'GET', path: BASE, absolute: true, summary: 'The namespace index', access: access.public, handler: () => undefined },
      run(ctx) {
        ctx.state.routeName = '/';
        ctx.body = namespaceIndex(routes, siteUrl());
      },
    };
    this.add(index);
    for (const spec of routes) {
      this.add({ spec, run: routeMiddleware(spec, spec.path) });
    }
  }

  private add(route: TableRoute): void {
    const path = fullPath(route.spec);
    const methods = route.spec.method === 'GET' ? ['GET', 'HEAD'] : [route.spec.method];
    if (!isExactPath(path)) {
      this.patterns.push({ route, methods: new Set(methods), ...pathPattern(path) });
      return;
    }
    for (const method of methods) {
      const key = `${method} ${exactPathKey(path)}`;
      if (!this.exact.has(key)) this.exact.set(key, { route, params: NO_PARAMS });
    }
  }

  /** The route serving `method` on `path` (a URL's path, not decoded), or null. */
  match(method: string, path: string): RouteMatch | null {
    const found = this.exact.get(`${method} ${exactPathKey(path)}`);
    if (found) return found;
    for (const p of this.patterns) {
      if (!p.methods.has(method)) continue;
      const m = p.re.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      for (let i = 0; i < p.names.length; i++) params[p.names[i]!] = decode(m[i + 1]!);
      return { route: p.route, params };
    }
    return null;
  }

  /**
   * The request's match: found the first time it is asked for and kept on the request; the path
   * is the one Koa reads (parseurl's).
   */
  matchRequest(req: IncomingMessage): RouteMatch | null {
    const r = req as MatchedRequest;
    const held = r[MATCHED];
    if (held !== undefined) return held;
    const found = this.match(req.method ?? 'GET', pathOf(req));
    r[MATCHED] = found;
    return found;
  }
}
