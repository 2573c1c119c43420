import { expect } from 'chai';
import { percentile } from '../../bench/load.ts';

describe('bench: p99 over every request of a scenario', () => {
  it('is the nearest-rank percentile of the sorted response times', () => {
    const times = Float64Array.from({ length: 1000 }, (_, i) => i + 1).sort();
    expect(percentile(times, 0.99)).to.equal(990);
    expect(percentile(times, 0.5)).to.equal(500);
    expect(percentile(Float64Array.from([40, 1, 2, 3]).sort(), 0.99)).to.equal(40);
    expect(percentile(new Float64Array(0), 0.99)).to.equal(0);
  });
});
