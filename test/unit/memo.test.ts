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
});
