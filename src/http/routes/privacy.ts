import { z } from 'zod';
import { access } from '../../domain/access.ts';
import type { PrivacyService } from '../../domain/privacy-service.ts';
import { defineRoute, type RouteSpec } from '../route.ts';

// POST, not GET: an email address in a URL ends up in access logs.
const email = z.string().trim().min(3).max(100).describe('the email address of the request (Tools → Export / Erase Personal Data)');

/** WordPress's personal data exporter and eraser, for the shim's privacy tools; administrators only. */
export function privacyRoutes(privacy: PrivacyService): RouteSpec[] {
  const tags = ['privacy'];
  return [
    defineRoute({
      method: 'POST',
      path: '/privacy/export',
      summary:
        "One page of a person's billing data: transactions, subscriptions, enrolment logs, notifications, API keys, and their records in the plugin's form",
      tags,
      access: access.admin,
      body: z.object({ email, page: z.number().int().min(1).max(100_000).default(1) }),
      responses: {
        200: { description: '`{user_id, items[{group, id, fields}], done}`; `user_id` is null when no WordPress user has the email' },
      },
      example: { as: 'admin', body: { email: 'nobody@example.invalid', page: 1 }, status: 200 },
      handler: (_ctx, { body }) => privacy.exportPage(body.email, body.page),
    }),
    defineRoute({
      method: 'POST',
      path: '/privacy/erase',
      summary: "Erase a person's billing data; what accounting needs is kept, detached from them",
      tags,
      access: access.admin,
      body: z.object({ email }),
      responses: {
        200: {
          description: '`{user_id, counts{}, running_subscriptions, items_removed, items_retained, retained[{group, count, reason}]}`',
        },
      },
      example: { as: 'admin', body: { email: 'nobody@example.invalid' }, status: 200 },
      handler: (_ctx, { body }) => privacy.erase(body.email),
    }),
  ];
}
