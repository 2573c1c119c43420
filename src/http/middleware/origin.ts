import { timingSafeEqual, createHash } from 'node:crypto';
import { AddressList, resolveClientIp } from '../client-ip.ts';
import type { AppContext } from '../route.ts';
import { bearerToken } from './identity.ts';

export interface OriginSources {
  trustedProxies: AddressList;
  /** Current allowlists (config + wp_options), read per request so option changes apply. */
  healthCheckIps(): string[];
  monitoringIps(): string[];
  /** Changes whenever the lists may have changed (the wp_options reload time). */
  version(): number;
  metricsToken: string;
  healthToken: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** Compares digests in constant time; an unset secret (null) never matches. */
function sameSecret(given: Buffer | null, expected: Buffer | null): boolean {
  return given !== null && expected !== null && timingSafeEqual(given, expected);
}

/** The AddressList for the current lists, rebuilt only when the options were reloaded (not per request). */
function memoList(get: () => string[], version: () => number): () => AddressList {
  let seen = Number.NaN;
  let list = new AddressList([]);
  return () => {
    const v = version();
    if (v !== seen) {
      seen = v;
      list = new AddressList(get());
    }
    return list;
  };
}

/** Resolves the client address and the network-level grants (allowlists, configured tokens). */
export function requestOrigin(src: OriginSources): (ctx: AppContext) => void {
  const health = memoList(src.healthCheckIps, src.version);
  const monitoring = memoList(src.monitoringIps, src.version);
  // The configured tokens are hashed once; a presented bearer once per request.
  const metricsToken = src.metricsToken ? sha256(src.metricsToken) : null;
  const healthToken = src.healthToken ? sha256(src.healthToken) : null;
  return (ctx) => {
    const h = ctx.req.headers;
    const forwarded = h['x-forwarded-for'];
    const ip = resolveClientIp(ctx.req.socket.remoteAddress ?? '', (Array.isArray(forwarded) ? forwarded.join(',') : forwarded) || undefined, src.trustedProxies);
    const auth = bearerToken(h.authorization);
    const presented = auth && (metricsToken || healthToken) ? sha256(auth) : null;
    ctx.state.origin = {
      ip,
      healthCheckAddress: health().has(ip),
      monitoringAddress: monitoring().has(ip),
      metricsToken: sameSecret(presented, metricsToken),
      healthToken: sameSecret(presented, healthToken),
    };
  };
}
