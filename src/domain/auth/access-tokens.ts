import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Memo } from '../../cache/memo.ts';

/**
 * What an access token says: the user, the refresh-token family it came from, its lifetime, and
 * the stamp of the user's password hash when it was issued (absent in tokens from before stamps).
 */
export interface AccessClaims {
  sub: number;
  sid: string;
  iat: number;
  exp: number;
  pwd?: string;
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

/**
 * Derives the token signing key. Every node must derive the same key, so it comes from the
 * shared SLBP_SIDECAR_SECRET, else from the wp-config.php keys and salts (AUTH_KEY + AUTH_SALT,
 * as WordPress keys its own auth cookies). With neither, a random per-process key is used and
 * tokens only work on the node that issued them (the caller logs a warning).
 */
export function deriveTokenKey(sidecarSecret: string, salts: Record<string, string>): { key: Buffer; shared: boolean } {
  const material = sidecarSecret || (salts.AUTH_KEY || salts.AUTH_SALT ? `${salts.AUTH_KEY ?? ''}${salts.AUTH_SALT ?? ''}` : '');
  if (!material) return { key: randomBytes(32), shared: false };
  return { key: createHmac('sha256', material).update('slbp-access-token-v1').digest(), shared: true };
}

/** Short-lived HS256 JWTs (three base64url parts), verified without any lookup. */
export class AccessTokens {
  /**
   * Tokens whose signature was checked already, with their claims: a client sends the same token
   * on every call for its lifetime, and the HMAC is most of a cached read's identity cost. Only
   * exact strings that verified (so tokens this site signed) are kept; expiry is still checked on
   * every use.
   */
  private readonly verified = new Memo<string, AccessClaims>(5000, 4 * 1024 * 1024, (token) => 2 * token.length + 200);

  constructor(
    private readonly key: Buffer,
    readonly ttlSec: number,
  ) {}

  issue(userId: number, sid: string, pwd: string, now = Math.floor(Date.now() / 1000)): string {
    const claims: AccessClaims = { sub: userId, sid, iat: now, exp: now + this.ttlSec, pwd };
    const body = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    return `${body}.${this.sign(body)}`;
  }

  /** The claims of a well-formed, correctly signed, unexpired token; otherwise null. */
  verify(token: string, now = Math.floor(Date.now() / 1000)): AccessClaims | null {
    const known = this.verified.get(token);
    if (known) return known.exp > now ? known : null;
    const parts = token.split('.');
    if (parts.length !== 3 || token.length > 2048 || parts[0] !== HEADER) return null;
    const expected = Buffer.from(this.sign(`${parts[0]}.${parts[1]}`));
    const given = Buffer.from(parts[2]!);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    let claims: AccessClaims;
    try {
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as AccessClaims;
    } catch {
      return null;
    }
    if (
      !Number.isSafeInteger(claims.sub) ||
      claims.sub <= 0 ||
      typeof claims.exp !== 'number' ||
      claims.exp <= now ||
      typeof claims.sid !== 'string'
    )
      return null;
    if (claims.pwd !== undefined && typeof claims.pwd !== 'string') return null;
    this.verified.set(token, claims);
    return claims;
  }

  /**
   * A stamp of a stored password hash: it changes when the password does, so tokens carrying the
   * old one stop working (as WordPress's auth cookies carry a fragment of the hash). Keyed, so
   * neither the token nor a cache entry holding it helps guess the password (an md5 hash is
   * unsalted).
   */
  stamp(passwordHash: string): string {
    return createHmac('sha256', this.key).update(`pwd:${passwordHash}`).digest('base64url').slice(0, 16);
  }

  private sign(data: string): string {
    return createHmac('sha256', this.key).update(data).digest('base64url');
  }
}
