import { createHmac } from 'node:crypto';
import { expect } from 'chai';
import { coursesFor } from '../../src/domain/payments/enrolment-service.ts';
import { idempotencyKey, orderStatus, verifySignature } from '../../src/domain/payments/lemon-squeezy-event.ts';
import { centsToDecimal } from '../../src/domain/payments/money.ts';
import { outgoingSignature, subscribesTo } from '../../src/domain/payments/outgoing-webhooks.ts';
import { toCsv } from '../../src/domain/payments/data-export.ts';
import { withLockRetry } from '../../src/data/payments/sql-errors.ts';

describe('payments: pure rules', () => {
  it('turns integer cents into exact decimal strings', () => {
    expect([0, 5, 99, 100, 4999, 123456789, -250].map(centsToDecimal)).to.deep.equal([
      '0.00',
      '0.05',
      '0.99',
      '1.00',
      '49.99',
      '1234567.89',
      '-2.50',
    ]);
    expect(centsToDecimal('1999')).to.equal('19.99');
    expect(() => centsToDecimal(19.99)).to.throw(/whole number of cents/);
  });

  it('verifies the hex HMAC of the exact bytes', () => {
    const raw = Buffer.from('{"a":1}');
    const sig = createHmac('sha256', 's3cret').update(raw).digest('hex');
    expect(verifySignature(raw, 's3cret', sig)).to.equal(true);
    expect(verifySignature(raw, 's3cret', sig.toUpperCase())).to.equal(true);
    expect(verifySignature(Buffer.from('{"a":2}'), 's3cret', sig)).to.equal(false);
    expect(verifySignature(raw, '', sig)).to.equal(false);
    expect(verifySignature(raw, 's3cret', 'zz')).to.equal(false);
    expect(verifySignature(raw, 's3cret', sig.slice(0, 10))).to.equal(false);
  });

  it('derives one idempotency key per event, object and version', () => {
    const env = (event: string, id: string, updated: string) => ({
      meta: { event_name: event },
      data: { type: 'orders', id, attributes: { updated_at: updated, total: 1 } },
    });
    const k = idempotencyKey(env('order_created', '1', '2026-01-01T00:00:00Z'));
    expect(idempotencyKey(env('order_created', '1', '2026-01-01T00:00:00Z'))).to.equal(k);
    expect(idempotencyKey(env('order_refunded', '1', '2026-01-01T00:00:00Z'))).to.not.equal(k);
    expect(idempotencyKey(env('order_created', '2', '2026-01-01T00:00:00Z'))).to.not.equal(k);
    expect(idempotencyKey(env('order_created', '1', '2026-01-02T00:00:00Z'))).to.not.equal(k);
  });

  it('maps order statuses and course mappings', () => {
    expect(['paid', 'pending', 'failed', 'refunded', 'partial_refund'].map((s) => orderStatus(s))).to.deep.equal([
      'completed',
      'pending',
      'failed',
      'refunded',
      'completed',
    ]);
    expect(orderStatus('paid', true)).to.equal('refunded');
    expect(coursesFor({ '900001': [101, '102'], '900002': '103', '900003': { 0: 104 } }, '900001')).to.deep.equal([101, 102]);
    expect(coursesFor({ '900002': '103' }, '900002')).to.deep.equal([103]);
    expect(coursesFor({ '900003': { 0: 104 } }, '900003')).to.deep.equal([104]);
    expect(coursesFor({}, '1')).to.deep.equal([]);
  });

  it('outgoing webhooks: event subscriptions in JSON, PHP or comma form, and the signature header', () => {
    expect(subscribesTo('["order_created"]', 'order_created')).to.equal(true);
    expect(subscribesTo('a:1:{i:0;s:13:"order_created";}', 'order_created')).to.equal(true);
    expect(subscribesTo('order_created, order_refunded', 'order_refunded')).to.equal(true);
    expect(subscribesTo('["*"]', 'anything')).to.equal(true);
    expect(subscribesTo('["order_created"]', 'order_refunded')).to.equal(false);
    expect(outgoingSignature('k', 'body')).to.equal(`sha256=${createHmac('sha256', 'k').update('body').digest('hex')}`);
  });

  it('writes CSV that spreadsheets read as data', () => {
    expect(
      toCsv(
        [
          { a: 'x,y', b: '=SUM(A1)', c: -5 },
          { a: 'say "hi"', b: null, c: '1.50' },
        ],
        ['a', 'b', 'c'],
      ),
    ).to.equal('a,b,c\r\n"x,y",\'=SUM(A1),-5\r\n"say ""hi""",,1.50\r\n');
  });
});

describe('withLockRetry', () => {
  const lockError = (code: string) => Object.assign(new Error(code), { code });

  it('runs a transaction again after deadlocks and lock-wait timeouts, up to the attempt limit', async () => {
    let calls = 0;
    const result = await withLockRetry(async () => {
      calls++;
      if (calls < 7) throw lockError(calls % 2 ? 'ER_LOCK_DEADLOCK' : 'ER_LOCK_WAIT_TIMEOUT');
      return 'applied';
    });
    expect(result).to.equal('applied');
    expect(calls).to.equal(7);

    let tries = 0;
    const failing = withLockRetry(async () => {
      tries++;
      throw lockError('ER_LOCK_DEADLOCK');
    }, 3);
    await failing.then(
      () => expect.fail('should have given up'),
      (err: Error) => expect(err.message).to.equal('ER_LOCK_DEADLOCK'),
    );
    expect(tries).to.equal(3);
  });

  it('does not retry other errors', async () => {
    let calls = 0;
    await withLockRetry(async () => {
      calls++;
      throw lockError('ER_DUP_ENTRY');
    }).catch(() => undefined);
    expect(calls).to.equal(1);
  });
});
