import { expect } from 'chai';
import { Memo } from '../../src/cache/memo.ts';

describe('bounded memo', () => {
  it('keeps at most its bound, forgetting the oldest entry first', () => {
    const m = new Memo<string, number>(3);
    for (const [i, k] of ['a', 'b', 'c', 'd'].entries()) m.set(k, i);
    expect(m.size).to.equal(3);
    expect(m.get('a')).to.equal(undefined);
    expect([m.get('b'), m.get('c'), m.get('d')]).to.deep.equal([1, 2, 3]);
  });

  it('replacing a key it holds forgets nothing else', () => {
    const m = new Memo<string, number>(2);
    m.set('a', 1);
    m.set('b', 2);
    m.set('a', 3);
    expect([m.get('a'), m.get('b'), m.size]).to.deep.equal([3, 2, 2]);
  });

  it('is bounded in bytes too: long keys push out old ones, and one too big for an eighth of the budget is not kept', () => {
    const m = new Memo<string, number>(1000, 10_000);
    for (let i = 0; i < 100; i++) m.set(`${i}:${'k'.repeat(500)}`, i);
    expect(m.bytes).to.be.at.most(10_000);
    expect(m.size).to.be.below(10);
    expect(m.get(`99:${'k'.repeat(500)}`)).to.equal(99);
    m.set('x'.repeat(1000), 1);
    expect(m.get('x'.repeat(1000))).to.equal(undefined);
    expect(m.get(`99:${'k'.repeat(500)}`)).to.equal(99);
  });
});
