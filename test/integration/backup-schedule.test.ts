import { expect } from 'chai';
import path from 'node:path';
import { slotId } from '../../src/backup/scheduled-backups.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { testRedisPrefix } from '../helpers/redis.ts';
import { startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';
import { waitFor } from '../helpers/backup.ts';

describe('backup schedule: one backup per slot across the pool', () => {
  let db: TestDb;
  let a: InProcessSidecar;
  let b: InProcessSidecar;

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    const prefix = testRedisPrefix();
    const node = (n: string) => ({
      env: { SLBP_REDIS_PREFIX: prefix, SLBP_DATA_DIR: path.join('var', 'test', `${process.pid}-${db.name}-${n}`) },
    });
    a = await startSidecar(db, node('a'));
    b = await startSidecar(db, node('b'));
    await waitFor(async () => a.container.redis!.isReady() && b.container.redis!.isReady(), 5000, 'redis');
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await db?.drop();
  });

  const completed = async () => [
    ...(await a.container.backup.backups.list({ status: 'completed' })),
    ...(await b.container.backup.backups.list({ status: 'completed' })),
  ];

  it('two nodes racing for the same slot produce exactly one backup', async () => {
    const slot = slotId('daily', new Date(Date.now() - 3_600_000));
    const first = await Promise.all([a.container.backup.slots.runSlot(slot, 'daily'), b.container.backup.slots.runSlot(slot, 'daily')]);
    expect(first.filter((r) => r === 'ran')).to.have.length(1);
    expect(first.filter((r) => r !== 'ran')[0]).to.be.oneOf(['busy', 'done']);
    // Later firings of the same slot (a slow node, a retry sweep) do nothing.
    const again = await Promise.all([a.container.backup.slots.runSlot(slot, 'daily'), b.container.backup.slots.runSlot(slot, 'daily')]);
    expect(again).to.deep.equal(['done', 'done']);
    await a.container.backup.scheduler.sweep();
    await b.container.backup.scheduler.sweep();
    const done = await completed();
    expect(done).to.have.length(1);
    expect(done[0]!.type).to.equal('daily');
    const winner = first[0] === 'ran' ? a : b;
    const m = await winner.container.backup.store.manifest(done[0]!.id);
    expect(m!.slot).to.equal(slot);
    expect(m!.fencing_token).to.be.a('number');
    expect(m!.components).to.deep.equal(['database', 'config']);
  });

  it('a slot whose node died mid-backup is retried by another node once the lease lapses', async () => {
    const slot = slotId('daily', new Date(Date.now() - 7_200_000));
    const before = (await completed()).length;
    // A node took the lock for this slot and then died: nobody renews the lease.
    await a.container.redis!.client.set('backup:lock', 'dead-node|backup_2026-01-02_03-00-00_DEADDEAD', 'PX', 600);
    expect(await b.container.backup.slots.runSlot(slot, 'daily')).to.equal('busy');
    expect(await b.container.backup.lock.pendingSlots()).to.include(slot);
    await new Promise((r) => setTimeout(r, 700));
    await b.container.backup.scheduler.sweep();
    expect(await b.container.backup.lock.slotState(slot)).to.match(/^done:backup_/);
    expect((await completed()).length).to.equal(before + 1);
    const fencings = await Promise.all(
      (await completed()).map(
        async (x) =>
          ((await a.container.backup.store.manifest(x.id).catch(() => null)) ?? (await b.container.backup.store.manifest(x.id)))!
            .fencing_token!,
      ),
    );
    expect(new Set(fencings).size).to.equal(fencings.length);
  });

  it('a manual backup while another holds the lock answers 409', async () => {
    await a.container.redis!.client.set('backup:lock', 'other-node|x', 'PX', 5000);
    try {
      await b.container.backup.backups.start({ components: ['config'] }).then(
        () => expect.fail('should refuse'),
        (err) => expect(err.status).to.equal(409),
      );
    } finally {
      await a.container.redis!.client.del('backup:lock');
    }
  });

  it('a holder that lost its lease does not commit (fencing)', async () => {
    const c = await startSidecar(db, {
      env: {
        SLBP_REDIS_PREFIX: a.redisPrefix,
        SLBP_BACKUP_LOCK_LEASE_MS: '1000',
        SLBP_DATA_DIR: path.join('var', 'test', `${process.pid}-${db.name}-c`),
      },
    });
    const hold = await db.pool.getConnection();
    try {
      await waitFor(async () => c.container.redis!.isReady(), 5000, 'redis');
      // The dump waits on a locked table while another node takes the lock over.
      await hold.query(`LOCK TABLES ${db.prefix}terms WRITE`);
      const { id, finished } = await c.container.backup.backups.start({ components: ['database'] });
      await new Promise((r) => setTimeout(r, 300));
      await c.container.redis!.client.set('backup:lock', 'usurper|x', 'PX', 10_000);
      await new Promise((r) => setTimeout(r, 800));
      await hold.query('UNLOCK TABLES');
      const info = await finished;
      expect(info.status).to.equal('failed');
      expect(info.error).to.match(/lock was lost/);
      expect(await c.container.backup.store.manifest(id)).to.equal(null);
      expect(await c.container.redis!.client.get('backup:lock')).to.equal('usurper|x');
    } finally {
      await hold.query('UNLOCK TABLES').catch(() => undefined);
      hold.release();
      await c.container.redis!.client.del('backup:lock');
      await c.running.shutdown('test done');
    }
  });
});
