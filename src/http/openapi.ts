import { z } from 'zod';
import { fullPath } from './router.ts';
import type { RouteExample, RouteSpec } from './route.ts';

type Json = Record<string, unknown>;

const ERROR_CODES_BY_STATUS: Record<number, string[]> = {
  400: ['rest_invalid_param', 'rest_missing_callback_param', 'rest_invalid_json'],
  401: ['rest_forbidden', 'slbp_invalid_signature', 'slbp_stale_request', 'slbp_replayed_request', 'slbp_invalid_api_key'],
  403: ['rest_forbidden'],
  413: ['slbp_payload_too_large'],
  429: ['slbp_rate_limited'],
  500: ['slbp_internal_error'],
  503: ['slbp_database_unavailable'],
};

function toSchema(schema: z.ZodType): Json {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  delete json.$schema;
  return json;
}

/** `/transactions/:id` → `/wp-json/skylearn-billing-pro/v1/transactions/{id}`. */
export function openApiPath(r: RouteSpec): string {
  return fullPath(r).replace(/:(\w+)/g, '{$1}');
}

/** The example a route documents, or the derived one for routes that take no required input. */
export function exampleOf(r: RouteSpec): RouteExample | null {
  if (r.example) return r.example;
  const needs = (s: z.ZodType | undefined) => s && ((toSchema(s).required as string[] | undefined) ?? []).length > 0;
  if (r.path.includes(':') || needs(r.query) || needs(r.body)) return null;
  const ok =
    Object.keys(r.responses ?? {})
      .map(Number)
      .filter((n) => n >= 200 && n < 300)
      .sort()[0] ?? 200;
  const as = r.access.name === 'public' ? 'anonymous' : r.access.name === 'monitoring' ? 'monitoring' : 'admin';
  return { as, status: ok };
}

function parameters(r: RouteSpec, example: RouteExample | null): Json[] {
  const out: Json[] = [];
  for (const [where, schema] of [
    ['path', r.params],
    ['query', r.query],
  ] as const) {
    if (!schema) continue;
    const json = toSchema(schema);
    const required = new Set((json.required as string[] | undefined) ?? []);
    for (const [name, prop] of Object.entries((json.properties ?? {}) as Record<string, Json>)) {
      const { description, ...rest } = prop;
      const ex = (where === 'path' ? example?.params : example?.query)?.[name];
      out.push({
        name,
        in: where,
        required: where === 'path' || required.has(name),
        schema: rest,
        ...(description ? { description } : {}),
        ...(ex !== undefined ? { example: ex } : {}),
      });
    }
  }
  return out;
}

const errorResponse = (status: number, codes: string[]): Json => ({
  description: `WordPress error (${codes.join(', ')})`,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/WpError' } } },
  ...(status === 429
    ? {
        headers: {
          'Retry-After': { $ref: '#/components/headers/Retry-After' },
          'X-RateLimit-Limit': { $ref: '#/components/headers/X-RateLimit-Limit' },
          'X-RateLimit-Remaining': { $ref: '#/components/headers/X-RateLimit-Remaining' },
          'X-RateLimit-Reset': { $ref: '#/components/headers/X-RateLimit-Reset' },
        },
      }
    : {}),
});

function operation(r: RouteSpec): Json {
  const example = exampleOf(r);
  const responses: Json = {};
  for (const [status, doc] of Object.entries(r.responses ?? { 200: { description: 'OK' } })) {
    responses[status] = {
      description: doc.description,
      ...(doc.schema || doc.example !== undefined
        ? {
            content: {
              [status === '200' && r.path === '/metrics' ? 'text/plain' : 'application/json']: {
                ...(doc.schema ? { schema: toSchema(doc.schema) } : {}),
                ...(doc.example !== undefined ? { example: doc.example } : {}),
              },
            },
          }
        : {}),
    };
  }
  const statuses = new Set<number>([400, 429, 500, 503]);
  if (r.access.name !== 'public') {
    statuses.add(401);
    statuses.add(403);
  }
  if (r.method !== 'GET') statuses.add(413);
  for (const s of statuses) {
    if (responses[String(s)]) continue;
    responses[String(s)] = errorResponse(s, ERROR_CODES_BY_STATUS[s] ?? []);
  }
  const op: Json = {
    operationId: `${r.method.toLowerCase()}${r.path.replace(/[:/_-]+(\w)/g, (_, c: string) => c.toUpperCase()).replace(/[^\w]/g, '')}`,
    summary: r.summary,
    tags: r.tags ?? ['general'],
    'x-slbp-access': { rule: r.access.name, description: r.access.description },
    parameters: parameters(r, example),
    responses,
    security:
      r.access.name === 'public'
        ? []
        : [{ shimSignature: [] }, { apiKey: [] }, { bearerToken: [] }, { applicationPassword: [] }, { wordpressCookie: [] }],
  };
  if (r.errors?.length) op['x-slbp-error-codes'] = r.errors;
  if (example) op['x-slbp-example'] = example;
  if (r.body && r.method !== 'GET') {
    op.requestBody = {
      required: !r.rawBody,
      content: { 'application/json': { schema: toSchema(r.body), ...(example?.body !== undefined ? { example: example.body } : {}) } },
    };
  }
  return op;
}

/** The OpenAPI 3.1 document, generated from the same route specs and zod schemas the router validates with. */
export function buildOpenApi(routes: readonly RouteSpec[], version: string): Json {
  const paths: Record<string, Json> = {};
  for (const r of [...routes].sort((a, b) => openApiPath(a).localeCompare(openApiPath(b)) || a.method.localeCompare(b.method))) {
    const p = (paths[openApiPath(r)] ??= {});
    p[r.method.toLowerCase()] = operation(r);
  }
  const header = (description: string) => ({ description, schema: { type: 'integer' } });
  return {
    openapi: '3.1.0',
    info: {
      title: 'SkyLearn Billing sidecar API',
      version,
      description: `The \`skylearn-billing-pro/v1\` namespace served by the sidecar. Errors use WordPress's shape. Collections take \`page\`, \`per_page\` (or \`limit\`) and \`_fields\`, and answer \`X-WP-Total\`, \`X-WP-TotalPages\` and \`Link\`.`,
    },
    servers: [{ url: 'http://127.0.0.1:8787', description: 'a sidecar (or the WordPress site, through the shim)' }],
    paths,
    components: {
      schemas: {
        WpError: {
          type: 'object',
          required: ['code', 'message', 'data'],
          properties: {
            code: { type: 'string' },
            message: { type: 'string' },
            data: { type: 'object', required: ['status'], properties: { status: { type: 'integer' }, params: { type: 'object' } } },
          },
        },
      },
      headers: {
        'Retry-After': header('Seconds until the limit resets'),
        'X-RateLimit-Limit': header('Requests allowed in the window'),
        'X-RateLimit-Remaining': header('Requests left in the window'),
        'X-RateLimit-Reset': header('Epoch seconds when the window resets'),
        'X-WP-Total': header('Total items in the collection'),
        'X-WP-TotalPages': header('Total pages at this per_page'),
      },
      securitySchemes: {
        shimSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-SLBP-Signature',
          description:
            'Signed identity from the WordPress shim: X-SLBP-User, X-SLBP-Timestamp, X-SLBP-Nonce and X-SLBP-Signature (hex HMAC-SHA256 over method, path with query, sha256 of the body, timestamp, nonce and user id).',
        },
        apiKey: {
          type: 'apiKey',
          in: 'header',
          name: 'X-API-Key',
          description: 'API key (also accepted as `Authorization: Bearer <key>`; never in the query string).',
        },
        bearerToken: {
          type: 'http',
          scheme: 'bearer',
          description:
            'Access token from POST /auth/login, or the configured metrics/health token. An unknown value is ignored on public routes (as WordPress core does) and refused on the others.',
        },
        applicationPassword: {
          type: 'http',
          scheme: 'basic',
          description:
            "A WordPress Application Password of the user (`user:xxxx xxxx xxxx xxxx xxxx xxxx`), checked against the site's `_application_passwords` user meta.",
        },
        wordpressCookie: {
          type: 'apiKey',
          in: 'header',
          name: 'X-WP-Nonce',
          description:
            "A logged-in WordPress browser session: the `wordpress_logged_in_*` cookie together with the `wp_rest` nonce in `X-WP-Nonce` (or `_wpnonce`), verified with the site's keys and salts; the cookie without a nonce is anonymous.",
        },
      },
    },
  };
}
