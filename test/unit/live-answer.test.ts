import { expect } from 'chai';
import type { HealthService } from '../../src/domain/health-service.ts';
import { Rendered } from '../../src/http/middleware/respond.ts';
import { healthRoutes } from '../../src/http/routes/health.ts';

describe('/live answer', () => {
  const startedAt = Date.now() - 5_500;
  const health = {
    uptimeSec: (now = Date.now()) => Math.floor((now - startedAt) / 1000),
    live: (now = Date.now()) => ({
      alive: true,
      timestamp: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      instance_id: 'node-a',
      uptime: Math.floor((now - startedAt) / 1000),
    }),
  } as unknown as HealthService;
  const live = healthRoutes({ health, diagnostics: async () => ({ system_info: {}, performance_metrics: {} }) }).find(
    (r) => r.path === '/live',
  )!;

  it('is made once a second and says the time and uptime of that second', async () => {
    let a = live.light!() as { status: number; body: Rendered };
    let b = live.light!() as { status: number; body: Rendered };
    // A call that straddled a second boundary made a new answer; the pair after it shares one.
    if (a.body !== b.body) [a, b] = [b, live.light!() as { status: number; body: Rendered }];
    expect(b.body).to.equal(a.body);
    expect(a.status).to.equal(200);
    const body = JSON.parse(a.body.bytes.toString()) as { timestamp: string; uptime: number; alive: boolean };
    expect(body.alive).to.equal(true);
    expect(Math.abs(Date.parse(body.timestamp) - Date.now())).to.be.below(2_000);
    expect(body.uptime).to.be.at.least(5);
    expect(Math.abs(body.uptime - health.uptimeSec())).to.be.at.most(1);
    await new Promise((r) => setTimeout(r, 1_050));
    const later = live.light!() as { body: Rendered };
    expect(later.body).to.not.equal(a.body);
    expect((JSON.parse(later.body.bytes.toString()) as { uptime: number }).uptime).to.be.greaterThan(body.uptime);
  });
});
