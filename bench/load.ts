/**
 * Load generator, run in its own process so it never shares an event loop with the server it
 * measures. Reads one scenario from the JSON file named by argv[2], prints one JSON result line on stdout.
 */
import autocannon from 'autocannon';
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { shimSignature, shimStringToSign } from '../src/http/identity/shim-signature.ts';

export interface LoadSpec {
  url: string;
  connections: number;
  durationSec: number;
  method?: string;
  headers?: Record<string, string>;
  /** Paths to rotate through (each request takes the next). */
  paths: string[];
  /** Sign each request as the WordPress shim would, for this user. */
  shim?: { secret: string; userId: number };
  /** Lemon Squeezy deliveries: bodies signed with this secret, rotated. */
  webhook?: { secret: string; bodies: string[] };
  /** Round `round` of `rounds` starts at its own share of the paths and bodies, so no round repeats another's requests. */
  round?: number;
  rounds?: number;
}

export interface LoadResult { requests: number; rps: number; p50: number; p99: number; errors: number; non2xx: number; statuses: Record<string, number> }

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadSpec;
const listLength = Math.max(spec.paths.length, spec.webhook?.bodies.length ?? 0);
let i = (spec.round ?? 0) * Math.floor(listLength / (spec.rounds ?? 1));
const statuses: Record<string, number> = {};

const run = autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.durationSec,
  method: (spec.method ?? 'GET') as 'GET',
  headers: spec.headers ?? {},
  timeout: 10,
  requests: [{
    setupRequest: (req: any) => {
      const n = i++;
      const path = spec.paths[n % spec.paths.length]!;
      req.path = path;
      if (spec.shim) {
        const ts = String(Math.floor(Date.now() / 1000));
        const nonce = randomBytes(12).toString('hex');
        const sig = shimSignature(spec.shim.secret, shimStringToSign(req.method ?? 'GET', path, '', ts, nonce, String(spec.shim.userId)));
        req.headers = { ...req.headers, 'X-SLBP-User': String(spec.shim.userId), 'X-SLBP-Timestamp': ts, 'X-SLBP-Nonce': nonce, 'X-SLBP-Signature': sig };
      }
      if (spec.webhook) {
        const body = spec.webhook.bodies[n % spec.webhook.bodies.length]!;
        req.method = 'POST';
        req.body = body;
        req.headers = { ...req.headers, 'Content-Type': 'application/json', 'X-Signature': createHmac('sha256', spec.webhook.secret).update(body).digest('hex') };
      }
      return req;
    },
    onResponse: (status: number) => {
      statuses[status] = (statuses[status] ?? 0) + 1;
    },
  }],
} as any) as Promise<unknown>;

run.then((r: any) => {
  const result: LoadResult = {
    requests: r.requests.total,
    rps: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    statuses,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
});
