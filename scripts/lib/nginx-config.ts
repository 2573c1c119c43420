import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/config/load.ts';

/** Passive health-check settings of every upstream line (see docs/deployment.md). */
export const UPSTREAM_DEFAULTS = { maxFails: 2, failTimeoutSec: 5 };

export interface NginxSiteOptions {
  /** Directory that becomes nginx's prefix: config, pid, logs and temp files all live in it. */
  dir: string;
  /** Public `host:port` (rate limits, X-SLBP-* stripped). */
  listen: string;
  /** Loopback `host:port` for the WordPress shim (X-SLBP-* passed through). */
  internalListen: string;
  /** Sidecar addresses (`host:port`). */
  nodes: string[];
  phpFpm?: string;
  wpRoot?: string;
  maxFails?: number;
  failTimeoutSec?: number;
}

/** One `server` line of the upstream file; `down` takes the node out without forgetting it. */
export function upstreamLine(address: string, opts: { maxFails?: number; failTimeoutSec?: number; down?: boolean } = {}): string {
  const maxFails = opts.maxFails ?? UPSTREAM_DEFAULTS.maxFails;
  const failTimeout = opts.failTimeoutSec ?? UPSTREAM_DEFAULTS.failTimeoutSec;
  return `server ${address} max_fails=${maxFails} fail_timeout=${failTimeout}s${opts.down ? ' down' : ''};`;
}

/** Replaces `{{NAME}}` placeholders; an unknown placeholder is an error, not an empty string. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`nginx template: no value for {{${name}}}`);
    return v;
  });
}

/**
 * Writes a self-contained nginx configuration under `opts.dir` (run it with
 * `nginx -p DIR -c DIR/nginx.conf`): the site from config/nginx/, the upstream file, and a main
 * file whose pid, logs and temp paths stay inside DIR so it needs no system directories.
 */
export async function writeNginxConfig(opts: NginxSiteOptions): Promise<{ conf: string; upstreamFile: string }> {
  const dir = path.resolve(opts.dir);
  await mkdir(path.join(dir, 'logs'), { recursive: true });
  await mkdir(path.join(dir, 'temp'), { recursive: true });
  const src = path.join(projectRoot, 'config/nginx');
  await copyFile(path.join(src, 'slbp-proxy.conf'), path.join(dir, 'slbp-proxy.conf'));
  await copyFile(path.join(src, 'slbp-strip-identity.conf'), path.join(dir, 'slbp-strip-identity.conf'));
  const fastcgi = path.join(dir, 'fastcgi_params');
  if (existsSync('/etc/nginx/fastcgi_params')) await copyFile('/etc/nginx/fastcgi_params', fastcgi);
  else await writeFile(fastcgi, 'fastcgi_param QUERY_STRING $query_string;\nfastcgi_param REQUEST_METHOD $request_method;\n');
  const upstreamFile = path.join(dir, 'upstreams.conf');
  await writeFile(upstreamFile, opts.nodes.map((a) => upstreamLine(a, opts)).join('\n') + '\n');
  const template = await readFile(path.join(src, 'skylearn-billing.conf.template'), 'utf8');
  const site = fillTemplate(template, {
    UPSTREAM_FILE: upstreamFile,
    LISTEN: opts.listen,
    INTERNAL_LISTEN: opts.internalListen,
    SERVER_NAME: '_',
    WP_ROOT: opts.wpRoot ?? path.join(dir, 'www'),
    PROXY_FILE: path.join(dir, 'slbp-proxy.conf'),
    STRIP_FILE: path.join(dir, 'slbp-strip-identity.conf'),
    FASTCGI_PARAMS: fastcgi,
    // Nothing listens here in the local pool: non-sidecar paths answer 502, as a site whose PHP is down would.
    PHP_FPM: opts.phpFpm ?? '127.0.0.1:9',
  });
  await writeFile(path.join(dir, 'site.conf'), site);
  const t = (name: string) => path.join(dir, 'temp', name);
  const conf = path.join(dir, 'nginx.conf');
  await writeFile(
    conf,
    [
      'worker_processes 1;',
      `pid ${path.join(dir, 'nginx.pid')};`,
      `error_log ${path.join(dir, 'logs/error.log')} warn;`,
      'events { worker_connections 1024; }',
      'http {',
      `  access_log off;`,
      `  client_body_temp_path ${t('client_body')};`,
      `  proxy_temp_path ${t('proxy')};`,
      `  fastcgi_temp_path ${t('fastcgi')};`,
      `  uwsgi_temp_path ${t('uwsgi')};`,
      `  scgi_temp_path ${t('scgi')};`,
      '  keepalive_timeout 30s;',
      `  include ${path.join(dir, 'site.conf')};`,
      '}',
      '',
    ].join('\n'),
  );
  return { conf, upstreamFile };
}

/**
 * Marks `address` down (or up) in an upstream file written by upstreamLine or by hand, keeping
 * every other line as it was. Returns false when the file has no line for that address.
 */
export async function setUpstreamDown(file: string, address: string, down: boolean): Promise<boolean> {
  const text = await readFile(file, 'utf8');
  let found = false;
  const escaped = address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^(\\s*server\\s+${escaped}(?:\\s+(?!down\\s*;)[^\\s;]+)*)(\\s+down)?\\s*;`, 'gm');
  const out = text.replace(re, (_m, head: string) => {
    found = true;
    return `${head}${down ? ' down' : ''};`;
  });
  if (found && out !== text) await writeFile(file, out);
  return found;
}
