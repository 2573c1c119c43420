import { expect } from 'chai';
import { inferCycle, MalformedRecord, majorToDecimal, parseOrder, parseSubscription } from '../../src/domain/payments/plugin-records.ts';

describe('plugin records (import rules)', () => {
  it('turns major-unit amounts into exact decimals without float drift', () => {
    // 0.1 + 0.2 and 1.005-style values are where a naive toFixed/float sum goes wrong.
    expect(majorToDecimal(0.1 + 0.2, 'total')).to.equal('0.30');
    expect(majorToDecimal(4999 / 100, 'total')).to.equal('49.99');
    expect(majorToDecimal(1234567 / 100, 'total')).to.equal('12345.67');
    expect(majorToDecimal(50, 'total')).to.equal('50.00');
    expect(majorToDecimal('19.9', 'total')).to.equal('19.90');
    expect(majorToDecimal(-5.5, 'total')).to.equal('-5.50');
    for (const bad of ['abc', null, Number.NaN, 1e9, '1.234']) expect(() => majorToDecimal(bad, 'total')).to.throw(MalformedRecord);
  });

  it("reads the plugin's order and subscription arrays with the webhook's status rules", () => {
    const o = parseOrder({
      id: '42',
      status: 'paid',
      refunded: true,
      currency: 'eur',
      total: 12.5,
      created_at: '2025-01-02T03:04:05.000000Z',
    });
    expect(o).to.include({ id: '42', status: 'refunded', currency: 'EUR', total: '12.50', createdAt: '2025-01-02 03:04:05' });
    expect(parseOrder({ id: 7, status: 'paid', currency: 'USD', total: 1 }).status).to.equal('completed');
    expect(() => parseOrder({ status: 'paid', currency: 'USD', total: 1 })).to.throw(MalformedRecord, /id is missing/);
    expect(parseSubscription({ id: 9, status: 'trialing', variant_id: 5 }).status).to.equal('on_trial');
    expect(() => parseSubscription({ id: 9, status: 'bogus', variant_id: 5 })).to.throw(MalformedRecord, /status/);
  });

  it('infers the billing cycle from the dates, with the anchor day clamped to short months', () => {
    const cycle = (createdAt: string, renewsAt: string | null, extra: { trialEndsAt?: string; billingAnchor?: number } = {}) =>
      inferCycle({ createdAt, renewsAt, trialEndsAt: extra.trialEndsAt ?? null, billingAnchor: extra.billingAnchor ?? null });
    expect(cycle('2024-01-31 10:00:00', '2024-02-29 10:00:00', { billingAnchor: 31 })).to.equal('monthly');
    expect(cycle('2024-01-15 10:00:00', '2024-09-15 10:00:00')).to.equal('monthly');
    expect(cycle('2023-03-10 08:30:00', '2025-03-10 08:30:00')).to.equal('yearly');
    expect(cycle('2024-05-01 12:00:00', '2024-05-22 12:00:00')).to.equal('weekly');
    expect(cycle('2024-05-01 12:00:00', '2024-05-15 12:00:00', { trialEndsAt: '2024-05-15 12:00:00' })).to.equal('monthly');
    expect(cycle('2024-05-01 12:00:00', '2024-06-15 12:00:00', { trialEndsAt: '2024-05-15 12:00:00' })).to.equal('monthly');
    expect(cycle('2024-05-01 12:00:00', null)).to.equal('monthly');
  });
});
