import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { queryDigest } from '../../src/domain/billing/viewer.ts';

describe('queryDigest: cache-key digests of query objects', () => {
  const sortedJsonSha1 = (q: unknown) =>
    createHash('sha1')
      .update(
        JSON.stringify(q, (_k, v) =>
          v && typeof v === 'object' && !Array.isArray(v)
            ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
            : v,
        ),
      )
      .digest('hex')
      .slice(0, 20);

  it('is the digest of the JSON with sorted keys, so keys written by other versions stay the same', () => {
    const cases: unknown[] = [
      {
        filter: { userId: 3, statuses: ['completed', 'paid'], gateway: undefined, after: '2026-01-01 00:00:00' },
        w: { orderby: 'created_at', order: 'desc', limit: 50, offset: 0 },
      },
      { zone: 'Europe/Berlin', from: 1_700_000_000_000, to: 1_800_000_000_000, size: 'month', currency: null },
      { b: 1, a: [1, { y: 2, x: 'é"\\\n' }, undefined], c: new Date(0), d: true, e: '' },
      [],
      'plain',
    ];
    for (const q of cases) expect(queryDigest(q), JSON.stringify(q)).to.equal(sortedJsonSha1(q));
  });

  it('ignores key order and undefined members, and tells different queries apart', () => {
    expect(queryDigest({ a: 1, b: { c: 2, d: 3 } })).to.equal(queryDigest({ b: { d: 3, c: 2 }, a: 1, z: undefined }));
    expect(queryDigest({ a: 1 })).to.not.equal(queryDigest({ a: '1' }));
    expect(queryDigest({ a: [1, 2] })).to.not.equal(queryDigest({ a: [2, 1] }));
    expect(queryDigest({ a: null })).to.not.equal(queryDigest({}));
    expect(queryDigest({ a: 1 })).to.match(/^[0-9a-f]{20}$/);
  });
});
