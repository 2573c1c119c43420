import { expect } from 'chai';
import { aggregateShards, mergedPage, ShardMap, shardIndex } from '../../src/data/shards.ts';

interface Tx {
  id: number;
  user_id: number;
  created_at: string;
  amount: number;
}

/** Deterministic pseudo-random rows, with repeated timestamps so the tie-break matters. */
function makeRows(n: number): Tx[] {
  let seed = 42;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    user_id: 1 + Math.floor(rnd() * 40),
    created_at: `2026-11-${String(1 + Math.floor(rnd() * 5)).padStart(2, '0')}T10:00:00Z`,
    amount: Math.round(rnd() * 10_000) / 100,
  }));
}

// created_at DESC, id DESC: the admin list's order, with the unique id ending it.
const newestFirst = (a: Tx, b: Tx) => b.created_at.localeCompare(a.created_at) || b.id - a.id;

describe('shards (user_id % N)', () => {
  it('puts a user on user_id % N, exactly also for ids beyond 2^53', () => {
    expect([0, 1, 2, 3, 4, 5].map((id) => shardIndex(id, 3))).to.deep.equal([0, 1, 2, 0, 1, 2]);
    expect(shardIndex('18446744073709551615', 3)).to.equal(Number(18446744073709551615n % 3n));
    expect(new ShardMap(['a', 'b', 'c']).forUser(7)).to.equal('b');
    expect(() => shardIndex(-1, 3)).to.throw(RangeError);
    expect(() => shardIndex('abc', 3)).to.throw(RangeError);
    expect(() => shardIndex(1, 0)).to.throw(RangeError);
  });

  it('a list merged across 3 shards equals the list of one unsharded copy, page by page, with the same totals', async () => {
    const all = makeRows(257);
    const map = new ShardMap([0, 1, 2]);
    const shardRows = map.shards.map((s) => all.filter((r) => map.indexFor(r.user_id) === s));
    expect(shardRows.every((rows) => rows.length > 0)).to.equal(true);
    const unsharded = [...all].sort(newestFirst);
    let pagesChecked = 0;
    for (const perPage of [1, 10, 25, 100]) {
      const totalPages = Math.ceil(all.length / perPage);
      for (let page = 1; page <= totalPages; page++) {
        const got = await mergedPage(
          map.shards,
          async (s, limit) => {
            const sorted = [...shardRows[s]!].sort(newestFirst);
            return { rows: sorted.slice(0, limit), total: sorted.length };
          },
          newestFirst,
          page,
          perPage,
        );
        expect(got.total).to.equal(all.length);
        expect(got.totalPages).to.equal(totalPages);
        expect(
          got.rows.map((r) => r.id),
          `page ${page} of ${perPage}`,
        ).to.deep.equal(unsharded.slice((page - 1) * perPage, page * perPage).map((r) => r.id));
        pagesChecked++;
      }
      const past = await mergedPage(
        map.shards,
        async (s, limit) => ({ rows: shardRows[s]!.slice().sort(newestFirst).slice(0, limit), total: shardRows[s]!.length }),
        newestFirst,
        totalPages + 1,
        perPage,
      );
      expect(past.rows).to.deep.equal([]);
    }
    console.log(`      ${pagesChecked} pages compared against the unsharded list`);
  });

  it('aggregates across shards like over the whole table', async () => {
    const all = makeRows(100);
    const map = new ShardMap([0, 1, 2]);
    const sum = await aggregateShards(
      map.shards,
      async (s) => all.filter((r) => map.indexFor(r.user_id) === s).reduce((n, r) => n + Math.round(r.amount * 100), 0),
      (parts) => parts.reduce((a, b) => a + b, 0),
    );
    expect(sum).to.equal(all.reduce((n, r) => n + Math.round(r.amount * 100), 0));
  });
});
