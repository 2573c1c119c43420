import { expect } from 'chai';
import mysql from 'mysql2/promise';
import { localDaySql } from '../../src/data/read-models/local-buckets.ts';
import { SiteCalendar } from '../../src/domain/billing/site-calendar.ts';
import { testServer } from '../helpers/db.ts';

/** The site's local date of an instant, from Intl (not from the segments), as a day number since 1970-01-01. */
function intlDay(zone: string, ms: number): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' })
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  return Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day)) / 86_400_000;
}

const utcText = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/**
 * The local-day SQL that groups analytics by the site's calendar, run by MariaDB over instants
 * around midnights, DST changes and a leap day in zones with negative, half-hour, 45-minute and
 * +14 h offsets, must give the day Intl gives, whatever the session's time zone.
 */
describe('local day numbers in SQL match the site calendar', () => {
  let conn: mysql.Connection;
  before(async () => {
    conn = await mysql.createConnection({
      host: testServer.host,
      port: testServer.port,
      user: testServer.user,
      password: testServer.password,
      dateStrings: true,
    });
  });
  after(async () => {
    await conn?.end();
  });

  const from = Date.UTC(2024, 0, 1);
  const to = Date.UTC(2027, 0, 1);
  // Every 7 h 13 min over three years, plus a second either side of each local midnight and change.
  const instants: number[] = [];
  for (let t = from; t < to; t += 433 * 60_000) instants.push(t);

  for (const zone of ['America/New_York', 'Asia/Kolkata', 'Pacific/Chatham', 'Pacific/Kiritimati', 'Europe/London', 'UTC']) {
    it(`${zone}`, async () => {
      const cal = new SiteCalendar(zone);
      const segments = cal.segments(new Date(from), new Date(to));
      const edges = segments
        .filter((s) => s.until)
        .flatMap((s) => {
          const at = Date.parse(`${s.until!.replace(' ', 'T')}Z`);
          return [at - 1000, at, at + 1000];
        });
      const midnights = [Date.UTC(2024, 1, 29), Date.UTC(2024, 2, 1), Date.UTC(2026, 11, 31)].flatMap((d) => {
        const local = d - cal.offsetAt(d) * 60_000;
        return [local - 1000, local, local + 1000];
      });
      const sample = [...instants, ...edges, ...midnights];
      const day = localDaySql('v', segments);
      const rows = sample.map(() => 'SELECT CAST(? AS DATETIME) AS v').join(' UNION ALL ');
      for (const sessionZone of ['+00:00', '+09:00']) {
        await conn.query('SET time_zone = ?', [sessionZone]);
        const [got] = await conn.query<mysql.RowDataPacket[]>(`SELECT v, ${day.sql} AS day FROM (${rows}) t`, [
          ...day.params,
          ...sample.map(utcText),
        ]);
        expect(got).to.have.length(sample.length);
        const wrong = got.filter((r, i) => Number(r.day) !== intlDay(zone, sample[i]!));
        expect(wrong.slice(0, 3), `session ${sessionZone}`).to.deep.equal([]);
      }
    });
  }
});
