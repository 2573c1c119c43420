import { expect } from 'chai';
import { DEMO_WEBHOOK_SECRET } from '../../scripts/lib/demo-data.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { ADMIN_ID, createApiKey } from '../helpers/auth.ts';
import { call } from '../helpers/http.ts';
import { startMariaDb, type MariaDbInstance } from '../helpers/mariadb-instance.ts';
import { cleanRedisPrefix, testRedisPrefix } from '../helpers/redis.ts';
import { sidecarEnv, type ChildSidecar } from '../helpers/sidecar.ts';
import { spawnReady } from '../helpers/spawn-ready.ts';
import { orderData, signedDelivery, webhookBody } from '../fixtures/lemon-squeezy.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `order_created` for a new buyer per number, as Lemon Squeezy signs it. */
const newBuyerOrder = (n: number) =>
  signedDelivery(
    webhookBody('order_created', orderData({ id: 60_000 + n, email: `launch-${n}@example.test`, productId: 900_001, total: 4_900 })),
    DEMO_WEBHOOK_SECRET,
  );

interface Answer {
  n: number;
  status: number;
  retryAfter: string | null;
}

/**
 * A course launch: many first orders of new buyers at once (docs/decisions/0030). Each delivery
 * is sent as Lemon Squeezy does: again after a 503 (we do not wait the whole Retry-After), never
 * after a 200. Every answer is kept.
 */
async function deliver(url: string, numbers: number[], concurrency: number, onAnswer?: (done: number) => void): Promise<Answer[]> {
  const answers: Answer[] = [];
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < numbers.length) {
        const n = numbers[next++]!;
        const delivery = newBuyerOrder(n);
        for (let attempt = 0; attempt < 200; attempt++) {
          let status: number;
          let retryAfter: string | null = null;
          try {
            const res = await call(url, delivery);
            status = res.status;
            retryAfter = res.headers.get('retry-after');
          } catch {
            status = -1; // the connection itself failed: not an answer
          }
          if (status > 0) answers.push({ n, status, retryAfter });
          if (status === 200) break;
          await sleep(200);
        }
        onAnswer?.(++done);
      }
    }),
  );
  return answers;
}

describe('webhook bursts of new buyers (#24): never a 500, one set of rows per event', function () {
  this.timeout(300_000);
  let maria: MariaDbInstance;
  let db: TestDb;
  let sc: ChildSidecar | null = null;
  const prefix = testRedisPrefix();

  const rowsPerEvent = async (from: number, to: number) => {
    const p = db.prefix;
    const [[r]] = await db.pool.query<any>(
      `SELECT
        (SELECT COUNT(*) FROM ${p}slbp_transactions WHERE CAST(order_id AS UNSIGNED) BETWEEN ? AND ?) AS tx,
        (SELECT COUNT(DISTINCT order_id) FROM ${p}slbp_transactions WHERE CAST(order_id AS UNSIGNED) BETWEEN ? AND ?) AS orders,
        (SELECT COUNT(*) FROM ${p}users WHERE user_email LIKE 'launch-%@example.test') AS users,
        (SELECT COUNT(DISTINCT user_email) FROM ${p}users WHERE user_email LIKE 'launch-%@example.test') AS emails,
        (SELECT COUNT(*) FROM ${p}options WHERE option_name LIKE '\\_slbp\\_ls\\_event\\_%') AS ledger,
        (SELECT COUNT(*) FROM ${p}slbp_enrollment_logs l JOIN ${p}users u ON u.ID = l.user_id WHERE u.user_email LIKE 'launch-%@example.test') AS enrolments`,
      [60_000 + from, 60_000 + to, 60_000 + from, 60_000 + to],
    );
    return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)]));
  };

  before(async () => {
    maria = await startMariaDb();
    db = await createTestDb({ size: 'tiny', server: { host: '127.0.0.1', port: maria.port, user: 'root', password: '' } });
    sc = await spawnReady({ ...sidecarEnv(db, {}, prefix), DB_HOST: `127.0.0.1:${maria.port}` });
  });
  after(async () => {
    await sc?.stop();
    await cleanRedisPrefix(prefix);
    await db?.pool.end();
    await maria?.destroy();
  });

  it('300 first orders at 30 concurrent deliveries: all 200 at the first attempt, one set of rows each', async () => {
    const answers = await deliver(`${sc!.base}/webhooks/lemon-squeezy`, [...Array(300).keys()], 30);
    const byStatus = answers.reduce<Record<number, number>>((m, a) => ({ ...m, [a.status]: (m[a.status] ?? 0) + 1 }), {});
    expect(byStatus).to.deep.equal({ 200: 300 });
    expect(await rowsPerEvent(0, 299)).to.deep.equal({ tx: 300, orders: 300, users: 300, emails: 300, ledger: 300, enrolments: 300 });
  });

  it('300 more with MariaDB restarted halfway: 503 with Retry-After while it is down, never a 500, one set of rows each after redelivery', async () => {
    let restart: Promise<void> | null = null;
    const answers = await deliver(
      `${sc!.base}/webhooks/lemon-squeezy`,
      [...Array(300).keys()].map((i) => 300 + i),
      30,
      (done) => {
        if (done === 150 && !restart)
          restart = (async () => {
            await maria.stop();
            await sleep(3000);
            await maria.start();
          })();
      },
    );
    await restart;
    const statuses = new Set(answers.map((a) => a.status));
    expect([...statuses].sort()).to.deep.equal([200, 503]);
    const unavailable = answers.filter((a) => a.status === 503);
    expect(unavailable.length).to.be.greaterThan(0);
    expect(unavailable.every((a) => a.retryAfter !== null && Number(a.retryAfter) > 0)).to.equal(true);
    // Every event ended with one 200.
    expect(new Set(answers.filter((a) => a.status === 200).map((a) => a.n)).size).to.equal(300);
    expect(answers.filter((a) => a.status === 200)).to.have.length(300);
    expect(await rowsPerEvent(300, 599)).to.deep.include({ tx: 300, orders: 300 });
    expect(await rowsPerEvent(0, 599)).to.deep.equal({ tx: 600, orders: 600, users: 600, emails: 600, ledger: 600, enrolments: 600 });
    expect(sc!.proc.exitCode).to.equal(null);
  });

  it('an administrator replays a failed delivery from the log: applied once, then a duplicate; outgoing entries are not replayable', async () => {
    const admin = { 'X-API-Key': (await createApiKey(db, { userId: ADMIN_ID, permissions: ['admin'] })).key };
    const payload = String(newBuyerOrder(900).body);
    const [res] = await db.pool.query<any>(
      `INSERT INTO ${db.prefix}slbp_webhook_logs (webhook_id, event, payload, response_code, response_body, status, attempts, created_at)
       VALUES (0, 'order_created', ?, 500, '{"error":"Webhook processing failed"}', 'failed', 1, UTC_TIMESTAMP())`,
      [payload],
    );
    const failed = await call(`${sc!.base}/webhooks/logs?status=failed`, { headers: admin });
    expect(failed.body.map((e: { id: number }) => e.id)).to.include(res.insertId);

    const replay = () => call(`${sc!.base}/webhooks/logs/${res.insertId}/replay`, { method: 'POST', headers: admin });
    const first = await replay();
    expect(first.status).to.equal(200);
    expect(first.body).to.deep.equal({
      id: res.insertId,
      replayed: true,
      outcome: 'processed',
      answer: { received: true, processed: true },
    });
    expect((await replay()).body.outcome).to.equal('duplicate');
    const [[row]] = await db.pool.query<any>(`SELECT COUNT(*) AS n FROM ${db.prefix}slbp_transactions WHERE order_id = '60900'`);
    expect(Number(row.n)).to.equal(1);

    const [out] = await db.pool.query<any>(
      `INSERT INTO ${db.prefix}slbp_webhook_logs (webhook_id, event, payload, response_code, status, attempts, created_at)
       VALUES (7, 'order_created', '{}', 500, 'failed', 1, UTC_TIMESTAMP())`,
    );
    const refused = await call(`${sc!.base}/webhooks/logs/${out.insertId}/replay`, { method: 'POST', headers: admin });
    expect(refused.status).to.equal(409);
    expect(refused.body.code).to.equal('slbp_webhook_not_replayable');
    expect((await call(`${sc!.base}/webhooks/logs/${res.insertId}/replay`, { method: 'POST' })).status).to.equal(401);
  });
});
