import { expect } from 'chai';
import { expectRestError, type JsonResponse } from './http.ts';

/**
 * Seven auth-zone attempts (limit 6: 1 r/s, burst 5) answered six 401s and one 429 in WordPress's
 * shape, with Retry-After and X-RateLimit-* consistent; `startedAt` bounds X-RateLimit-Reset.
 */
export function expectOneRateLimited(results: JsonResponse[], startedAt: number): JsonResponse {
  expect(results.map((r) => r.status).sort(), results.map((r) => r.text).join('\n')).to.deep.equal([401, 401, 401, 401, 401, 401, 429]);
  const res = results.find((r) => r.status === 429)!;
  expectRestError(res, 'slbp_rate_limited', 429);
  expect(res.body.data.retry_after).to.be.a('number').greaterThan(0);
  expect(Number(res.headers.get('retry-after'))).to.equal(res.body.data.retry_after);
  expect(res.headers.get('x-ratelimit-limit')).to.equal('6');
  expect(res.headers.get('x-ratelimit-remaining')).to.equal('0');
  expect(Number(res.headers.get('x-ratelimit-reset'))).to.be.at.least(Math.floor(startedAt / 1000));
  return res;
}
