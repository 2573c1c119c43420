import { expect } from 'chai';
import { z } from 'zod';
import { collectionParams, paging } from '../../src/http/collection.ts';
import { boolParam, csvList, dateParam, enumParam, idParams, intParam, stringParam } from '../../src/http/params.ts';

const ok = (schema: z.ZodType, v: unknown) => {
  const r = schema.safeParse(v);
  expect(r.success, `${JSON.stringify(v)}: ${r.success ? '' : r.error.message}`).to.equal(true);
  return (r as { data: unknown }).data;
};
const bad = (schema: z.ZodType, v: unknown) => expect(schema.safeParse(v).success, JSON.stringify(v)).to.equal(false);

describe('WordPress-style parameter schemas (src/http/params.ts)', () => {
  it('intParam reads "12" and 12, refuses floats, exponents, junk, arrays and out-of-range values', () => {
    const p = intParam({ min: 1, max: 100 });
    expect(ok(p, '12')).to.equal(12);
    expect(ok(p, 7)).to.equal(7);
    for (const v of ['1.5', '1e3', '12abc', '-', '', '0', '101', '-5', ['1', '2'], { a: 1 }, '99999999999999999999', null]) bad(p, v);
    expect(ok(intParam({ default: 3 }), undefined)).to.equal(3);
  });

  it('boolParam takes WordPress booleans only', () => {
    for (const v of ['1', 'true', 'YES', 'on', true, 1]) expect(ok(boolParam(), v)).to.equal(true);
    for (const v of ['0', 'false', 'no', 'off', '', false, 0]) expect(ok(boolParam(), v)).to.equal(false);
    for (const v of ['maybe', '2', ['1']]) bad(boolParam(), v);
  });

  it('dateParam reads dates and ISO times as UTC and refuses impossible dates', () => {
    expect((ok(dateParam(), '2026-11-26') as Date).toISOString()).to.equal('2026-11-26T00:00:00.000Z');
    expect((ok(dateParam(), '2026-11-26 10:58:19') as Date).toISOString()).to.equal('2026-11-26T10:58:19.000Z');
    expect((ok(dateParam(), '2026-11-26T10:58:19+02:00') as Date).toISOString()).to.equal('2026-11-26T08:58:19.000Z');
    for (const v of ['2026-02-30', '26-11-2026', 'yesterday', '2026-11-26T25:00:00Z', ['2026-11-26']]) bad(dateParam(), v);
  });

  it('enumParam, stringParam and csvList refuse arrays where one value is expected, and bound lengths', () => {
    expect(ok(enumParam(['asc', 'desc']), 'asc')).to.equal('asc');
    bad(enumParam(['asc', 'desc']), ['asc']);
    bad(enumParam(['asc', 'desc']), 'ASC');
    bad(stringParam(), ['a', 'b']);
    bad(stringParam(), 'x'.repeat(1001));
    expect(ok(csvList(enumParam(['a', 'b'])), 'a, b')).to.deep.equal(['a', 'b']);
    expect(ok(csvList(enumParam(['a', 'b'])), ['b'])).to.deep.equal(['b']);
    bad(csvList(enumParam(['a', 'b'])), 'a,c');
  });

  it('collection parameters: page ≥ 1, per_page 1..100 (default 10), limit as an alias, unknown parameters dropped', () => {
    const q = z.object({ ...collectionParams, status: enumParam(['active', 'expired']).optional() });
    expect(paging(ok(q, {}) as never)).to.deep.equal({ page: 1, perPage: 10, offset: 0 });
    expect(ok(q, { page: '3', limit: '20', status: 'active', junk: 'x' })).to.deep.equal({ page: 3, limit: 20, status: 'active' });
    expect(paging(ok(q, { page: '3', limit: '20' }) as never)).to.deep.equal({ page: 3, perPage: 20, offset: 40 });
    for (const v of [{ page: '0' }, { page: '-1' }, { per_page: '101' }, { per_page: '0' }, { page: ['1', '2'] }, { status: 'nope' }])
      bad(q, v);
    expect(ok(idParams, { id: '42' })).to.deep.equal({ id: 42 });
    bad(idParams, { id: '42; DROP TABLE x' });
  });
});
