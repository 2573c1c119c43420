import { expect } from 'chai';
import { DatabaseUnavailableError, TableShare } from '../../src/data/database.ts';

/** A query that runs until `release()` is called. */
function held() {
  let release!: () => void;
  const done = new Promise<string>((r) => (release = () => r('done')));
  return { run: () => done, release };
}

describe('billing lane: a share of connections per table (#24 bulkheads)', () => {
  it('a table at its share makes further queries on it wait, not queries on other tables', async () => {
    const share = new TableShare(2);
    const a = held();
    const b = held();
    const first = share.run('SELECT * FROM `wp_slbp_transactions` LIMIT 1', 5000, a.run);
    const second = share.run('SELECT COUNT(*) FROM `wp_slbp_transactions`', 5000, b.run);
    let thirdRan = false;
    const third = share.run('SELECT id FROM `wp_slbp_transactions` WHERE id = 1', 5000, async () => {
      thirdRan = true;
      return 'third';
    });
    // Another table is not held up by the locked one.
    expect(await share.run('SELECT * FROM `wp_slbp_subscriptions`', 5000, async () => 'subs')).to.equal('subs');
    expect(thirdRan).to.equal(false);
    a.release();
    expect(await first).to.equal('done');
    expect(await third).to.equal('third');
    b.release();
    expect(await second).to.equal('done');
  });

  it('a query that waits longer than the acquire timeout fails as the database being unavailable', async () => {
    const share = new TableShare(1);
    const a = held();
    const first = share.run('SELECT * FROM `wp_slbp_transactions`', 5000, a.run);
    let err: unknown;
    await share.run('SELECT * FROM `wp_slbp_transactions`', 50, async () => 'never').catch((e) => (err = e));
    expect(err).to.be.instanceOf(DatabaseUnavailableError);
    a.release();
    await first;
    // The share is free again.
    expect(await share.run('SELECT * FROM `wp_slbp_transactions`', 50, async () => 'ok')).to.equal('ok');
  });
});
