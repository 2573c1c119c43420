import { z } from 'zod';
import type { CacheService } from '../../cache/cache-service.ts';
import { isValidTag } from '../../cache/keys.ts';
import { access } from '../../domain/access.ts';
import { defineRoute, type RouteSpec } from '../route.ts';

const invalidateBody = z
  .object({
    keys: z.array(z.string().min(1).max(250)).max(1000).optional().describe('cache keys to drop'),
    tags: z
      .array(z.string().refine(isValidTag, 'a tag is `name` or `name:id`, e.g. user:42'))
      .max(100)
      .optional()
      .describe('tags whose keys to drop, e.g. user:42, options'),
    all: z.boolean().optional().describe('drop every entry of this sidecar (its Redis prefix only)'),
  })
  .refine((b) => b.all === true || !!b.keys?.length || !!b.tags?.length, { message: 'Give keys, tags or all: true' });

/** POST /cache/invalidate: clears Redis and, through the bus, every node's in-process cache. */
export function cacheRoutes({ cache }: { cache: CacheService }): RouteSpec[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/cache/invalidate',
      summary: 'Drop cached entries by key, tag or all, on every node',
      tags: ['operations'],
      access: access.adminOrShim,
      body: invalidateBody,
      responses: {
        200: {
          description:
            '`invalidated`: entries removed; `nodes_notified`: nodes listening on the bus, this one included (0 while Redis is unreachable)',
          schema: z.object({ invalidated: z.number().int(), nodes_notified: z.number().int() }),
          example: { invalidated: 3, nodes_notified: 4 },
        },
      },
      example: { as: 'admin', body: { tags: ['user:42'] }, status: 200 },
      errors: ['rest_forbidden', 'rest_invalid_param'],
      async handler(ctx, { body }) {
        const result = await cache.invalidate(body);
        ctx.state.logger.info('cache invalidated', {
          by: ctx.state.caller.kind,
          keys: body.keys?.length ?? 0,
          tags: body.tags,
          all: body.all === true,
          ...result,
        });
        return result;
      },
    }),
  ];
}
