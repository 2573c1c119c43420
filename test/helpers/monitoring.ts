import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CacheService, CacheStats } from '../../src/cache/cache-service.ts';

/** Runs `promtool <args>` with `stdin`; resolves with its exit code and output. */
export function promtool(args: string[], stdin?: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const p = execFile('promtool', args, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as NodeJS.ErrnoException & { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
    if (stdin !== undefined) p.stdin!.end(stdin);
  });
}

/** Samples of a metric in exposition text, `labels` matched as a substring of the label set. */
export function sample(text: string, name: string, labels = ''): number | null {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m && m[1] === name && (m[2] ?? '').includes(labels)) return Number(m[3]);
  }
  return null;
}

/** Every metric family named in exposition text (TYPE lines and sample names). */
export function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+)/.exec(line);
    if (t) names.add(t[1]!);
    const s = /^([a-zA-Z_:][\w:]*)[{ ]/.exec(line);
    if (s && !line.startsWith('#')) names.add(s[1]!);
  }
  return names;
}

/** A local HTTP receiver that records every POSTed JSON body (alert webhooks, Slack). */
export async function startReceiver(): Promise<{ url: string; bodies: { path: string; body: any }[]; close(): Promise<void> }> {
  const bodies: { path: string; body: any }[] = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (d) => {
      data += d;
    });
    req.on('end', () => {
      try {
        bodies.push({ path: req.url ?? '', body: JSON.parse(data) });
      } catch {
        bodies.push({ path: req.url ?? '', body: data });
      }
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, bodies, close: () => new Promise((r) => server.close(() => r())) };
}

/** A minimal in-memory cache with real hit/miss counters, standing in for the layered cache. */
export class CountingCache implements CacheService {
  private readonly store = new Map<string, unknown>();
  private s: CacheStats = {
    l1: { hits: 0, misses: 0, entries: 0, bytes: 0 },
    l2: { hits: 0, misses: 0, errors: 0 },
    loads: 0,
    invalidations: 0,
  };

  async wrap<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (this.store.has(key)) {
      this.s.l1.hits++;
      return this.store.get(key) as T;
    }
    this.s.l1.misses++;
    this.s.l2.misses++;
    this.s.loads++;
    const v = await load();
    this.store.set(key, v);
    this.s.l1.entries = this.store.size;
    return v;
  }

  staleAge(): number | undefined {
    return undefined;
  }

  peek<T>(key: string): T | undefined {
    if (!this.store.has(key)) return undefined;
    this.s.l1.hits++;
    return this.store.get(key) as T;
  }

  async invalidate() {
    const n = this.store.size;
    this.store.clear();
    this.s.invalidations++;
    return { invalidated: n, nodes_notified: 0 };
  }

  stats(): CacheStats {
    return structuredClone(this.s);
  }
}
