import { z } from 'zod';
import { access } from '../../domain/access.ts';
import { ApiKeyInputError, type ApiKeyAdmin } from '../../domain/api-key-admin.ts';
import { API_PERMISSIONS } from '../../domain/caller.ts';
import { collectionParams, paging, sendCollection } from '../collection.ts';
import { idParams } from '../params.ts';
import { defineRoute, type RouteSpec } from '../route.ts';
import { invalidParams, SidecarError } from '../../errors.ts';

const createBody = z.object({
  user: z.union([z.string().trim().min(1).max(255), z.number().int().min(1)]).describe('the owner: a WordPress user id, login or email'),
  name: z.string().trim().min(1).max(255),
  permissions: z.array(z.enum(API_PERMISSIONS)).min(1),
  rate_limit: z.number().int().min(1).max(1_000_000).default(1000).describe('requests per hour'),
  expires_at: z
    .string()
    .max(40)
    .nullable()
    .optional()
    .describe('`YYYY-MM-DD` (end of that day, UTC) or an ISO 8601 time; absent or null: never'),
});

const notFound = () => new SidecarError('slbp_api_key_not_found', 'API key not found.', 404);

/** API keys for administrators: create (the key is answered once), list (fingerprints only), revoke. */
export function apiKeyRoutes(admin: ApiKeyAdmin, home: () => string): RouteSpec[] {
  const tags = ['api-keys'];
  return [
    defineRoute({
      method: 'GET',
      path: '/api-keys',
      summary: 'API keys, newest first: owner, name, sha256 fingerprint, permissions, rate limit, status, last use',
      tags,
      access: access.admin,
      query: z.object({ ...collectionParams }),
      async handler(ctx, { query }) {
        const p = paging(query);
        const { items, total } = await admin.page(p.perPage, p.offset);
        return sendCollection(ctx, items, total, p, home());
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api-keys',
      summary: 'Create an API key; the key is in this answer only (only its sha256 is stored)',
      tags,
      access: access.admin,
      body: createBody,
      responses: {
        201: {
          description:
            '`{key, api_key: {id, user_id, name, fingerprint, permissions, rate_limit, status, last_used_at, expires_at, created_at}}`',
        },
      },
      errors: ['rest_invalid_param'],
      example: { as: 'admin', body: { user: 2, name: 'reporting', permissions: ['read_analytics'], rate_limit: 500 }, status: 201 },
      async handler(ctx, { body }) {
        try {
          const { key, item } = await admin.create({
            user: body.user,
            name: body.name,
            permissions: body.permissions,
            rateLimit: body.rate_limit,
            expires: body.expires_at,
          });
          ctx.state.logger.info('API key created', {
            key_id: item.id,
            user_id: item.user_id,
            permissions: item.permissions,
            by: ctx.state.caller.kind === 'user' ? ctx.state.caller.userId : ctx.state.caller.kind,
          });
          ctx.status = 201;
          return { key, api_key: item };
        } catch (err) {
          if (err instanceof ApiKeyInputError) throw invalidParams({ [err.field]: err.message });
          throw err;
        }
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api-keys/:id',
      summary: 'Revoke an API key (refused on this node from the next request on, on every node within a second)',
      tags,
      access: access.admin,
      params: idParams,
      errors: ['slbp_api_key_not_found'],
      responses: { 200: { description: '`{revoked: true, api_key}`' }, 404: { description: 'no such key' } },
      example: { as: 'admin', params: { id: 999999 }, status: 404 },
      async handler(ctx, { params }) {
        const item = await admin.revoke(params.id);
        if (!item) throw notFound();
        ctx.state.logger.info('API key revoked', {
          key_id: item.id,
          user_id: item.user_id,
          by: ctx.state.caller.kind === 'user' ? ctx.state.caller.userId : ctx.state.caller.kind,
        });
        return { revoked: true, api_key: item };
      },
    }),
  ];
}
