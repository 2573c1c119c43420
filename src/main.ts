import { ConfigError, loadConfig } from './config/load.ts';
import { buildContainer } from './container.ts';
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
    readers: config.db.readHosts.length,
  });
  if (container.redis) {
    // Give the first connection a moment so the start-up log tells the truth about Redis.
    await new Promise((r) => setTimeout(r, Math.min(config.redis.connectTimeoutMs, 1000)));
    if (!container.redis.isReady()) log.warn('redis is not reachable: running on the in-process cache only; /health reports degraded', { target: container.redis.describe() });
  } else log.warn('redis is disabled (SLBP_REDIS_ENABLED=false): running on the in-process cache only');

}

main().catch((err) => {
  process.stderr.write(`skylearn-billing-sidecar: failed to start: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
