import { expect } from 'chai';
import { DEMO_WEBHOOK_SECRET } from '../../scripts/lib/demo-data.ts';
import { ADMIN_ID, asUser } from '../helpers/auth.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { call, expectRestError } from '../helpers/http.ts';
import { NS, startSidecar, type InProcessSidecar } from '../helpers/sidecar.ts';
import { invoiceData, orderData, signedDelivery, subscriptionData, webhookBody } from '../fixtures/lemon-squeezy.ts';
import { TEST_SHIM_SECRET } from '../helpers/auth.ts';

const PRODUCT = 900_001;
const BILLING_TABLES = ['slbp_transactions', 'slbp_subscriptions', 'slbp_enrollment_logs', 'users', 'usermeta'];

type Order = ReturnType<typeof orderData>;
const order = (id: number, change: (a: Record<string, unknown>) => void): unknown => {
  const data = orderData({ id, email: `hostile-${id}@example.test`, productId: PRODUCT, total: 4900 }) as Order & {
    attributes: Record<string, unknown>;
  };
  change(data.attributes);
  return webhookBody('order_created', data);
};

/**
 * Signed deliveries whose values are hostile or malformed (#25, finding 8). Each used to answer 500
 * (retried by the gateway forever) or, worse, was stored: a negative total as a completed payment
 * with enrolment, a currency `ÉÉÉ`. Each must answer 200 `{processed: false, reason}`, write no
 * billing row, be logged once, and be listed for the administrator.
 */
describe('signed webhooks with invalid values', () => {
  let db: TestDb;
  let sc: InProcessSidecar;
  const warned: string[] = [];

  const checksums = async () => {
    const [rows] = await db.pool.query<any[]>(`CHECKSUM TABLE ${BILLING_TABLES.map((t) => `\`${db.prefix}${t}\``).join(', ')}`);
    return Object.fromEntries(rows.map((r) => [r.Table, String(r.Checksum)]));
  };

  before(async () => {
    db = await createTestDb({ size: 'tiny' });
    sc = await startSidecar(db, { env: { SLBP_SIDECAR_SECRET: TEST_SHIM_SECRET } });
    const warn = sc.container.logger.warn.bind(sc.container.logger);
    sc.container.logger.warn = ((message: string, ...rest: unknown[]) => {
      warned.push(String(message));
      return (warn as (...a: unknown[]) => unknown)(message, ...rest);
    }) as typeof sc.container.logger.warn;
  });
  after(async () => {
    await sc?.stop();
    await db?.drop();
  });

  const cases: [string, () => unknown, RegExp][] = [
    [
      'total 1e20',
      () =>
        order(9101, (a) => {
          a.total = 1e20;
        }),
      /total/,
    ],
    [
      'total "49.00"',
      () =>
        order(9102, (a) => {
          a.total = '49.00';
        }),
      /total/,
    ],
    [
      'total null',
      () =>
        order(9103, (a) => {
          a.total = null;
        }),
      /total/,
    ],
    [
      'a negative total',
      () =>
        order(9104, (a) => {
          a.total = -4900;
        }),
      /total/,
    ],
    [
      'refunded_amount "12.5"',
      () =>
        order(9105, (a) => {
          a.refunded_amount = '12.5';
        }),
      /refunded_amount/,
    ],
    [
      'currency ÉÉÉ',
      () =>
        order(9106, (a) => {
          a.currency = 'ÉÉÉ';
        }),
      /currency/,
    ],
    [
      'no identifier',
      () =>
        order(9107, (a) => {
          delete a.identifier;
        }),
      /identifier/,
    ],
    [
      'an identifier of 300 characters',
      () =>
        order(9108, (a) => {
          a.identifier = 'i'.repeat(300);
        }),
      /identifier/,
    ],
    [
      'no user_email',
      () =>
        order(9109, (a) => {
          delete a.user_email;
        }),
      /user_email/,
    ],
    [
      'a user_email of 200 characters',
      () =>
        order(9110, (a) => {
          a.user_email = `${'e'.repeat(190)}@example.test`;
        }),
      /user_email/,
    ],
    [
      'a product id of 300 characters',
      () =>
        order(9111, (a) => {
          (a.first_order_item as Record<string, unknown>).product_id = '9'.repeat(300);
        }),
      /product_id/,
    ],
    [
      'an order id that is not a number',
      () => {
        const b = order(9112, () => undefined) as { data: { id: unknown } };
        b.data.id = 'abc';
        return b;
      },
      /data\.id/,
    ],
    [
      'an order id of 40 digits',
      () => {
        const b = order(9113, () => undefined) as { data: { id: unknown } };
        b.data.id = '1'.repeat(40);
        return b;
      },
      /data\.id/,
    ],
    [
      'created_at 2026-02-30',
      () =>
        order(9114, (a) => {
          a.created_at = '2026-02-30T10:00:00.000000Z';
        }),
      /created_at/,
    ],
    [
      'updated_at "yesterday"',
      () =>
        order(9115, (a) => {
          a.updated_at = 'yesterday';
        }),
      /updated_at/,
    ],
    [
      'a user_name with control characters',
      () =>
        order(9116, (a) => {
          a.user_name = 'Eve\u0000\u001b[2J';
        }),
      /user_name/,
    ],
    [
      'a subscription renewing on 2026-13-01',
      () =>
        webhookBody('subscription_created', {
          ...subscriptionData({
            id: 9201,
            orderId: 9200,
            email: 'h@example.test',
            productId: PRODUCT,
            status: 'active',
            updatedAt: '2026-11-20T10:00:00.000000Z',
          }),
          attributes: {
            ...subscriptionData({
              id: 9201,
              orderId: 9200,
              email: 'h@example.test',
              productId: PRODUCT,
              status: 'active',
              updatedAt: '2026-11-20T10:00:00.000000Z',
            }).attributes,
            renews_at: '2026-13-01T00:00:00Z',
          },
        }),
      /renews_at/,
    ],
    [
      'an invoice total of -1',
      () =>
        webhookBody('subscription_payment_success', {
          ...invoiceData({ id: 9301, subscriptionId: 9201, email: 'h@example.test', total: 100, status: 'paid' }),
          attributes: {
            ...invoiceData({ id: 9301, subscriptionId: 9201, email: 'h@example.test', total: 100, status: 'paid' }).attributes,
            total: -1,
          },
        }),
      /total/,
    ],
  ];

  for (const [name, build, field] of cases) {
    it(`${name}: 200 processed:false with a reason, nothing written but one log row, logged once`, async () => {
      const before = await checksums();
      const [[{ n: logsBefore }]] = await db.pool.query<any>(`SELECT COUNT(*) AS n FROM ${db.prefix}slbp_webhook_logs`);
      warned.length = 0;
      const res = await call(`${sc.base}/webhooks/lemon-squeezy`, signedDelivery(build(), DEMO_WEBHOOK_SECRET));
      expect(res.status, res.text).to.equal(200);
      expect(res.body).to.include({ received: true, processed: false });
      expect(res.body.reason).to.match(field);
      expect(await checksums()).to.deep.equal(before);
      const logs = (
        await db.pool.query<any>(`SELECT status, response_code, response_body FROM ${db.prefix}slbp_webhook_logs ORDER BY id DESC LIMIT 1`)
      )[0] as any[];
      const [[{ n: logsAfter }]] = await db.pool.query<any>(`SELECT COUNT(*) AS n FROM ${db.prefix}slbp_webhook_logs`);
      expect(Number(logsAfter) - Number(logsBefore)).to.equal(1);
      expect(logs[0]).to.include({ status: 'invalid', response_code: 200 });
      expect(JSON.parse(logs[0].response_body).reason).to.equal(res.body.reason);
      expect(warned.filter((m) => m.includes('webhook not applied'))).to.have.length(1);
    });
  }

  it('a body nested 100,000 levels deep is refused the same way (it used to overflow the stack)', async () => {
    const body = JSON.stringify(
      order(9401, (a) => {
        a.extra = 'NEST';
        delete a.updated_at;
      }),
    ).replace('"NEST"', `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    const before = await checksums();
    const res = await call(`${sc.base}/webhooks/lemon-squeezy`, signedDelivery(body, DEMO_WEBHOOK_SECRET));
    expect(res.status, res.text.slice(0, 300)).to.equal(200);
    expect(res.body).to.include({ received: true, processed: false });
    expect(res.body.reason).to.match(/nests/);
    expect(await checksums()).to.deep.equal(before);
  });

  it('the administrator sees the refused deliveries and why; nobody else does', async () => {
    const path = `${NS}/webhooks/logs?status=invalid&per_page=100`;
    const res = await call(`${sc.url}${path}`, asUser(ADMIN_ID, 'GET', path));
    expect(res.status, res.text).to.equal(200);
    expect(Number(res.headers.get('x-wp-total'))).to.equal(cases.length + 1);
    expect(res.body[0]).to.include({ webhook_id: 0, direction: 'incoming', event: 'order_created', status: 'invalid', response_code: 200 });
    expect(res.body.every((e: any) => typeof e.response.reason === 'string')).to.equal(true);
    const one = `${NS}/webhooks/logs/${res.body[1].id}`;
    const detail = await call(`${sc.url}${one}`, asUser(ADMIN_ID, 'GET', one));
    expect(detail.status).to.equal(200);
    expect(detail.body.payload).to.have.nested.property('meta.event_name');
    expectRestError(await call(`${sc.url}${path}`), 'rest_forbidden', 401);
    expectRestError(await call(`${sc.url}${path}`, asUser(ADMIN_ID + 2, 'GET', path)), 'rest_forbidden', 403);
  });

  it('valid values still apply: ids and amounts as strings of digits, lower-case currency', async () => {
    const res = await call(
      `${sc.base}/webhooks/lemon-squeezy`,
      signedDelivery(
        order(9501, (a) => {
          a.total = '4900';
          a.currency = 'usd';
        }),
        DEMO_WEBHOOK_SECRET,
      ),
    );
    expect(res.body).to.deep.equal({ received: true, processed: true });
    const [[tx]] = await db.pool.query<any>(`SELECT amount, currency FROM ${db.prefix}slbp_transactions WHERE order_id = '9501'`);
    expect(tx).to.deep.equal({ amount: '49.00', currency: 'USD' });
  });
});
