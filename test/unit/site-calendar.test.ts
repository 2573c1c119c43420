import { expect } from 'chai';
import { localDaySql } from '../../src/data/read-models/local-buckets.ts';
import { analyticsWindow } from '../../src/domain/billing/analytics-window.ts';
import { SiteCalendar } from '../../src/domain/billing/site-calendar.ts';
import { centsOf } from '../../src/domain/billing/values.ts';

describe('site calendar (analytics buckets without MariaDB time zone tables)', () => {
  it('finds the DST changes of a zone to the minute', () => {
    const ny = new SiteCalendar('America/New_York');
    expect(ny.segments(new Date('2026-01-01T00:00:00Z'), new Date('2027-01-01T00:00:00Z'))).to.deep.equal([
      { until: '2026-03-08 07:00:00', offsetMin: -300 },
      { until: '2026-11-01 06:00:00', offsetMin: -240 },
      { until: null, offsetMin: -300 },
    ]);
    const kolkata = new SiteCalendar('Asia/Kolkata');
    expect(kolkata.segments(new Date('2026-01-01T00:00:00Z'), new Date('2027-01-01T00:00:00Z'))).to.deep.equal([
      { until: null, offsetMin: 330 },
    ]);
    expect(new SiteCalendar('-03:30').segments(new Date(0), new Date(1e12))).to.deep.equal([{ until: null, offsetMin: -210 }]);
  });

  it('a calendar that remembers offsets answers as Intl does, at every instant around changes', () => {
    const reference = (zone: string, ms: number) => {
      const f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
      const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, Number(x.value)]));
      return Math.round((Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(ms / 1000) * 1000) / 60_000);
    };
    for (const [zone, change] of [
      ['America/New_York', '2026-03-08T07:00:00Z'],
      ['Australia/Lord_Howe', '2026-04-04T15:00:00Z'],
      ['Europe/Berlin', '2026-10-25T01:00:00Z'],
      ['Asia/Kathmandu', '1985-12-31T18:30:00Z'],
    ] as const) {
      const warm = new SiteCalendar(zone);
      const at = Date.parse(change);
      const answers: number[] = [];
      for (let pass = 0; pass < 2; pass++) {
        for (let t = at - 5 * 60_000; t <= at + 5 * 60_000; t += 29_000) {
          const fresh = reference(zone, t);
          expect(warm.offsetAt(t), `${zone} ${new Date(t).toISOString()}`).to.equal(fresh);
          if (pass === 0) answers.push(fresh);
        }
      }
      expect(new Set(answers).size, `${zone} changes offset in the window`).to.equal(2);
    }
  });

  it('maps local midnights to UTC on both sides of a change', () => {
    const ny = new SiteCalendar('America/New_York');
    expect(ny.startOfDay(2026, 3, 8).toISOString()).to.equal('2026-03-08T05:00:00.000Z');
    expect(ny.startOfDay(2026, 3, 9).toISOString()).to.equal('2026-03-09T04:00:00.000Z');
    expect(ny.startOfDay(2026, 11, 1).toISOString()).to.equal('2026-11-01T04:00:00.000Z');
    expect(ny.startOfDay(2026, 11, 2).toISOString()).to.equal('2026-11-02T05:00:00.000Z');
    expect(new SiteCalendar('+05:30').startOfDay(2026, 1, 1).toISOString()).to.equal('2025-12-31T18:30:00.000Z');
  });

  it('labels day, week (Monday) and month buckets like the SQL does', () => {
    const ny = new SiteCalendar('America/New_York');
    const from = ny.startOfDay(2026, 2, 26);
    const to = ny.startOfDay(2026, 3, 4);
    expect(ny.bucketLabels(from, to, 'day')).to.deep.equal([
      '2026-02-26',
      '2026-02-27',
      '2026-02-28',
      '2026-03-01',
      '2026-03-02',
      '2026-03-03',
    ]);
    expect(ny.bucketLabels(from, to, 'week')).to.deep.equal(['2026-02-23', '2026-03-02']);
    expect(ny.bucketLabels(from, to, 'month')).to.deep.equal(['2026-02-01', '2026-03-01']);
  });

  it('periods are whole local days ending today', () => {
    const ny = new SiteCalendar('America/New_York');
    const now = new Date('2026-11-26T03:00:00Z'); // still the 25th in New York
    const w = analyticsWindow(ny, { period: '7d' }, now);
    expect([w.from.toISOString(), w.to.toISOString(), w.size]).to.deep.equal([
      '2026-11-19T05:00:00.000Z',
      '2026-11-26T05:00:00.000Z',
      'day',
    ]);
    const y = analyticsWindow(ny, { period: '12m' }, now);
    expect([y.from.toISOString(), y.to.toISOString(), y.size]).to.deep.equal([
      '2025-12-01T05:00:00.000Z',
      '2026-12-01T05:00:00.000Z',
      'month',
    ]);
  });

  it('builds one CASE over the segments for the local day number, and folds days into buckets', () => {
    const b = localDaySql('created_at', [
      { until: '2026-03-08 07:00:00', offsetMin: -300 },
      { until: null, offsetMin: -240 },
    ]);
    expect(b.sql).to.equal('TO_DAYS(created_at + INTERVAL (CASE WHEN created_at < ? THEN ? ELSE ? END) SECOND) - 719528');
    expect(b.params).to.deep.equal(['2026-03-08 07:00:00', -18000, -14400]);
    expect(localDaySql('created_at', [{ until: null, offsetMin: 330 }])).to.deep.equal({
      sql: 'TO_DAYS(created_at + INTERVAL (?) SECOND) - 719528',
      params: [19800],
    });
    expect(localDaySql('created_at', [{ until: null, offsetMin: 0 }])).to.deep.equal({ sql: 'TO_DAYS(created_at) - 719528', params: [] });
    const day = Date.UTC(2026, 2, 5) / 86_400_000; // a Thursday
    expect([
      SiteCalendar.bucketOfDay(day, 'day'),
      SiteCalendar.bucketOfDay(day, 'week'),
      SiteCalendar.bucketOfDay(day, 'month'),
    ]).to.deep.equal(['2026-03-05', '2026-03-02', '2026-03-01']);
  });

  it('reads DECIMAL strings as exact cents', () => {
    expect([centsOf('149.00'), centsOf('9.99'), centsOf('-12.5'), centsOf('0.1'), centsOf('1234567.89')]).to.deep.equal([
      14900, 999, -1250, 10, 123456789,
    ]);
    expect(() => centsOf('12,50')).to.throw();
  });
});
