import { ConfigError, loadConfig } from './config/load.ts';
import { buildContainer, type Container } from './container.ts';
import { pluginCronCheck, scheduledPluginCronHooks } from './data/plugin-cron.ts';
import { startServer } from './http/server.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig({ argv: process.argv.slice(2) });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`skylearn-billing-sidecar: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const container = buildContainer(config);
  const log = container.logger;
  const running = await startServer(container);
  // Handlers go in before anything else awaits: a SIGTERM in the first second must drain too,
  // not kill the process with its connections (Node's default action).
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) {
      log.warn('second signal: exiting now', { signal: sig });
      process.exit(1);
    }
    running.shutdown(sig).then(() => process.exit(0), (err) => {
      log.error('shutdown failed', { error: (err as Error).message });
      process.exit(1);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  log.info('sidecar listening', {
    url: `${running.url}/wp-json/skylearn-billing-pro/v1`,
    env: config.env,
    database: `${config.db.user}@${config.db.socketPath ?? `${config.db.host}:${config.db.port}`}/${config.db.name}`,
    table_prefix: config.db.tablePrefix,
    site_key: container.site.key,
    redis_namespace: container.redis?.keyPrefix ?? null,
    backup_dir: container.backup.store.root,
    readers: config.db.readHosts.length,
  });
  if (container.redis) {
    // Give the first connection a moment so the start-up log tells the truth about Redis.
    await new Promise((r) => setTimeout(r, Math.min(config.redis.connectTimeoutMs, 1000)));
    // A namespace held by another site was logged by the namespace guard, with both sites named.
    if (!container.redis.isConnected()) log.warn('redis is not reachable: running on the in-process cache only; /health reports degraded', { target: container.redis.describe() });
  } else log.warn('redis is disabled (SLBP_REDIS_ENABLED=false): running on the in-process cache only');
  await warnAboutPluginCron(container);

}

/** Says at start when WordPress still runs the plugin's copies of the sidecar's jobs (two schedulers). */
async function warnAboutPluginCron(c: Container): Promise<void> {
  try {
    const scheduled = await scheduledPluginCronHooks(c.db.write, c.tables);
    if (scheduled.length) c.logger.warn(pluginCronCheck(scheduled).message, { still_scheduled: [...new Set(scheduled.map((s) => s.hook))] });
  } catch (err) {
    c.logger.warn('could not read the WP-cron schedule at start', { error: (err as Error).message });
  }
}

main().catch((err) => {
  process.stderr.write(`skylearn-billing-sidecar: failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
