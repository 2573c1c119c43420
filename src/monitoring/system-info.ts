import { execFile } from 'node:child_process';
import v8 from 'node:v8';
import { wordpressVersionFile, type WordPressLocation } from '../config/wordpress-paths.ts';

/**
 * The first WordPress release of each `db_version` (wp-includes/version.php's `$wp_db_version`).
 * A schema version spans several releases, so this names the earliest: used only when the site's
 * version.php cannot be read.
 */
export const WP_DB_VERSIONS: Readonly<Record<string, string>> = {
  '49752': '5.6',
  '51917': '5.9',
  '53496': '6.1',
  '56657': '6.4',
  '57155': '6.5',
};

/** A value of system_info and where it was read. */
export interface Sourced {
  value: string;
  source: string;
}

/** The WordPress version: version.php beside the site's wp-config.php, else the `db_version` option, else "Unknown". */
export async function wordpressVersion(site: WordPressLocation, dbVersion: unknown): Promise<Sourced> {
  const exact = await wordpressVersionFile(site);
  if (exact) return { value: exact, source: 'wp-includes/version.php' };
  const known = WP_DB_VERSIONS[String(dbVersion ?? '')];
  if (known) return { value: known, source: `db_version option (${String(dbVersion)}: the first release with that schema)` };
  return { value: 'Unknown', source: dbVersion ? `db_version option (${String(dbVersion)}: not a known schema)` : 'none' };
}

let php: Promise<Sourced> | null = null;

/** PHP's version as the `php` command on this host reports it (asked once per process), else "Unknown". */
export function phpVersion(): Promise<Sourced> {
  php ??= new Promise((resolve) => {
    execFile('php', ['-r', 'echo PHP_VERSION;'], { timeout: 2000 }, (err, stdout) => {
      const v = String(stdout ?? '').trim();
      resolve(!err && /^\d+\.\d+/.test(v) ? { value: v, source: 'the php command on this host' } : { value: 'Unknown', source: 'none' });
    });
  });
  return php;
}

/** The heap limit this process runs with, written as PHP writes memory_limit (`192M`). */
export function memoryLimit(): string {
  return `${Math.round(v8.getHeapStatistics().heap_size_limit / 1048576)}M`;
}

/** Whether an API answered, in how many ms, and why not. */
export interface Reachability {
  healthy: boolean;
  response_time: number;
  error?: string;
}

/**
 * Whether an external API answers at all (any HTTP status counts: it is reachable), with the
 * time it took; checked at most once a minute.
 */
export function reachability(url: () => string, timeoutMs: number, everyMs = 60_000): () => Promise<Reachability> {
  let held: { at: number; value: Promise<Reachability> } | null = null;
  return () => {
    if (held && Date.now() - held.at < everyMs) return held.value;
    const started = performance.now();
    const value: Promise<Reachability> = fetch(url(), { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) }).then(
      (res) => {
        void res.body?.cancel();
        return { healthy: true, response_time: Math.round((performance.now() - started) * 100) / 100 };
      },
      (err: Error) => ({
        healthy: false,
        response_time: Math.round((performance.now() - started) * 100) / 100,
        error: err.name === 'TimeoutError' ? `no answer in ${timeoutMs} ms` : (err.cause as Error | undefined)?.message || err.message,
      }),
    );
    held = { at: Date.now(), value };
    return value;
  };
}
