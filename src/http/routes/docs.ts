import { access } from '../../domain/access.ts';
import { buildOpenApi } from '../openapi.ts';
import { defineRoute, type RouteSpec } from '../route.ts';

/** GET /openapi.json: the API reference generated from the live route list. */
export function docsRoutes(routes: () => readonly RouteSpec[], version: string): RouteSpec[] {
  let cached: Record<string, unknown> | null = null;
  return [
    defineRoute({
      method: 'GET',
      path: '/openapi.json',
      summary: 'OpenAPI 3.1 description of this API',
      tags: ['reference'],
      access: access.public,
      responses: { 200: { description: 'the OpenAPI document' } },
      handler: () => (cached ??= buildOpenApi(routes(), version)),
    }),
  ];
}
