import { expect } from 'chai';
import { AlertService } from '../../src/monitoring/alert-service.ts';
import { conditionHolds, formatAlertMessage, parseAlertConfig, storedAlertConfig } from '../../src/monitoring/alert-config.ts';
import { cacheHitRatio, dottedName, SITE_METRICS } from '../../src/monitoring/site-metrics.ts';
import { SlidingWindow } from '../../src/observability/window.ts';

const KNOWN = new Set(SITE_METRICS.map(dottedName));
const rule = {
  enabled: true,
  metric: 'system.memory_usage',
  condition: 'greater_than',
  threshold: 536870912,
  severity: 'warning',
  message: 'High memory usage detected: %.2f bytes (threshold: %.2f bytes)',
  cooldown: 300,
  email_recipients: [],
  webhook_url: '',
  slack_webhook: '',
};

describe('alert configuration', () => {
  it("accepts the plugin's default configuration as it is", () => {
    const res = parseAlertConfig(
      {
        high_memory_usage: rule,
        database_connection_failure: { ...rule, metric: 'database.connections', condition: 'equals', threshold: 0, severity: 'critical' },
      },
      KNOWN,
    );
    expect(res).to.have.key('config');
  });

  it('names every bad entry and field, and refuses unknown metrics and extra keys', () => {
    const res = parseAlertConfig(
      {
        ok: rule,
        bad: { ...rule, condition: 'bigger', threshold: 'ten' },
        typo: { ...rule, metric: 'system.memory_usag' },
        extra: { ...rule, sms: '555' },
        hooks: { ...rule, webhook_url: 'ftp://example.com/x' },
      },
      KNOWN,
    ) as { problems: { entry: string; field: string }[] };
    const named = res.problems.map((p) => `${p.entry}.${p.field}`);
    expect(named).to.include.members(['bad.condition', 'bad.threshold', 'typo.metric', 'hooks.webhook_url']);
    expect(named.some((n) => n.startsWith('extra.'))).to.equal(true);
    expect(named.some((n) => n.startsWith('ok.'))).to.equal(false);
  });

  it('reads a stored option leniently: hand-edited strings are coerced, broken rules are skipped', () => {
    const { config, skipped } = storedAlertConfig(
      { a: { ...rule, enabled: '1', threshold: '10', cooldown: '60' }, b: { ...rule, condition: 'nope' } },
      KNOWN,
    );
    expect(config.a).to.include({ enabled: true, threshold: 10, cooldown: 60 });
    expect(config).not.to.have.key('b');
    expect(skipped.map((p) => p.entry)).to.deep.equal(['b']);
  });

  it('evaluates conditions; NaN never fires', () => {
    expect(conditionHolds('greater_than', 11, 10)).to.equal(true);
    expect(conditionHolds('greater_than', 10, 10)).to.equal(false);
    expect(conditionHolds('equals', 0, 0)).to.equal(true);
    expect(conditionHolds('less_than_or_equal', 10, 10)).to.equal(true);
    expect(conditionHolds('less_than', Number.NaN, 70)).to.equal(false);
  });

  it("formats the plugin's sprintf messages", () => {
    expect(formatAlertMessage('High memory usage detected: %.2f bytes (threshold: %.2f bytes)', 600000000, 536870912)).to.equal(
      'High memory usage detected: 600000000.00 bytes (threshold: 536870912.00 bytes)',
    );
    expect(formatAlertMessage('%.0f failed (threshold: %d), 100%%', 12.6, 10)).to.equal('13 failed (threshold: 10), 100%');
    expect(formatAlertMessage('Database connection failure detected', 0, 0)).to.equal('Database connection failure detected');
  });
});

describe('measured values', () => {
  it('a sliding window forgets events older than the window', () => {
    let now = 1_000_000;
    const w = new SlidingWindow(60_000, 6, () => now);
    w.add(5);
    w.add(7);
    expect(w.totals()).to.deep.equal({ count: 2, sum: 12 });
    now += 30_000;
    w.add(1);
    expect(w.totals()).to.deep.equal({ count: 3, sum: 13 });
    now += 40_000;
    expect(w.totals()).to.deep.equal({ count: 1, sum: 1 });
    now += 60_000;
    expect(w.totals()).to.deep.equal({ count: 0, sum: 0 });
  });

  it('the cache hit ratio counts L1 and L2 hits over every lookup, in percent', () => {
    const stats = (l1h: number, l1m: number, l2h: number) => ({
      l1: { hits: l1h, misses: l1m, entries: 0, bytes: 0 },
      l2: { hits: l2h, misses: l1m - l2h, errors: 0 },
      loads: l1m - l2h,
      invalidations: 0,
    });
    expect(cacheHitRatio(stats(0, 0, 0))).to.be.NaN;
    expect(cacheHitRatio(stats(0, 4, 0))).to.equal(0);
    expect(cacheHitRatio(stats(6, 4, 2))).to.equal(80);
  });
});

describe('alert evaluation while the database is down', () => {
  it('still notifies a firing rule, at most once per cooldown', async () => {
    const down = () => {
      throw new Error('database unavailable: ECONNREFUSED');
    };
    const sent: string[] = [];
    const quiet = { warn: () => undefined, info: () => undefined } as never;
    const svc = new AlertService({
      q: { query: async () => down() },
      alerts: { active: async () => down(), lastTriggeredAt: async () => down() } as never,
      notifier: {
        notify: async (n: { alert_name: string; status: string }) => {
          sent.push(`${n.alert_name}:${n.status}`);
          return 1;
        },
      } as never,
      logger: quiet,
      rawConfig: () => ({
        database_connection_failure: {
          ...rule,
          metric: 'database.connections',
          condition: 'equals',
          threshold: 0,
          cooldown: 60,
          webhook_url: 'http://127.0.0.1:9/x',
        },
      }),
      knownMetrics: KNOWN,
      site: () => ({ id: null, url: '' }),
    });
    const values = new Map([['database.connections', 0]]);
    const t0 = Date.parse('2030-01-01T00:00:00Z');
    expect((await svc.evaluate(values, new Date(t0))).fired).to.deep.equal(['database_connection_failure']);
    expect((await svc.evaluate(values, new Date(t0 + 30_000))).fired).to.deep.equal([]);
    expect((await svc.evaluate(values, new Date(t0 + 61_000))).fired).to.deep.equal(['database_connection_failure']);
    expect(sent).to.deep.equal(['database_connection_failure:active', 'database_connection_failure:active']);
    // Connections back above 0: nothing fires.
    expect((await svc.evaluate(new Map([['database.connections', 3]]), new Date(t0 + 200_000))).fired).to.deep.equal([]);
  });
});
