import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { NS, poolPlan, readPoolState, restartNode, startPool, stopPool } from '../../../scripts/lib/pool.ts';
import { rollingUpdate, type RollingPlan } from '../../../scripts/lib/rolling-update.ts';
import { projectRoot } from '../../config/load.ts';
import { CliError } from '../io.ts';
import { wholeNumber, type Cli } from '../cli.ts';

const DEFAULT_DIR = path.join(projectRoot, 'var/pool');

export function registerPool(program: Command, cli: Cli): void {
  const pool = program
    .command('pool')
    .description('a local pool of sidecars behind nginx on loopback ports, to try the load-balanced layout on one machine');

  pool
    .command('start')
    .description("start N nodes and nginx in front of them; the nodes get this command's settings (DB_*, SLBP_*, --wp-config)")
    .option('--nodes <n>', 'number of sidecar nodes', wholeNumber(1), 3)
    .option('--dir <dir>', 'where state, logs and the nginx configuration go', DEFAULT_DIR)
    .option('--port <port>', 'public port of nginx (default: a free one)', wholeNumber(1))
    .action(async (opts: { nodes: number; dir: string; port?: number }) => {
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(cli.io.env))
        if (v !== undefined && /^(DB_|SLBP_|WP_REDIS_|PATH$|HOME$|NODE_ENV$)/.test(k)) env[k] = v;
      const { wpConfig, env: envName } = cli.globals();
      if (wpConfig) env.SLBP_WP_CONFIG = path.resolve(wpConfig);
      if (envName) env.SLBP_ENV = envName;
      const state = await startPool({ dir: opts.dir, nodes: opts.nodes, env, listenPort: opts.port });
      cli.out(`pool: ${opts.nodes} node(s) on ports ${state.nodes.map((n) => n.port).join(', ')}`);
      cli.out(`pool: public  http://127.0.0.1:${state.listenPort}${NS}/health`);
      cli.out(`pool: shim    http://127.0.0.1:${state.internalPort}${NS}/ (passes X-SLBP-* headers)`);
      cli.out(`pool: stop with: slbp pool stop --dir ${state.dir}`);
    });

  pool
    .command('restart-node')
    .description('restart one node on the current code (it drains first), on the same port')
    .requiredOption('--node <name>', 'node name (1, 2, ...)')
    .option('--dir <dir>', 'the pool directory', DEFAULT_DIR)
    .action(async (opts: { node: string; dir: string }) => {
      const node = await restartNode(opts.dir, opts.node);
      cli.out(`pool: node ${node.name} restarted (pid ${node.pid}, port ${node.port})`);
    });

  pool
    .command('stop')
    .description('stop nginx and every node (each drains first)')
    .option('--dir <dir>', 'the pool directory', DEFAULT_DIR)
    .action(async (opts: { dir: string }) => {
      await stopPool(opts.dir);
      cli.out('pool: stopped');
    });

  program
    .command('rolling-update')
    .description('restart the nodes of a pool one at a time, each back healthy before the next (exit 1 at the first that fails)')
    .option('--plan <file>', 'a JSON plan: nodes with name, address and restart command (docs/deployment.md)')
    .option('--pool <dir>', 'a local pool started by slbp pool start')
    .option('--reload', 'with --pool: also mark each node down in nginx and reload it')
    .action(async (opts: { plan?: string; pool?: string; reload?: boolean }) => {
      let plan: RollingPlan;
      if (opts.plan) plan = JSON.parse(await readFile(opts.plan, 'utf8')) as RollingPlan;
      else if (opts.pool) plan = poolPlan(await readPoolState(opts.pool), { viaReload: opts.reload });
      else throw new CliError('rolling-update: give --plan FILE or --pool DIR');
      const result = await rollingUpdate(plan, (line) => cli.out(`rolling-update: ${line}`));
      cli.out(
        `rolling-update: ${result.ok ? 'done' : 'stopped'}: ${result.nodes.filter((n) => n.ok).length}/${plan.nodes.length} node(s) updated`,
      );
      cli.exitCode = result.ok ? 0 : 1;
    });
}
