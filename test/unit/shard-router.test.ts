import { expect } from 'chai';
import { splitShardSpec } from '../../src/data/database.ts';
import { compareDecimal, sqlOrder } from '../../src/data/shard-router.ts';
import { mergedWindow } from '../../src/data/shards.ts';
import { loadConfig } from '../../src/config/load.ts';

interface Row {
  id: number | string;
  amount: string;
  created_at: string | null;
}

describe('shard router: SLBP_SHARDS, the SQL order in JavaScript, offset windows', () => {
  it('reads host, port, socket and database from each SLBP_SHARDS entry', () => {
    expect(splitShardSpec('db1.internal:3307/wp_shard0')).to.deep.equal({ host: 'db1.internal:3307', database: 'wp_shard0' });
    expect(splitShardSpec('localhost:/run/mysqld/mysqld.sock/wp_shard1')).to.deep.equal({
      host: 'localhost:/run/mysqld/mysqld.sock',
      database: 'wp_shard1',
    });
    expect(splitShardSpec('wp_shard2')).to.deep.equal({ host: null, database: 'wp_shard2' });
    expect(splitShardSpec('/wp_shard2')).to.deep.equal({ host: null, database: 'wp_shard2' });
    const cfg = loadConfig({ env: { DB_NAME: 'wp', SLBP_SHARDS: 'a:3306/s0, b/s1,s2' } });
    expect(cfg.db.shards).to.deep.equal(['a:3306/s0', 'b/s1', 's2']);
    expect(() => loadConfig({ env: { DB_NAME: 'wp', SLBP_SHARDS: 'a:3306/' } })).to.throw(/SLBP_SHARDS|shards/);
  });

  it('compares DECIMAL strings exactly, as MariaDB orders them', () => {
    const sorted = ['-3.5', '-0.01', '0', '0.10', '2', '19.99', '20.00', '100.5', '99999999999999999999.01'];
    const shuffled = [...sorted].reverse();
    expect(shuffled.sort(compareDecimal)).to.deep.equal(sorted);
    expect(compareDecimal('12.5', '12.50')).to.equal(0);
    expect(compareDecimal('99999999999999999999.01', '99999999999999999999.02')).to.equal(-1);
  });

  it('orders like ORDER BY column dir, id dir: NULL first ascending and last descending, ties by id', () => {
    const rows: Row[] = [
      { id: 3, amount: '5.00', created_at: '2026-01-02 00:00:00' },
      { id: 1, amount: '5.00', created_at: null },
      { id: 2, amount: '40.00', created_at: '2026-01-02 00:00:00' },
      { id: '18446744073709551615', amount: '5', created_at: '2025-12-31 23:59:59' },
    ];
    const ids = (c: (a: Row, b: Row) => number) => [...rows].sort(c).map((r) => String(r.id));
    expect(ids(sqlOrder<Row>('amount', 'decimal', 'asc'))).to.deep.equal(['1', '3', '18446744073709551615', '2']);
    expect(ids(sqlOrder<Row>('created_at', 'text', 'asc'))).to.deep.equal(['1', '18446744073709551615', '2', '3']);
    expect(ids(sqlOrder<Row>('created_at', 'text', 'desc'))).to.deep.equal(['3', '2', '18446744073709551615', '1']);
    expect(ids(sqlOrder<Row>('id', 'id', 'desc'))).to.deep.equal(['18446744073709551615', '3', '2', '1']);
  });

  it('cuts any offset window, not only whole pages, out of the merged list', async () => {
    const shards = [
      [1, 4, 7, 10],
      [2, 5, 8],
      [3, 6, 9, 11, 12],
    ];
    const asked: number[] = [];
    const fetch = async (s: number[], limit: number) => {
      asked.push(limit);
      return { rows: s.slice(0, limit), total: s.length };
    };
    const all = shards.flat().sort((a, b) => a - b);
    for (let offset = 0; offset <= all.length; offset++) {
      for (const per of [1, 5]) {
        const got = await mergedWindow(shards, fetch, (a, b) => a - b, offset, per);
        expect(got.total).to.equal(12);
        expect(got.rows, `offset ${offset}, ${per}`).to.deep.equal(all.slice(offset, offset + per));
      }
    }
    expect(Math.max(...asked)).to.equal(all.length + 5);
    const refused = await mergedWindow(shards, fetch, (a, b) => a - b, -1, 5).then(
      () => null,
      (err: unknown) => err,
    );
    expect(refused).to.be.instanceOf(RangeError);
  });
});
