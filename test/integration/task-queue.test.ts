import { expect } from 'chai';
import { TasksRepository } from '../../src/data/payments/tasks-repository.ts';
import { TaskQueue, type TaskHandler } from '../../src/jobs/task-queue.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';

describe('background task queue', () => {
  let db: TestDb;
  let sc: InProcessSidecar;
  let tasks: TasksRepository;
  const task = async (id: number) => (await db.pool.query<any>(`SELECT * FROM ${db.prefix}slbp_background_tasks WHERE id = ?`, [id]))[0][0];
  const queue = (handlers: Record<string, TaskHandler>, opts: ConstructorParameters<typeof TaskQueue>[4] = {}) =>
    new TaskQueue(sc.container.db, tasks, new Map(Object.entries(handlers)), sc.container.logger, { backoffBaseSec: 0, ...opts });

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    sc = await startSidecar(db);
    tasks = sc.container.payments.tasks;
  });
  beforeEach(async () => {
    await db.pool.query(`DELETE FROM ${db.prefix}slbp_background_tasks`);
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  it('a task that fails twice and then succeeds ends completed with retry_count 2', async () => {
    let calls = 0;
    const id = await tasks.enqueue(sc.container.db.write, 'flaky', { n: 1 });
    await queue({
      flaky: async () => {
        if (++calls <= 2) throw new Error(`attempt ${calls} failed`);
      },
    }).drain();
    expect(calls).to.equal(3);
    expect(await task(id)).to.include({ status: 'completed', retry_count: 2, error_message: null });
  });

  it('gives up after 3 attempts, and waits with backoff between them', async () => {
    const id = await tasks.enqueue(sc.container.db.write, 'broken', {});
    let calls = 0;
    await queue({
      broken: async () => {
        calls++;
        throw new Error('always broken');
      },
    }).drain();
    expect(calls).to.equal(3);
    expect(await task(id)).to.include({ status: 'failed', retry_count: 3, error_message: 'always broken' });

    const later = await tasks.enqueue(sc.container.db.write, 'broken', {});
    await queue(
      {
        broken: async () => {
          throw new Error('nope');
        },
      },
      { backoffBaseSec: 60 },
    ).drain();
    const [[row]] = await db.pool.query<any>(
      `SELECT status, retry_count, scheduled_at > UTC_TIMESTAMP() + INTERVAL 50 SECOND AS deferred FROM ${db.prefix}slbp_background_tasks WHERE id = ?`,
      [later],
    );
    expect(row).to.deep.equal({ status: 'pending', retry_count: 1, deferred: 1 });
  });

  it("runs lower priority first, and leaves the plugin's own task types exactly as they are", async () => {
    const order: number[] = [];
    for (const p of [20, 5, 10]) await tasks.enqueue(sc.container.db.write, 'record', { p }, { priority: p });
    const unknown = await tasks.enqueue(sc.container.db.write, 'billing_run', {}, { priority: 1 });
    const stuck = await tasks.enqueue(sc.container.db.write, 'email_campaign', {});
    await db.pool.query(
      `UPDATE ${db.prefix}slbp_background_tasks SET status = 'processing', started_at = UTC_TIMESTAMP() - INTERVAL 2 HOUR WHERE id = ?`,
      [stuck],
    );
    const before = [await task(unknown), await task(stuck)];
    await queue(
      {
        record: async (d) => {
          order.push(Number(d.p));
        },
      },
      { batchSize: 1, concurrency: 1, stuckAfterSec: 900 },
    ).drain();
    expect(order).to.deep.equal([5, 10, 20]);
    // Not claimed, not failed, not "recovered": WordPress's own processor owns these.
    expect([await task(unknown), await task(stuck)]).to.deep.equal(before);
  });

  it('picks up a task stuck in processing past the timeout, but not a fresh one', async () => {
    const stuck = await tasks.enqueue(sc.container.db.write, 'record', { p: 1 });
    const fresh = await tasks.enqueue(sc.container.db.write, 'record', { p: 2 });
    await db.pool.query(
      `UPDATE ${db.prefix}slbp_background_tasks SET status = 'processing', started_at = UTC_TIMESTAMP() - INTERVAL 2 HOUR WHERE id = ?`,
      [stuck],
    );
    await db.pool.query(`UPDATE ${db.prefix}slbp_background_tasks SET status = 'processing', started_at = UTC_TIMESTAMP() WHERE id = ?`, [
      fresh,
    ]);
    const ran: number[] = [];
    await queue(
      {
        record: async (d) => {
          ran.push(Number(d.p));
        },
      },
      { stuckAfterSec: 900 },
    ).drain();
    expect(ran).to.deep.equal([1]);
    expect(await task(stuck)).to.include({ status: 'completed', retry_count: 1 });
    expect(await task(fresh)).to.include({ status: 'processing' });
  });

  it('claims nothing while enable_background_processing is off', async () => {
    const id = await tasks.enqueue(sc.container.db.write, 'record', {});
    let ran = 0;
    await queue(
      {
        record: async () => {
          ran++;
        },
      },
      { enabled: () => false },
    ).drain();
    expect(ran).to.equal(0);
    expect(await task(id)).to.include({ status: 'pending' });
  });

  it('send_notifications and cleanup_logs do their work through the real queue', async () => {
    const w = sc.container.db.write;
    const n = await tasks.enqueue(w, 'send_notifications', {
      user_ids: [3, 4],
      type: 'announcement',
      title: 'New course',
      message: 'Watercolour 2 is out.',
    });
    await db.pool.query(
      `INSERT INTO ${db.prefix}slbp_webhook_logs (webhook_id, event, payload, status, created_at) VALUES (0, 'old', '{}', 'processed', UTC_TIMESTAMP() - INTERVAL 40 DAY), (0, 'new', '{}', 'processed', UTC_TIMESTAMP())`,
    );
    const c = await tasks.enqueue(w, 'cleanup_logs', { days: 30 });
    await sc.container.payments.queue.drain();
    expect(await task(n)).to.include({ status: 'completed' });
    expect(await task(c)).to.include({ status: 'completed' });
    const [notes] = await db.pool.query<any>(
      `SELECT user_id FROM ${db.prefix}slbp_notifications WHERE title = 'New course' ORDER BY user_id`,
    );
    expect(notes).to.deep.equal([{ user_id: 3 }, { user_id: 4 }]);
    const [logs] = await db.pool.query<any>(`SELECT event FROM ${db.prefix}slbp_webhook_logs WHERE event IN ('old', 'new')`);
    expect(logs).to.deep.equal([{ event: 'new' }]);
  });
});
