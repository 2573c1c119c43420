import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { DEMO_WEBHOOK_SECRET } from '../../scripts/lib/demo-data.ts';
import { OutgoingWebhooksRepository } from '../../src/data/payments/outgoing-webhooks-repository.ts';
import { WebhookLogsRepository } from '../../src/data/payments/webhook-logs-repository.ts';
import { WebhookDispatcher } from '../../src/domain/payments/outgoing-webhooks.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/http.ts';
import { freePort } from '../helpers/mariadb-instance.ts';
import { startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';
import { orderData, signedDelivery, webhookBody } from '../fixtures/lemon-squeezy.ts';

interface Received {
  headers: http.IncomingHttpHeaders;
  raw: string;
  verified: boolean;
}

/** A receiver that checks `X-SLBP-Signature` the way a subscriber would. */
async function receiver(secret: string): Promise<{ url: string; got: Received[]; close(): Promise<void> }> {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`);
      const given = Buffer.from(String(req.headers['x-slbp-signature'] ?? ''));
      const verified = given.length === expected.length && timingSafeEqual(given, expected);
      got.push({ headers: req.headers, raw, verified });
      res.writeHead(verified ? 200 : 401).end(verified ? 'ok' : 'bad signature');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    got,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('outgoing webhooks', () => {
  let db: TestDb;
  let sc: InProcessSidecar;
  const addHook = async (url: string, events: string, secret = 'hook-secret') =>
    (
      await db.pool.query<any>(`INSERT INTO ${db.prefix}slbp_webhooks (user_id, name, url, events, secret) VALUES (1, 'CRM', ?, ?, ?)`, [
        url,
        events,
        secret,
      ])
    )[0].insertId as number;
  const logsOf = async (id: number) =>
    (
      await db.pool.query<any>(
        `SELECT event, status, attempts, response_code FROM ${db.prefix}slbp_webhook_logs WHERE webhook_id = ? ORDER BY id`,
        [id],
      )
    )[0];
  const hookRow = async (id: number) =>
    (
      await db.pool.query<any>(
        `SELECT is_active, failed_attempts, last_failure_at IS NOT NULL AS failed_at, last_success_at IS NOT NULL AS ok_at FROM ${db.prefix}slbp_webhooks WHERE id = ?`,
        [id],
      )
    )[0][0];

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    sc = await startSidecar(db);
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  it('an applied Lemon Squeezy event reaches a subscribed receiver, signed so that it verifies', async () => {
    const rx = await receiver('hook-secret');
    try {
      const id = await addHook(rx.url, JSON.stringify(['order_created', 'order_refunded']));
      await addHook(rx.url, JSON.stringify(['subscription_created']));
      const res = await call(
        `${sc.base}/webhooks/lemon-squeezy`,
        signedDelivery(
          webhookBody('order_created', orderData({ id: 4242, email: 'hooked@example.test', productId: 900_001, total: 1500 })),
          DEMO_WEBHOOK_SECRET,
        ),
      );
      expect(res.body.processed).to.equal(true);
      await sc.container.payments.dispatcher.idle();
      expect(rx.got).to.have.length(1);
      const [msg] = rx.got;
      expect(msg!.verified).to.equal(true);
      expect(msg!.headers['x-slbp-event']).to.equal('order_created');
      expect(msg!.headers['x-slbp-delivery']).to.match(/^[0-9a-f-]{36}$/);
      expect(msg!.headers['content-type']).to.equal('application/json');
      const body = JSON.parse(msg!.raw);
      expect(Object.keys(body).sort()).to.deep.equal(['data', 'event', 'timestamp', 'webhook']);
      expect(body.webhook).to.deep.equal({ id, name: 'CRM' });
      expect(body.data.transaction).to.include({ order_id: '4242', status: 'completed', amount: '15.00' });
      expect(body.data.enrolled_courses).to.deep.equal([101]);
      expect(body.data.user_id).to.be.a('number');
      expect(new Date(body.timestamp).toISOString()).to.equal(body.timestamp);
      expect(await logsOf(id)).to.deep.equal([{ event: 'order_created', status: 'success', attempts: 1, response_code: 200 }]);
      expect(await hookRow(id)).to.include({ failed_attempts: 0, ok_at: 1 });
      await db.pool.query(`UPDATE ${db.prefix}slbp_webhooks SET is_active = 0`);
    } finally {
      await rx.close();
    }
  });

  it('with the receiver down: every attempt is logged, the final failure counted, and the webhook disabled after 10', async () => {
    const deadUrl = `http://127.0.0.1:${await freePort()}/hook`;
    const id = await addHook(deadUrl, '*');
    const w = sc.container.db.write;
    const dispatcher = new WebhookDispatcher(
      w,
      new OutgoingWebhooksRepository(sc.container.tables),
      new WebhookLogsRepository(sc.container.tables),
      sc.container.logger,
      { retryDelaysMs: [20, 40], timeoutMs: 2000 },
    );
    try {
      await dispatcher.dispatch('subscription_cancelled', { subscription_id: '1' });
      await dispatcher.idle();
      expect(await logsOf(id)).to.deep.equal([
        { event: 'subscription_cancelled', status: 'retrying', attempts: 1, response_code: null },
        { event: 'subscription_cancelled', status: 'retrying', attempts: 2, response_code: null },
        { event: 'subscription_cancelled', status: 'failed', attempts: 3, response_code: null },
      ]);
      expect(await hookRow(id)).to.include({ is_active: 1, failed_attempts: 1, failed_at: 1 });

      for (let i = 0; i < 9; i++) {
        await dispatcher.dispatch('order_created', { n: i });
        await dispatcher.idle();
      }
      expect(await hookRow(id)).to.include({ is_active: 0, failed_attempts: 10 });
      expect(await logsOf(id)).to.have.length(30);
      await dispatcher.dispatch('order_created', { n: 'after' });
      await dispatcher.idle();
      expect(await logsOf(id), 'a disabled webhook gets nothing').to.have.length(30);
    } finally {
      await dispatcher.stop();
    }
  });
});
