import { timingSafeEqual, createHash } from 'node:crypto';
import { AddressList, resolveClientIp } from '../client-ip.ts';
import type { IncomingMessage } from 'node:http';
import type { RequestOrigin } from '../../domain/caller.ts';
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

interface Grants {
  trustedProxies: AddressList;
  health(): AddressList;
  monitoring(): AddressList;
  metricsToken: Buffer | null;
  healthToken: Buffer | null;
}

/**
 * A request's origin, worked out when first asked: most routes never ask (their access rule looks
 * at the caller only), so most requests skip the address and allowlist work. Every value is
 * fixed by the peer address (read at the start: a closed socket no longer tells it; Node keeps
 * it per connection) and the headers, so asking later gives what asking first would have.
 */
class LazyOrigin implements RequestOrigin {
  #ip: string | undefined;
  #health: boolean | undefined;
  #monitoring: boolean | undefined;
  #presented: Buffer | null | undefined;
  private readonly peer: string;

  constructor(
    private readonly req: IncomingMessage,
    private readonly grants: Grants,
  ) {
    this.peer = req.socket.remoteAddress ?? '';
  }

  get ip(): string {
    if (this.#ip === undefined) {
      const forwarded = this.req.headers['x-forwarded-for'];
      this.#ip = resolveClientIp(
        this.peer,
        (Array.isArray(forwarded) ? forwarded.join(',') : forwarded) || undefined,
        this.grants.trustedProxies,
      );
    }
    return this.#ip;
  }

  get healthCheckAddress(): boolean {
    return (this.#health ??= this.grants.health().has(this.ip));
  }

  get monitoringAddress(): boolean {
    return (this.#monitoring ??= this.grants.monitoring().has(this.ip));
  }

  get metricsToken(): boolean {
    return sameSecret(this.presented(), this.grants.metricsToken);
  }

  get healthToken(): boolean {
    return sameSecret(this.presented(), this.grants.healthToken);
  }

  /** The digest of the presented bearer, made once and only when a token is configured. */
  private presented(): Buffer | null {
    if (this.#presented === undefined) {
      const auth = this.grants.metricsToken || this.grants.healthToken ? bearerToken(this.req.headers.authorization) : '';
      this.#presented = auth ? sha256(auth) : null;
    }
    return this.#presented;
  }
}

/** Resolves the client address and the network-level grants (allowlists, configured tokens), each when first asked. */
export function requestOrigin(src: OriginSources): (ctx: AppContext) => void {
  // The configured tokens are hashed once; a presented bearer once per request, when asked.
  const grants: Grants = {
    trustedProxies: src.trustedProxies,
    health: memoList(src.healthCheckIps, src.version),
    monitoring: memoList(src.monitoringIps, src.version),
    metricsToken: src.metricsToken ? sha256(src.metricsToken) : null,
    healthToken: src.healthToken ? sha256(src.healthToken) : null,
  };
  return (ctx) => {
    ctx.state.origin = new LazyOrigin(ctx.req, grants);
  };
}
