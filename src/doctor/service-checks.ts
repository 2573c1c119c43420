import { inspectRedisNamespace } from '../cache/site-namespace.ts';
import type { Config } from '../config/schema.ts';
import { settingFrom } from '../data/login-check.ts';
import { pluginCronCheck, scheduledPluginCronHooks } from '../data/plugin-cron.ts';
import { serverIdentity } from '../data/probes.ts';
import { describeSite } from '../config/site-identity.ts';
import type { CheckOutcome, DoctorCheck } from './check.ts';

/** The settings check from a configuration that loaded: where each value came from, and what wp-config.php could not give. */
export function settingsOutcome(config: Config): CheckOutcome {
  const bySource = new Map<string, string[]>();
  for (const [name, source] of Object.entries(config.provenance.sources)) {
    if (!bySource.has(source)) bySource.set(source, []);
    bySource.get(source)!.push(name);
  }
  const defaults = (bySource.get('config/default.json') ?? []).length;
  const lines = [...bySource]
    .filter(([source]) => source !== 'config/default.json')
    .map(([source, names]) => `${source}: ${names.join(', ')}`);
  lines.push(`config/default.json: the other ${defaults}`);
  for (const s of config.provenance.skipped) {
    lines.push(`skipped in wp-config.php: ${s.name} = ${s.as} (not a literal)${s.replacedBy ? `; the ${s.replacedBy} gives it` : ''}`);
  }
  const counts = [...bySource].map(([source, names]) => `${names.length} from ${source}`).join(', ');
  return {
    status: 'pass',
    message: `${config.env} environment; ${counts}`,
    lines,
    details: { sources: config.provenance.sources, skipped: config.provenance.skipped },
  };
}

/** The settings check when the configuration does not load: every problem, by setting name. */
export function settingsFailure(problems: string[]): CheckOutcome {
  return {
    status: 'fail',
    message: `${problems.length} setting(s) invalid`,
    lines: problems,
    fix: 'correct the settings named above (environment, wp-config.php or flags); README.md lists every setting',
    details: { problems },
  };
}

export const settingsCheck: DoctorCheck = {
  id: 'settings',
  title: 'settings',
  run: async (ctx) => settingsOutcome(ctx.config),
};

const redis: DoctorCheck = {
  id: 'redis',
  title: 'Redis',
  async run(ctx) {
    if (!ctx.redis)
      return { status: 'skip', message: 'disabled (SLBP_REDIS_ENABLED=false): in-process cache only, limits and nonces per node' };
    const handle = ctx.redis;
    // A handle made a moment ago may still be connecting: give it the connect timeout.
    const deadline = Date.now() + ctx.config.redis.connectTimeoutMs + 500;
    // Connected is enough here: whose namespace the prefix holds is the next check's question.
    while (!handle.isConnected() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    try {
      // The connection itself: handle.ping() also asks that the namespace be verified as this site's.
      const t = performance.now();
      await handle.client.ping();
      const ms = performance.now() - t;
      return { status: 'pass', message: `${handle.describe()} answers (${ms.toFixed(1)} ms), key prefix ${ctx.config.redis.keyPrefix}` };
    } catch (err) {
      const target = ctx.config.redis.cluster.length
        ? settingFrom(ctx.config, 'WP_REDIS_CLUSTER')
        : `${settingFrom(ctx.config, 'WP_REDIS_HOST')} and ${settingFrom(ctx.config, 'WP_REDIS_PORT')}`;
      return {
        status: 'fail',
        message: `${handle.describe()} does not answer (${(err as Error).message}); the sidecar runs on its in-process cache (/health degraded)`,
        fix: `start Redis there, or check ${target} (WP_REDIS_PASSWORD if it needs one)`,
      };
    }
  },
};

const redisNamespace: DoctorCheck = {
  id: 'redis-namespace',
  title: 'Redis namespace',
  needsDatabase: true,
  async run(ctx) {
    if (!ctx.redis) return { status: 'skip', message: 'Redis is disabled: nothing is shared in Redis' };
    if (!ctx.redis.isConnected()) return { status: 'skip', message: 'Redis does not answer (see the Redis check)' };
    const me = { site: ctx.site, server: await serverIdentity(ctx.db.write), node: 'slbp doctor', siteUrl: ctx.siteUrl() };
    const check = await inspectRedisNamespace(ctx.redis, me);
    const mine = describeSite({
      database: ctx.site.database,
      table_prefix: ctx.site.tablePrefix,
      site_key: ctx.site.key,
      server: me.server.server,
    });
    if (check.state !== 'conflict') {
      return {
        status: 'pass',
        message: `${check.namespace} is this site's (${mine})${check.state === 'free' ? '; no node holds it right now' : ''}`,
      };
    }
    const holder = check.holder
      ? describeSite({
          database: check.holder.database,
          table_prefix: check.holder.table_prefix,
          site_key: check.holder.site_key,
          server: check.holder.server,
        })
      : 'an unreadable claim';
    return {
      status: 'fail',
      message: `${check.namespace} is held by another site: ${holder}${check.holder?.site_url ? ` (${check.holder.site_url})` : ''}; this site (${mine}) runs on its in-process cache instead of sharing it`,
      fix: `give one of the two sites its own ${settingFrom(ctx.config, 'SLBP_REDIS_PREFIX')} (or SLBP_REDIS_DATABASE); the other site's claim lapses a minute after its last node stops`,
      details: { namespace: check.namespace, holder: check.holder },
    };
  },
};

const pluginCron: DoctorCheck = {
  id: 'plugin-cron',
  title: "plugin's WP-cron hooks",
  needsDatabase: true,
  async run(ctx) {
    let scheduled;
    try {
      scheduled = await scheduledPluginCronHooks(ctx.db.read, ctx.tables);
    } catch (err) {
      if ((err as { code?: string }).code === 'ER_NO_SUCH_TABLE')
        return { status: 'skip', message: `no ${ctx.tables.core.options} table (see the plugin tables check)` };
      throw err;
    }
    const result = pluginCronCheck(scheduled);
    if (result.healthy) return { status: 'pass', message: result.message };
    return {
      status: 'fail',
      message: result.message,
      lines: scheduled.map((h) => `${h.hook}: next run ${h.next_run}${h.schedule ? ` (${h.schedule})` : ''}`),
      fix: 'activate the shim plugin (wp-plugin-shim/) in WordPress with SLBP_SIDECAR_URL and SLBP_SIDECAR_SECRET set: it takes these hooks over and gives them back when deactivated',
      details: { still_scheduled: scheduled },
    };
  },
};

/** Shorter secrets are guessable; the shim signs every forwarded request with it. */
export const MIN_SECRET_LENGTH = 16;

const shimSecret: DoctorCheck = {
  id: 'shim-secret',
  title: 'shim secret',
  async run(ctx) {
    const secret = ctx.config.security.sidecarSecret;
    const fix = `define( 'SLBP_SIDECAR_SECRET', '<at least ${MIN_SECRET_LENGTH} random characters>' ); in wp-config.php (or set SLBP_SIDECAR_SECRET), the same for WordPress and every node`;
    if (!secret)
      return { status: 'fail', message: 'SLBP_SIDECAR_SECRET is not set: requests forwarded by the WordPress shim are refused', fix };
    if (secret.length < MIN_SECRET_LENGTH)
      return { status: 'fail', message: `SLBP_SIDECAR_SECRET has ${secret.length} characters, fewer than ${MIN_SECRET_LENGTH}`, fix };
    return {
      status: 'pass',
      message: `set, ${secret.length} characters, ${settingFrom(ctx.config, 'SLBP_SIDECAR_SECRET').replace(/^SLBP_SIDECAR_SECRET /, '')}`,
    };
  },
};

export const SERVICE_CHECKS: DoctorCheck[] = [redis, redisNamespace, pluginCron, shimSecret];
