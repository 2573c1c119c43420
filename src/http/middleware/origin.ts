import { timingSafeEqual, createHash } from 'node:crypto';
import type { Next } from 'koa';
import { AddressList, resolveClientIp } from '../client-ip.ts';
import type { AppContext } from '../route.ts';

export interface OriginSources {
  trustedProxies: AddressList;
  /** Current allowlists (config + wp_options), read per request so option changes apply. */
  healthCheckIps(): string[];
  monitoringIps(): string[];
  metricsToken: string;
  healthToken: string;
}

function sameSecret(given: string, expected: string): boolean {
  if (!expected || !given) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Cached AddressList per distinct list, so a changed option takes effect without rebuilding per request. */
function memoList(get: () => string[]): () => AddressList {
  let key = '';
  let list = new AddressList([]);
  return () => {
    const entries = get();
    const k = entries.join(',');
    if (k !== key) {
      key = k;
      list = new AddressList(entries);
    }
    return list;
  };
}

/** Resolves the client address and the network-level grants (allowlists, configured tokens). */
export function requestOrigin(src: OriginSources) {
  const health = memoList(src.healthCheckIps);
  const monitoring = memoList(src.monitoringIps);
  return async (ctx: AppContext, next: Next): Promise<void> => {
    const ip = resolveClientIp(ctx.req.socket.remoteAddress ?? '', ctx.get('X-Forwarded-For') || undefined, src.trustedProxies);
    const auth = /^Bearer\s+(.+)$/i.exec(ctx.get('Authorization'))?.[1]?.trim() ?? '';
    ctx.state.origin = {
      ip,
      healthCheckAddress: health().has(ip),
      monitoringAddress: monitoring().has(ip),
      metricsToken: sameSecret(auth, src.metricsToken),
      healthToken: sameSecret(auth, src.healthToken),
    };
    await next();
  };
}
