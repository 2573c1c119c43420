import { expect } from 'chai';
import { analyticsWindow, ReportPlans } from '../../src/domain/billing/analytics-window.ts';
import { SiteCalendar } from '../../src/domain/billing/site-calendar.ts';
import { SidecarError } from '../../src/errors.ts';

describe('report plans', () => {
  const tokyo = new SiteCalendar('Asia/Tokyo');
  // 2026-03-10 23:30 in Tokyo (UTC+9): local midnight is 30 minutes away.
  const late = Date.UTC(2026, 2, 10, 14, 30);

  it('keeps a window and key for the rest of the local day, then works them out again', () => {
    const plans = new ReportPlans();
    let made = 0;
    const keyOf = (w: { from: Date }) => `k${++made}:${w.from.toISOString()}`;
    const a = plans.plan(tokyo, 'revenue', { period: '7d' }, keyOf, late);
    const b = plans.plan(tokyo, 'revenue', { period: '7d' }, keyOf, late + 29 * 60_000);
    expect(b).to.equal(a);
    expect(made).to.equal(1);
    expect(a.w).to.deep.equal(analyticsWindow(tokyo, { period: '7d' }, new Date(late)));
    const next = plans.plan(tokyo, 'revenue', { period: '7d' }, keyOf, late + 31 * 60_000);
    expect(made).to.equal(2);
    expect(next.w).to.deep.equal(analyticsWindow(tokyo, { period: '7d' }, new Date(late + 31 * 60_000)));
    expect(next.w.from.getTime() - a.w.from.getTime()).to.equal(86_400_000);
  });

  it('tells queries, kinds and time zones apart, and keeps nothing for a query it refuses', () => {
    const plans = new ReportPlans();
    const keyOf = (w: { from: Date; size: string }) => `${w.from.toISOString()} ${w.size}`;
    const month = plans.plan(tokyo, 'revenue', { period: '12m' }, keyOf, late);
    expect(plans.plan(tokyo, 'revenue', { period: '12m', groupBy: 'week' }, keyOf, late).key).to.not.equal(month.key);
    expect(plans.plan(tokyo, 'revenue', { period: '12m', currency: 'EUR' }, keyOf, late)).to.not.equal(month);
    expect(plans.plan(tokyo, 'subscriptions', { period: '12m' }, keyOf, late)).to.not.equal(month);
    const utc = plans.plan(new SiteCalendar('UTC'), 'revenue', { period: '12m' }, keyOf, late);
    expect(utc.key).to.not.equal(month.key);
    const bad = { period: 'custom' as const, dateFrom: '2026-03-10', dateTo: '2026-03-01' };
    for (let i = 0; i < 2; i++) expect(() => plans.plan(tokyo, 'revenue', bad, keyOf, late)).to.throw(SidecarError);
  });
});
