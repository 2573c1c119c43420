/**
 * A local pool of sidecars behind nginx on loopback ports, for trying the load-balanced layout
 * on one machine. The nodes get this command's environment (DB_NAME, SLBP_*, ...).
 *   tsx scripts/pool.ts start --nodes 3 [--dir var/pool] [--port 8080]
 *   tsx scripts/pool.ts restart-node --dir var/pool --node 2
 *   tsx scripts/pool.ts stop [--dir var/pool]
 * A rolling update of the pool: tsx scripts/rolling-update.ts --pool var/pool
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/config/load.ts';
import { NS, restartNode, startPool, stopPool } from './lib/pool.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { nodes: { type: 'string', default: '3' }, dir: { type: 'string', default: path.join(projectRoot, 'var/pool') }, port: { type: 'string' }, node: { type: 'string' } },
});
const command = positionals[0];
if (command === 'start') {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && /^(DB_|SLBP_|WP_REDIS_|PATH$|HOME$|NODE_ENV$)/.test(k)) env[k] = v;
  const nodes = Number(values.nodes);
  if (!Number.isInteger(nodes) || nodes < 1) {
    console.error('pool: --nodes must be a whole number ≥ 1');
    process.exit(2);
  }
  const state = await startPool({ dir: values.dir!, nodes, env, listenPort: values.port ? Number(values.port) : undefined });
  console.log(`pool: ${nodes} node(s) on ports ${state.nodes.map((n) => n.port).join(', ')}`);
  console.log(`pool: public  http://127.0.0.1:${state.listenPort}${NS}/health`);
  console.log(`pool: shim    http://127.0.0.1:${state.internalPort}${NS}/ (passes X-SLBP-* headers)`);
  console.log(`pool: stop with: tsx scripts/pool.ts stop --dir ${state.dir}`);
} else if (command === 'restart-node' && values.node) {
  const node = await restartNode(values.dir!, values.node);
  console.log(`pool: node ${node.name} restarted (pid ${node.pid}, port ${node.port})`);
} else if (command === 'stop') {
  await stopPool(values.dir!);
  console.log('pool: stopped');
} else {
  console.error('usage: pool.ts start --nodes N [--dir DIR] [--port P] | restart-node --dir DIR --node NAME | stop [--dir DIR]');
  process.exit(2);
}
