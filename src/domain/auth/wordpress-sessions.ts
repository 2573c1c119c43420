import type { Queryable } from '../../data/database.ts';
import type { OptionsRepository } from '../../data/options-repository.ts';
import { maybeUnserialize } from '../../data/php-serialize.ts';
import type { UsersRepository } from '../../data/users-repository.ts';
import type { Logger } from '../../observability/logger.ts';
import {
  authCookieValid,
  loggedInCookieName,
  parseAuthCookie,
  saltOptionNames,
  sessionTokenValid,
  verifyNonce,
  wpSalt,
  type SaltScheme,
} from './wordpress-cookies.ts';

/** A logged-in browser session WordPress's cookie names: its user and session token. */
export interface WordPressSession {
  userId: number;
  token: string;
}

const SESSION_TOKENS_META = 'session_tokens';
/** How long the salts read from options and the siteurl are kept (WordPress writes a missing salt option at its first use). */
const OPTIONS_TTL_MS = 60_000;

/**
 * WordPress's own browser sessions, checked from the site's tables and wp-config.php keys and
 * salts, without WordPress: the `wordpress_logged_in_<md5(siteurl)>` cookie (its HMAC and its
 * session token in `session_tokens`) and the REST nonce (`wp_rest`) made for that session. The
 * user and session meta are read from the writer, so a logout in WordPress counts at once.
 */
export class WordPressSessions {
  private options: { at: number; values: Map<string, string> } | null = null;

  constructor(
    private readonly deps: {
      users: UsersRepository;
      options: OptionsRepository;
      /** The writer: the session WordPress destroyed a moment ago must not be read from a replica. */
      write: Queryable;
      /** wp-config.php's key and salt constants (config.wpSalts). */
      constants: Record<string, string>;
      logger: Logger;
    },
  ) {}

  private async optionValues(): Promise<Map<string, string>> {
    if (this.options && Date.now() - this.options.at < OPTIONS_TTL_MS) return this.options.values;
    const names = ['siteurl', ...(['logged_in', 'nonce'] as SaltScheme[]).flatMap(saltOptionNames)];
    const values = await this.deps.options.getMany(this.deps.write, names);
    this.options = { at: Date.now(), values };
    return values;
  }

  /** The logged-in cookie's name on this site (null until the siteurl option can be read). */
  async cookieName(): Promise<string> {
    return loggedInCookieName((await this.optionValues()).get('siteurl') ?? '');
  }

  private async salt(scheme: SaltScheme): Promise<string | null> {
    let salt = wpSalt(scheme, this.deps.constants, await this.optionValues());
    if (salt === null) {
      // WordPress may have generated the option since it was read.
      this.options = null;
      salt = wpSalt(scheme, this.deps.constants, await this.optionValues());
    }
    return salt;
  }

  /** wp_validate_auth_cookie($value, 'logged_in'): the session it names, or null when it is not valid. */
  async session(value: string, method: string): Promise<WordPressSession | null> {
    const cookie = parseAuthCookie(value);
    if (!cookie) return null;
    const { users, write } = this.deps;
    const salt = await this.salt('logged_in');
    if (!salt) return null;
    const user = await users.findByLogin(write, cookie.username);
    if (!user || !authCookieValid(cookie, user.user_pass, salt, method)) return null;
    const userId = Number(user.ID);
    const meta = await users.getMeta(write, userId, [SESSION_TOKENS_META]);
    let sessions: unknown;
    try {
      sessions = maybeUnserialize(meta.get(SESSION_TOKENS_META) ?? null, `user meta ${SESSION_TOKENS_META} of user ${userId}`);
    } catch (err) {
      this.deps.logger.warn('the session tokens of a user cannot be decoded', { user_id: userId, error: (err as Error).message });
      return null;
    }
    return sessionTokenValid(sessions, cookie.token) ? { userId, token: cookie.token } : null;
  }

  /** wp_verify_nonce($nonce, 'wp_rest') for the session's user and token. */
  async restNonceValid(nonce: string, session: WordPressSession): Promise<boolean> {
    const salt = await this.salt('nonce');
    return !!salt && verifyNonce(nonce, 'wp_rest', session.userId, session.token, salt) !== false;
  }
}
