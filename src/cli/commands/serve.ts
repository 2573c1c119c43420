import type { Command } from 'commander';
import type { Config } from '../../config/schema.ts';
import { buildContainer, type Container } from '../../container.ts';
import { checkLogin, describeLogin } from '../../data/login-check.ts';
import { pluginCronCheck, scheduledPluginCronHooks } from '../../data/plugin-cron.ts';
import { startServer } from '../../server.ts';
import { CliError } from '../io.ts';
import type { Cli } from '../cli.ts';
import { DatabaseWatch, describeListenError, ensureWritableDirs, isFatalLogin } from '../startup.ts';

export function registerServe(program: Command, cli: Cli): void {
  program
    .command('serve')
    .description('run the sidecar: serves the REST namespace until SIGTERM or SIGINT (what npm start and the systemd unit run)')
    .option('--port <port>', 'listen port, 0 for any free port (also SLBP_PORT)')
    .option('--host <address>', 'listen address (also SLBP_HOST)')
    .action(async (opts: { port?: string; host?: string }) => {
      cli.exitCode = await serve(cli, cli.config({ port: opts.port, host: opts.host }));
    });
}

/**
 * Starts the sidecar and resolves with the exit code once it has shut down. Problems that no
 * waiting fixes (wrong credentials, unknown database, unwritable directory, busy port) stop
 * the start with one line; a database that does not answer yet is retried in the background.
 */
export async function serve(cli: Cli, config: Config, hooks: { onListening?(url: string): void } = {}): Promise<number> {
  await ensureWritableDirs(config);
  const login = await checkLogin(config.db);
  if (!login.ok && isFatalLogin(login)) throw new CliError(describeLogin(login, config));

  const container = buildContainer(config);
  const log = container.logger;
  for (const s of config.provenance.skipped) {
    if (s.replacedBy)
      log.info('wp-config.php value is not a literal; using the environment instead', { setting: s.name, defined_with: s.as });
    else log.warn('wp-config.php value is not a literal and is skipped', { setting: s.name, defined_with: s.as });
  }
  let running;
  try {
    running = await startServer(container);
  } catch (err) {
    const line = describeListenError(err as NodeJS.ErrnoException, config);
    if (line) throw new CliError(line, 1);
    throw err;
  }

  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => {
    finish = resolve;
  });
  let stopping = false;
  const stop = (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    watch.stop();
    running.shutdown(reason).then(
      () => finish(code),
      (err) => {
        log.error('shutdown failed', { error: (err as Error).message });
        finish(1);
      },
    );
  };
  // Handlers go in before anything else awaits: a SIGTERM in the first second must drain too,
  // not kill the process with its connections (Node's default action).
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) {
      log.warn('second signal: exiting now', { signal: sig });
      finish(1);
      return;
    }
    stop(sig, 0);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // The database answered only later, and refused the login: the same one line and exit code 2.
  const watch = new DatabaseWatch(config, log, (line) => {
    cli.err(`slbp: ${line}`);
    stop('database login refused', 2);
  });
  watch.start(login);

  log.info('sidecar listening', {
    url: `${running.url}/wp-json/skylearn-billing-pro/v1`,
    version: config.version,
    env: config.env,
    database: `${config.db.user}@${config.db.socketPath ?? `${config.db.host}:${config.db.port}`}/${config.db.name}`,
    table_prefix: config.db.tablePrefix,
    site_key: container.site.key,
    redis_namespace: container.redis?.keyPrefix ?? null,
    backup_dir: container.backup.store.root,
    readers: config.db.readHosts.length,
  });
  hooks.onListening?.(running.url);
  if (login.ok) {
    // Not health(): its answer is reused for a second, and Redis may still be connecting.
    const tables = await container.health.tables();
    if (!tables.healthy) log.warn('plugin tables are missing: /health and /ready answer 503 until they exist', { problem: tables.message });
  }
  if (container.redis) {
    // Give the first connection a moment so the start-up log tells the truth about Redis.
    await new Promise((r) => setTimeout(r, Math.min(config.redis.connectTimeoutMs, 1000)));
    // A namespace held by another site was logged by the namespace guard, with both sites named.
    if (!container.redis.isConnected())
      log.warn('redis is not reachable: running on the in-process cache only; /health reports degraded', {
        target: container.redis.describe(),
      });
  } else log.warn('redis is disabled (SLBP_REDIS_ENABLED=false): running on the in-process cache only');
  if (login.ok) await warnAboutPluginCron(container);

  const code = await done;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  return code;
}

/** Says at start when WordPress still runs the plugin's copies of the sidecar's jobs (two schedulers). */
async function warnAboutPluginCron(c: Container): Promise<void> {
  try {
    const scheduled = await scheduledPluginCronHooks(c.db.write, c.tables);
    if (scheduled.length)
      c.logger.warn(pluginCronCheck(scheduled).message, { still_scheduled: [...new Set(scheduled.map((s) => s.hook))] });
  } catch (err) {
    c.logger.warn('could not read the WP-cron schedule at start', { error: (err as Error).message });
  }
}
