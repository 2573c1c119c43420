import { exec } from 'node:child_process';
import { promisify } from 'node:util';
import { projectRoot } from '../../src/config/load.ts';
import { setUpstreamDown } from './nginx-config.ts';

const sh = promisify(exec);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const NS = '/wp-json/skylearn-billing-pro/v1';

/**
 * What a rolling update needs to know, as JSON for scripts/rolling-update.ts. `upstreamFile` and
 * `reload` are optional: without them the update relies on the node's own drain (/ready 503,
 * then refused connections that nginx retries on the next node).
 */
export interface RollingPlan {
  /** nginx upstream file with one `server ADDRESS ...;` line per node. */
  upstreamFile?: string;
  /** Command that makes nginx re-read its configuration (e.g. `nginx -s reload`). */
  reload?: string;
  nodes: { name: string; address: string; restart: string }[];
  /** Longest wait for /health and /ready after a restart (default 30 s). */
  readyTimeoutMs?: number;
  /** Pause after taking a node out, so requests already sent to it finish (default 1 s). */
  settleMs?: number;
}

export interface NodeOutcome {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
}
export interface RollingResult {
  ok: boolean;
  nodes: NodeOutcome[];
}

async function checks(address: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const [health, ready] = await Promise.all(
        ['health', 'ready'].map(async (p) => {
          const res = await fetch(`http://${address}${NS}/${p}`, { signal: AbortSignal.timeout(2000) });
          await res.arrayBuffer();
          return res.status;
        }),
      );
      if (health === 200 && ready === 200) return;
      last = `/health ${health}, /ready ${ready}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`checks failed after ${timeoutMs} ms: ${last}`);
}

/**
 * Updates the nodes one by one: restart the node (the sidecar drains on SIGTERM: /ready 503,
 * in-flight requests finish, then its port refuses and nginx retries elsewhere), wait until its
 * /health and /ready answer 200, go on. With `upstreamFile` + `reload` the node is also marked
 * `down` in nginx first and put back after. Stops at the first node that fails its checks,
 * leaving the remaining nodes untouched on the old code (and a marked node marked down).
 */
export async function rollingUpdate(plan: RollingPlan, log: (line: string) => void = () => undefined): Promise<RollingResult> {
  const nodes: NodeOutcome[] = [];
  const balancer = plan.upstreamFile && plan.reload ? { file: plan.upstreamFile, reload: plan.reload } : null;
  const setDown = async (address: string, down: boolean) => {
    if (!balancer) return;
    if (!(await setUpstreamDown(balancer.file, address, down))) throw new Error(`${address} is not in ${balancer.file}`);
    await sh(balancer.reload, { cwd: projectRoot });
  };
  for (const node of plan.nodes) {
    const t0 = Date.now();
    try {
      log(`${node.name} (${node.address}): ${balancer ? 'out of the balancer' : 'draining'}`);
      if (balancer) {
        await setDown(node.address, true);
        await sleep(plan.settleMs ?? 1000);
      }
      log(`${node.name}: restarting`);
      await sh(node.restart, { cwd: projectRoot, timeout: 120_000 });
      await checks(node.address, plan.readyTimeoutMs ?? 30_000);
      await setDown(node.address, false);
      const ms = Date.now() - t0;
      log(`${node.name}: healthy${balancer ? ' and back in the balancer' : ''} (${ms} ms)`);
      nodes.push({ name: node.name, ok: true, ms });
    } catch (err) {
      const error = (err as Error).message.split('\n')[0]!;
      log(`${node.name}: FAILED (${error}); stopping here, remaining nodes untouched`);
      nodes.push({ name: node.name, ok: false, ms: Date.now() - t0, error });
      return { ok: false, nodes };
    }
  }
  return { ok: true, nodes };
}
