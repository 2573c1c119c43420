import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * WordPress's logged-in cookie and REST nonce, computed as WordPress 6.x does
 * (wp-includes/pluggable.php: wp_salt, wp_hash, wp_parse_auth_cookie, wp_validate_auth_cookie,
 * wp_nonce_tick, wp_verify_nonce; class-wp-session-tokens.php and
 * class-wp-user-meta-session-tokens.php). Pure functions: the caller brings the wp-config.php
 * constants, the options and the user's row and meta (docs/decisions/0029-logins-at-the-sidecar.md).
 */

/** The schemes whose key and salt come from `<SCHEME>_KEY`/`<SCHEME>_SALT`, else the `<scheme>_key`/`<scheme>_salt` options. */
export type SaltScheme = 'auth' | 'secure_auth' | 'logged_in' | 'nonce';

/** What wp-config-sample.php ships: WordPress never uses it as a key. */
const SAMPLE_PHRASE = 'put your unique phrase here';
const KEY_CONSTANTS = ['AUTH', 'SECURE_AUTH', 'LOGGED_IN', 'NONCE', 'SECRET'].flatMap((f) => [`${f}_KEY`, `${f}_SALT`]);

/** The options wp_salt() falls back to for a scheme (read them with `saltOptionNames`). */
export const saltOptionNames = (scheme: SaltScheme) => [`${scheme}_key`, `${scheme}_salt`];

/**
 * wp_salt($scheme): the constant when it is set, not the sample phrase and not the same value as
 * another key constant; otherwise the option WordPress generated and stored. Null when neither is
 * there yet (WordPress generates the option at its first use, so nothing it signed can exist).
 */
export function wpSalt(scheme: SaltScheme, constants: Record<string, string>, options: Map<string, string>): string | null {
  const seen = new Map<string, boolean>([[SAMPLE_PHRASE, true]]);
  for (const name of KEY_CONSTANTS) {
    const v = constants[name];
    if (v !== undefined) seen.set(v, seen.has(v));
  }
  let key = '';
  let salt = '';
  const secret = constants.SECRET_KEY;
  if (secret && !seen.get(secret)) key = secret;
  if (scheme === 'auth' && constants.SECRET_SALT && !seen.get(constants.SECRET_SALT)) salt = constants.SECRET_SALT;
  const pick = (type: 'key' | 'salt', current: string): string | null => {
    const c = constants[`${scheme}_${type}`.toUpperCase()];
    if (c && !seen.get(c)) return c;
    if (current) return current;
    return options.get(`${scheme}_${type}`) || null;
  };
  const k = pick('key', key);
  const s = pick('salt', salt);
  if (k === null || s === null) return null;
  return k + s;
}

/** wp_hash($data, $scheme): HMAC-MD5 keyed with the scheme's salt. */
export const wpHash = (data: string, salt: string) => createHmac('md5', salt).update(data).digest('hex');

const equal = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export interface AuthCookie {
  username: string;
  expiration: string;
  token: string;
  hmac: string;
}

/** wp_parse_auth_cookie(): `username|expiration|token|hmac`, or null when it has not four parts. */
export function parseAuthCookie(value: string): AuthCookie | null {
  const parts = value.split('|');
  if (parts.length !== 4) return null;
  const [username, expiration, token, hmac] = parts as [string, string, string, string];
  return { username, expiration, token, hmac };
}

/**
 * The cookie's value as PHP hands it to WordPress in $_COOKIE: the first cookie of that name,
 * URL-decoded with `+` as a space (PHP's urldecode). Null when the request has none.
 */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(
        part
          .slice(eq + 1)
          .trim()
          .replace(/\+/g, ' '),
      );
    } catch {
      return null;
    }
  }
  return null;
}

/** The logged-in cookie's name: `wordpress_logged_in_` + COOKIEHASH, where COOKIEHASH = md5(siteurl). */
export const loggedInCookieName = (siteUrl: string) =>
  `wordpress_logged_in_${siteUrl ? createHash('md5').update(siteUrl).digest('hex') : ''}`;

/**
 * wp_validate_auth_cookie()'s checks before the session token, for the `logged_in` scheme:
 * not expired (an hour's grace for POST), and the HMAC-SHA256 keyed with
 * wp_hash(username|pass_frag|expiration|token) where pass_frag is substr(user_pass, 8, 4).
 */
export function authCookieValid(cookie: AuthCookie, userPass: string, salt: string, method: string, now = Date.now() / 1000): boolean {
  const expiration = Number(cookie.expiration);
  if (!/^\d+$/.test(cookie.expiration) || expiration + (method === 'POST' ? 3600 : 0) < now) return false;
  const passFrag = userPass.slice(8, 12);
  const key = wpHash(`${cookie.username}|${passFrag}|${cookie.expiration}|${cookie.token}`, salt);
  const hash = createHmac('sha256', key).update(`${cookie.username}|${cookie.expiration}|${cookie.token}`).digest('hex');
  return equal(hash, cookie.hmac);
}

/**
 * WP_Session_Tokens::verify() over the `session_tokens` user meta (already unserialized): the
 * entry under sha256(token) exists and its expiration is not past. An entry that is a bare
 * integer is its expiration (prepare_session()).
 */
export function sessionTokenValid(sessions: unknown, token: string, now = Date.now() / 1000): boolean {
  if (!sessions || typeof sessions !== 'object' || Array.isArray(sessions)) return false;
  const verifier = createHash('sha256').update(token).digest('hex');
  const entry = (sessions as Record<string, unknown>)[verifier];
  if (entry === undefined || entry === null) return false;
  const expiration = typeof entry === 'number' ? entry : Number((entry as { expiration?: unknown }).expiration);
  return Number.isFinite(expiration) && expiration >= now;
}

/** wp_nonce_tick() with the default nonce life of a day: ceil(time / 43200). */
export const nonceTick = (now = Date.now() / 1000) => Math.ceil(now / 43_200);

/** wp_create_nonce()'s value for a tick: substr(wp_hash("$tick|$action|$uid|$token", 'nonce'), -12, 10). */
export const nonceFor = (tick: number, action: string, uid: number, token: string, salt: string) =>
  wpHash(`${tick}|${action}|${uid}|${token}`, salt).slice(-12, -2);

/**
 * wp_verify_nonce($nonce, $action) for a user and session token: 1 when made in this tick, 2 in
 * the one before, else false.
 */
export function verifyNonce(
  nonce: string,
  action: string,
  uid: number,
  token: string,
  salt: string,
  now = Date.now() / 1000,
): 1 | 2 | false {
  if (!nonce) return false;
  const tick = nonceTick(now);
  if (equal(nonceFor(tick, action, uid, token, salt), nonce)) return 1;
  if (equal(nonceFor(tick - 1, action, uid, token, salt), nonce)) return 2;
  return false;
}
