import { access } from '../../domain/access.ts';
import type { HealthService } from '../../domain/health-service.ts';
import { renderOnce } from '../middleware/respond.ts';
import { defineRoute, viaLight, type LightAnswer, type RouteSpec } from '../route.ts';

export interface HealthRouteDeps {
  health: HealthService;
  /** system_info and performance_metrics for /health/detailed. */
  diagnostics(): Promise<{ system_info: Record<string, unknown>; performance_metrics: Record<string, unknown> }>;
}

/** The plugin's probe routes with its field names: /health, /ready, /live, /health/detailed. */
export function healthRoutes({ health, diagnostics }: HealthRouteDeps): RouteSpec[] {
  const healthAnswer = async (): Promise<LightAnswer> => {
    const report = await health.health();
    // The report is shared for up to a second (HealthService's memo): serialised once for all its callers.
    return { status: report.status === 'unhealthy' ? 503 : 200, body: renderOnce(report) };
  };
  const readyAnswer = async (): Promise<LightAnswer> => {
    const { ready, body } = await health.ready();
    return { status: ready ? 200 : 503, body };
  };
  // /live changes once a second (its timestamp and uptime are whole seconds): made and serialised
  // once for every caller in the same second.
  let live: { second: number; uptime: number; answer: LightAnswer } | undefined;
  const liveAnswer = (): LightAnswer => {
    const now = Date.now();
    const second = Math.floor(now / 1000);
    const uptime = health.uptimeSec(now);
    if (live?.second !== second || live.uptime !== uptime)
      live = { second, uptime, answer: { status: 200, body: renderOnce(health.live(now)) } };
    return live.answer;
  };
  return [
    defineRoute({
      method: 'GET',
      path: '/health',
      plugin: true,
      rateLimit: 'exempt',
      light: healthAnswer,
      summary: 'Liveness of the database, cache and filesystem (degraded without Redis)',
      tags: ['operations'],
      access: access.public,
      responses: { 200: { description: 'healthy or degraded' }, 503: { description: 'unhealthy' } },
      handler: viaLight(healthAnswer),
    }),
    defineRoute({
      method: 'GET',
      path: '/ready',
      plugin: true,
      rateLimit: 'exempt',
      light: readyAnswer,
      summary: 'Readiness: database, required tables, not draining',
      tags: ['operations'],
      access: access.public,
      responses: { 200: { description: 'ready' }, 503: { description: 'not ready or draining' } },
      handler: viaLight(readyAnswer),
    }),
    defineRoute({
      method: 'GET',
      path: '/live',
      plugin: true,
      rateLimit: 'exempt',
      light: liveAnswer,
      summary: 'Process liveness',
      tags: ['operations'],
      access: access.public,
      responses: { 200: { description: 'alive' } },
      handler: viaLight(liveAnswer),
    }),
    defineRoute({
      method: 'GET',
      path: '/health/detailed',
      plugin: true,
      summary: 'Detailed health for administrators and load balancers',
      tags: ['operations'],
      access: access.healthDetailed,
      responses: { 200: { description: 'healthy or degraded' }, 503: { description: 'unhealthy' } },
      errors: ['rest_forbidden'],
      async handler(ctx) {
        const [report, diag, sections] = await Promise.all([health.health(), diagnostics(), health.detailSections()]);
        ctx.status = report.status === 'unhealthy' ? 503 : 200;
        return {
          status: report.status,
          timestamp: report.timestamp,
          instance_id: report.instance_id,
          site_id: report.site_id,
          version: report.version,
          system_info: diag.system_info,
          performance_metrics: diag.performance_metrics,
          service_checks: { ...report.checks, ...sections },
        };
      },
    }),
  ];
}
