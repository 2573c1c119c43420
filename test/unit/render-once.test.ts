import { expect } from 'chai';
import { Rendered, renderOnce } from '../../src/http/middleware/respond.ts';

describe('renderOnce: a cached value is serialised once', () => {
  it('shares one rendering per source; its JSON is kept from the second answer on', () => {
    let calls = 0;
    const rows = [
      { id: 1, amount: '12.50' },
      { id: 2, amount: '3.00' },
    ];
    const render = (rs: typeof rows) => {
      calls++;
      return rs.map((r) => ({ id: r.id, amount: Number(r.amount) }));
    };
    const a = renderOnce(rows, render);
    expect(a).to.be.instanceOf(Rendered);
    expect(renderOnce(rows, render)).to.equal(a);
    expect(calls).to.equal(0);
    const first = a.bytes;
    expect(first.toString('utf8')).to.equal('[{"id":1,"amount":12.5},{"id":2,"amount":3}]');
    const second = a.bytes;
    const third = a.bytes;
    expect(second.equals(first)).to.equal(true);
    expect(third).to.equal(second);
    expect(calls).to.equal(2);
    for (let i = 0; i < 10; i++) expect(a.bytes).to.equal(second);
    expect(calls).to.equal(2);
    expect(a.value).to.deep.equal([
      { id: 1, amount: 12.5 },
      { id: 2, amount: 3 },
    ]);
  });

  it('a new value (the cache reloaded after an invalidation) gets a new rendering', () => {
    const render = (rs: { id: number }[]) => rs.map((r) => r.id);
    const before = renderOnce([{ id: 1 }], render);
    const after = renderOnce([{ id: 1 }, { id: 2 }], render);
    expect(after).to.not.equal(before);
    expect(after.bytes.toString()).to.equal('[1,2]');
  });

  it('keeps non-ASCII text intact in the UTF-8 bytes', () => {
    const r = renderOnce({ title: 'Café – 日本語' });
    expect(JSON.parse(r.bytes.toString('utf8'))).to.deep.equal({ title: 'Café – 日本語' });
  });
});
