/**
 * Rolling update of a sidecar pool behind nginx, one node at a time (see docs/deployment.md).
 * Usage: tsx scripts/rolling-update.ts --plan plan.json      (a RollingPlan, see lib/rolling-update.ts)
 *        tsx scripts/rolling-update.ts --pool DIR [--reload] (a local pool started by scripts/pool.ts)
 * Exit code 0 when every node is back, 1 at the first node that fails its checks.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { poolPlan, readPoolState } from './lib/pool.ts';
import { rollingUpdate, type RollingPlan } from './lib/rolling-update.ts';

const { values } = parseArgs({ options: { plan: { type: 'string' }, pool: { type: 'string' }, reload: { type: 'boolean', default: false } } });
let plan: RollingPlan;
if (values.plan) plan = JSON.parse(await readFile(values.plan, 'utf8')) as RollingPlan;
else if (values.pool) plan = poolPlan(await readPoolState(values.pool), { viaReload: values.reload });
else {
  console.error('rolling-update: give --plan FILE or --pool DIR');
  process.exit(2);
}
const result = await rollingUpdate(plan, (line) => console.log(`rolling-update: ${line}`));
console.log(`rolling-update: ${result.ok ? 'done' : 'stopped'}: ${result.nodes.filter((n) => n.ok).length}/${plan.nodes.length} node(s) updated`);
process.exit(result.ok ? 0 : 1);
