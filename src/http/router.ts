import Router from '@koa/router';
import { z } from 'zod';
import type { Middleware, Next } from 'koa';
import { noRoute } from '../errors.ts';
import { routeMiddleware, type AppContext, type AppState, type RouteSpec } from './route.ts';

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
        (arg as unknown as Record<string, unknown>)[k] = p[k];
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

/**
 * Mounts every route; unknown paths and known paths with a wrong method answer rest_no_route.
 * Paths without parameters are found in a table first (koa-router tries every route's pattern in
 * turn); the table follows koa-router's matching (case-insensitive, one optional trailing slash,
 * HEAD with GET), and everything else goes to koa-router.
 */
export function buildRouter(routes: readonly RouteSpec[], siteUrl: () => string): Middleware<AppState> {
  const router = new Router<AppState>();
  const exact = new Map<string, (ctx: AppContext) => Promise<void> | void>();
  const add = (method: string, path: string, handler: (ctx: AppContext) => Promise<void> | void) => {
    const key = `${method} ${exactPathKey(path)}`;
    if (!exact.has(key)) exact.set(key, handler);
    if (method === 'GET') add('HEAD', path, handler);
  };
  const index = (ctx: AppContext) => {
    ctx.state.routeName = '/';
    ctx.body = namespaceIndex(routes, siteUrl());
  };
  router.get(BASE, index);
  router.get(`${BASE}/`, index);
  add('GET', BASE, index);
  for (const r of routes) {
    const path = fullPath(r);
    const mw = routeMiddleware(r, r.path);
    router.register(path, [r.method], mw as never);
    if (isExactPath(path)) add(r.method, path, mw);
  }
  const routed = router.routes();
  return (ctx, next) => {
    const handler = exact.get(`${ctx.req.method} ${exactPathKey(ctx.path)}`);
    if (!handler) return routed(ctx as never, next) as Promise<void>;
    ctx.params = {};
    return Promise.resolve(handler(ctx));
  };
}

export function notFound() {
  return async (_ctx: AppContext, _next: Next): Promise<void> => {
    throw noRoute();
  };
}
