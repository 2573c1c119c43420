import type { RouteSpec } from '../route.ts';

/**
 * Documented example calls for the billing routes that take an id, chosen from the demo data
 * (`tiny` and larger): transaction 1 and subscription 48 belong to the first student, transaction
 * 3 is completed, notification 7 is the student's. The resume example resumes subscription 48,
 * which the cancel example (documented, and sent, before it) cancelled: a subscription resumes
 * into the state it had before the sidecar cancelled it. The API reference reads `example` from
 * each route spec.
 */
const EXAMPLES: Record<string, { as: 'admin' | 'subscriber'; params: Record<string, number>; status: number }> = {
  'GET /transactions/:id': { as: 'subscriber', params: { id: 1 }, status: 200 },
  'GET /transactions/:id/invoice': { as: 'admin', params: { id: 3 }, status: 200 },
  'GET /subscriptions/:id': { as: 'subscriber', params: { id: 48 }, status: 200 },
  'POST /subscriptions/:id/cancel': { as: 'subscriber', params: { id: 48 }, status: 200 },
  'POST /subscriptions/:id/resume': { as: 'subscriber', params: { id: 48 }, status: 200 },
  'POST /notifications/:id/read': { as: 'subscriber', params: { id: 7 }, status: 200 },
};

/** Attaches the documented example to each route that has one. */
export function withExamples(routes: RouteSpec[]): RouteSpec[] {
  return routes.map((r) => {
    const example = EXAMPLES[`${r.method} ${r.path}`];
    return example ? Object.assign(r, { example }) : r;
  });
}
