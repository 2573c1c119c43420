import { freePort } from './mariadb-instance.ts';
import { NS, spawnSidecar, type ChildSidecar } from './sidecar.ts';

/**
 * spawnSidecar on a known free port, waiting for `/live` for up to `timeoutMs` (the 20 s wait for
 * the listen log is too short when the machine is busy with other test runs).
 */
export async function spawnReady(env: Record<string, string>, timeoutMs = 60_000): Promise<ChildSidecar> {
  const port = await freePort();
  const sc = await spawnSidecar({ ...env, SLBP_PORT: String(port) }, [], { waitForListen: false });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (sc.proc.exitCode !== null) throw new Error(`sidecar exited with ${sc.proc.exitCode}:\n${sc.output()}`);
    try {
      if ((await fetch(`${url}${NS}/live`)).ok) return { ...sc, url, base: `${url}${NS}` };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await sc.stop('SIGKILL');
      throw new Error(`sidecar did not answer /live in ${timeoutMs} ms:\n${sc.output()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
