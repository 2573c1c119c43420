import { Option, type Command } from 'commander';
import type { RowDataPacket } from 'mysql2';
import { adminConnection, createWordPressDatabase, type ServerSpec } from '../../../scripts/lib/db-admin.ts';
import { demoRows, fillDemoData, SIZES } from '../../../scripts/lib/demo-data.ts';
import type { Config } from '../../config/schema.ts';
import { writerAddress } from '../../data/login-check.ts';
import type { Cli } from '../cli.ts';
import { progress } from '../progress.ts';
import { serve } from './serve.ts';

/** Settings the demo starts with unless the environment gives them (the README's curl examples use these). */
const DEMO_ENV: Record<string, string> = {
  SLBP_ENV: 'development',
  SLBP_HEALTH_TOKEN: 'demo-health-token',
  SLBP_METRICS_TOKEN: 'demo-metrics-token',
  SLBP_SIDECAR_SECRET: 'demo-shim-secret-change-me',
};

/** The MariaDB server and admin credentials: the configured writer (DB_HOST, DB_USER, DB_PASSWORD, or wp-config.php). */
function serverOf(config: Config): ServerSpec {
  const at = writerAddress(config.db);
  return { host: at.host, port: at.port, socketPath: at.socketPath, user: config.db.user, password: config.db.password };
}

export function registerDemo(program: Command, cli: Cli): void {
  program
    .command('demo')
    .description('create a WordPress database with demo data (kept if it exists) and run the sidecar on it')
    .option('--db <name>', 'database to create and serve', 'slbp_demo')
    .addOption(new Option('--size <size>', 'amount of demo data').choices(Object.keys(SIZES)).default('small'))
    .option('--prefix <prefix>', 'table prefix', 'wp_')
    .option('--replace', 'drop and rebuild the database if it exists')
    .option('--site-url <url>', 'siteurl/home written to wp_options', 'http://localhost:8080')
    .option('--no-serve', 'only create the data, do not start the sidecar')
    .option('--port <port>', 'listen port (also SLBP_PORT)')
    .option('--host <address>', 'listen address (also SLBP_HOST)')
    .action(
      async (o: {
        db: string;
        size: string;
        prefix: string;
        replace?: boolean;
        siteUrl: string;
        serve: boolean;
        port?: string;
        host?: string;
      }) => {
        const env = { ...DEMO_ENV, ...cli.io.env, DB_NAME: o.db, SLBP_TABLE_PREFIX: o.prefix };
        const config = cli.config({ env, port: o.port, host: o.host });
        await demoData(cli, serverOf(config), o);
        if (!o.serve) return;
        cli.exitCode = await serve(cli, config, {
          onListening: (url) => cli.err(`demo: sidecar on ${url}/wp-json/skylearn-billing-pro/v1 (Ctrl-C stops it)`),
        });
      },
    );

  program
    .command('create-db')
    .description('create an empty WordPress database with the WordPress and SkyLearn Billing Pro schema')
    .requiredOption('--name <name>', 'database name')
    .option('--prefix <prefix>', 'table prefix', 'wp_')
    .option('--replace', 'drop it first if it exists')
    .action(async (o: { name: string; prefix: string; replace?: boolean }) => {
      const config = cli.config({ env: { ...cli.io.env, DB_NAME: o.name } });
      await createWordPressDatabase(serverOf(config), o.name, o.prefix, { replace: o.replace });
      cli.out(`created database ${o.name} with prefix ${o.prefix}`);
    });
}

/** Creates and fills the demo database unless it already holds the plugin's tables (and --replace is not given). */
async function demoData(
  cli: Cli,
  server: ServerSpec,
  o: { db: string; size: string; prefix: string; replace?: boolean; siteUrl: string },
): Promise<void> {
  const size = SIZES[o.size]!;
  const conn0 = await adminConnection(server);
  const [existing] = await conn0.query<(RowDataPacket & { n: number })[]>(
    'SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ? AND table_name = ?',
    [o.db, `${o.prefix}slbp_transactions`],
  );
  await conn0.end();
  if (existing[0]!.n > 0 && !o.replace) {
    cli.err(`demo: database ${o.db} already has the plugin's tables; keeping it (pass --replace to rebuild)`);
    return;
  }
  await createWordPressDatabase(server, o.db, o.prefix, { replace: o.replace });
  const conn = await adminConnection(server, o.db);
  const bar = progress(cli.io, { label: `demo data (${o.size})`, total: demoRows(size), unit: 'items', noun: 'rows' });
  try {
    await fillDemoData(conn, o.prefix, size, { siteUrl: o.siteUrl, onRows: (n) => bar.update(n) });
  } finally {
    await conn.end();
  }
  bar.finish(`database ${o.db}`);
}
