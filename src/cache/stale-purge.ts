import type { Service } from '../lifecycle.ts';

/** Anything holding entries that expire (lru-cache's purgeStale). */
export interface Purgeable {
  purgeStale(): unknown;
}

/** How often expired in-process entries are removed (one scan of each cache). */
export const STALE_PURGE_MS = 30_000;

/**
 * Removes expired entries from in-process caches on a timer. lru-cache keeps an expired entry
 * until it is read again or the cache is full (cheap, but a node's memory then only ever
 * grows to the caps: #24); `ttlAutopurge` would arm a timer per entry. One scan of each cache
 * every `everyMs` lets entries leave within that long of their expiry, with nothing per entry.
 */
export function stalePurge(name: string, caches: Purgeable[], everyMs = STALE_PURGE_MS): Service {
  let timer: NodeJS.Timeout | null = null;
  return {
    name,
    start() {
      timer ??= setInterval(() => {
        for (const c of caches) c.purgeStale();
      }, everyMs).unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
