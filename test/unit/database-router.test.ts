import { expect } from 'chai';
import type { Database, Queryable } from '../../src/data/database.ts';
import { DatabaseRouter, userKey } from '../../src/data/database-router.ts';

interface Pool {
  name: string;
}

/** A Database with named pools that answer which pool ran each query. */
function fakeDatabase(opts: { readers?: number; shards?: number }) {
  const writer: Pool = { name: 'writer' };
  const readers: Pool[] = Array.from({ length: opts.readers ?? 0 }, (_, i) => ({ name: `reader${i + 1}` }));
  const shards: Queryable[] = Array.from({ length: opts.shards ?? 0 }, (_, i) => ({ query: async () => `shard${i}` as never }));
  let next = 0;
  const db = {
    writer,
    readers,
    write: { query: async () => 'writer' },
    // The billing-reads lane: the writer through connections of its own.
    lane: () => ({ query: async () => 'writer' }),
    shardQueryables: () => shards,
    pickReader: () => (readers.length ? readers[next++ % readers.length]! : writer),
    queryOn: async (p: Pool) => p.name,
  };
  return db as unknown as Database;
}

const where = (q: Queryable) => q.query<string>('SELECT 1');

describe('database router: the one place that chooses a database', () => {
  it('without replicas or shards, every read and write is on the writer', async () => {
    const r = new DatabaseRouter(fakeDatabase({}), null, 5000);
    expect(await where(r.forRead(null))).to.equal('writer');
    expect(await where(r.forRead(userKey(7), 7))).to.equal('writer');
    expect(await where(r.forWrite(7))).to.equal('writer');
    expect(await Promise.all(r.all().map(where))).to.deep.equal(['writer']);
    expect(await Promise.all(r.allForRead(null).map(where))).to.deep.equal(['writer']);
  });

  it("with replicas, a caller's reads see the writer right after their own write and a replica otherwise", async () => {
    const r = new DatabaseRouter(fakeDatabase({ readers: 1 }), null, 5000);
    expect(await where(r.forRead(userKey(1)))).to.equal('reader1');
    await r.noteWrite(userKey(1));
    expect(await r.wroteRecently(userKey(1))).to.equal(true);
    expect(await where(r.forRead(userKey(1)))).to.equal('writer');
    expect(await where(r.forRead(userKey(2)))).to.equal('reader1');
    expect(await where(r.forRead(null))).to.equal('reader1');
    // Writes never go to a replica.
    expect(await where(r.forWrite(1))).to.equal('writer');
  });

  it('with read-your-writes off (window 0) nothing is remembered', async () => {
    const r = new DatabaseRouter(fakeDatabase({ readers: 1 }), null, 0);
    await r.noteWrite(userKey(1));
    expect(await r.wroteRecently(userKey(1))).to.equal(false);
    expect(await where(r.forRead(userKey(1)))).to.equal('reader1');
  });

  it("with shards, a user's billing rows are read and written on shard user_id % N; other reads on the main database", async () => {
    const r = new DatabaseRouter(fakeDatabase({ readers: 1, shards: 3 }), null, 5000);
    expect(r.sharded).to.equal(true);
    expect(await where(r.forRead(null, 5))).to.equal('shard2');
    expect(await where(r.forRead(userKey(4), 4))).to.equal('shard1');
    expect(await where(r.forWrite(0))).to.equal('shard0');
    expect(await where(r.forRead(null))).to.equal('reader1');
    expect(await Promise.all(r.all().map(where))).to.deep.equal(['shard0', 'shard1', 'shard2']);
    expect(await Promise.all(r.allForRead(null).map(where))).to.deep.equal(['shard0', 'shard1', 'shard2']);
    expect(r.indexOf(5)).to.equal(2);
  });
});
