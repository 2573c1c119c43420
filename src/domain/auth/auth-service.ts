import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../../data/database.ts';
import { maybeUnserialize } from '../../data/php-serialize.ts';
import type { UserRow, UsersRepository } from '../../data/users-repository.ts';
import { SidecarError } from '../../errors.ts';
import type { Logger } from '../../observability/logger.ts';
import type { UserDirectory, UserIdentity } from '../user-directory.ts';
import type { AccessTokens } from './access-tokens.ts';
import {
  APPLICATION_PASSWORDS_META,
  matchApplicationPassword,
  normaliseApplicationPassword,
  parseApplicationPasswords,
  recordUsage,
} from './application-passwords.ts';
import { loginSubject, type LoginLockout, type LoginSubject } from './login-lockout.ts';
import type { PasswordWork } from './password-work.ts';
import type { Revocations } from './revocations.ts';
import type { SessionStore } from './session-store.ts';

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
  user: PublicUser;
}
export interface PublicUser {
  id: number;
  username: string;
  email: string;
  display_name: string;
  roles: string[];
  capabilities: Record<string, boolean>;
}

/** A refresh token's session: its user, family (`sid`), how it signed in, and the stamp of the password it signed in with. */
interface RefreshSession {
  user_id: number;
  sid: string;
  via: 'password' | 'application_password';
  created_at: string;
  ip: string;
  pwd?: string;
}

/** One answer for an unknown user and a wrong password, so names cannot be probed. */
const badCredentials = () => new SidecarError('slbp_invalid_credentials', 'The username or password is incorrect.', 401);
/** WordPress's answer to a wrong Application Password, given for unknown names too. */
const badApplicationPassword = () =>
  new SidecarError('incorrect_password', 'The provided password is an invalid application password.', 401);
const badRefresh = () => new SidecarError('slbp_invalid_refresh_token', 'The refresh token is invalid, expired or already used.', 401);
const locked = (wait: number) =>
  new SidecarError('slbp_login_locked', 'Too many failed login attempts. Please try again later.', 429, { retry_after: wait });

/** WordPress's own session list of a user (`session_tokens` meta: `{verifier: {expiration, ip, ua, login}}`). */
const SESSION_TOKENS_META = 'session_tokens';

export const publicUser = (u: UserIdentity): PublicUser => ({
  id: u.userId,
  username: u.login,
  email: u.email,
  display_name: u.displayName,
  roles: u.roles,
  capabilities: u.capabilities,
});

const refreshKey = (token: string) => `refresh:${createHash('sha256').update(token).digest('hex')}`;

/**
 * Sign-in for apps that talk to the sidecar directly: WordPress passwords (every hash format)
 * and Application Passwords give a short-lived access token and a rotating refresh token kept
 * in the session store. Failures count towards lockouts of the account the database resolves
 * and of the address (docs/decisions/0022-login-lockout-and-timing.md); every name costs the same
 * password work, known or not.
 */
export class AuthService {
  constructor(
    private readonly deps: {
      users: UsersRepository;
      read: Queryable;
      write: Queryable;
      directory: UserDirectory;
      tokens: AccessTokens;
      sessions: SessionStore;
      revocations: Revocations;
      lockout: LoginLockout;
      passwords: PasswordWork;
      refreshTtlSec: number;
      logger: Logger;
    },
  ) {}

  async login(username: string, password: string, ip: string): Promise<TokenPair> {
    const { row, user, via } = await this.attempt(username, ip, badCredentials, async (row) => {
      if (await this.deps.passwords.check(password, row?.user_pass ?? null)) return 'password';
      return this.applicationPasswordOf(row, password, ip);
    });
    return this.issue(user, {
      user_id: user.userId,
      sid: randomBytes(12).toString('base64url'),
      via,
      created_at: new Date().toISOString(),
      ip,
      pwd: this.deps.tokens.stamp(row.user_pass),
    });
  }

  /**
   * HTTP Basic with an Application Password on any request (WordPress's
   * wp_authenticate_application_password): the same lockouts as /auth/login, by account and by
   * address, and the same reads for unknown names (the meta of user 0). The user, or a 401
   * (one answer for an unknown name and a wrong password) or a 429 while locked out.
   */
  async applicationPasswordUser(username: string, password: string, ip: string): Promise<UserIdentity> {
    const { user } = await this.attempt(username, ip, badApplicationPassword, (row) => this.applicationPasswordOf(row, password, ip));
    return user;
  }

  /**
   * Checks `password` against the Application Passwords of `row`'s user, when it has their shape.
   * The meta is read for unknown names too (user 0 has none), so both cost the same query.
   */
  private async applicationPasswordOf(row: UserRow | null, password: string, ip: string): Promise<RefreshSession['via'] | null> {
    return normaliseApplicationPassword(password) ? this.applicationPassword(row ? Number(row.ID) : 0, password, ip) : null;
  }

  /**
   * One sign-in attempt under the lockouts (by address, then by account and address): `verify`
   * checks the secret against the user's row (null for an unknown name, checked all the same);
   * a failure is recorded and answered with `fail()`.
   */
  private async attempt(
    username: string,
    ip: string,
    fail: () => Error,
    verify: (row: UserRow | null) => Promise<RefreshSession['via'] | null>,
  ): Promise<{ row: UserRow; user: UserIdentity; via: RefreshSession['via'] }> {
    const { users, read, lockout } = this.deps;
    const addressWait = await lockout.addressWait(ip);
    if (addressWait > 0) throw locked(addressWait);
    const row = await users.findByLoginOrEmail(read, username);
    const subject = loginSubject(username, row ? Number(row.ID) : null);
    const wait = await lockout.subjectWait(subject, ip, () => this.knownAddress(subject, ip));
    if (wait > 0) throw locked(wait);
    const via = await verify(row);
    const user = row && via ? await this.deps.directory.get(Number(row.ID)) : null;
    if (!row || !via || !user) {
      await lockout.recordFailure(subject, ip);
      throw fail();
    }
    await lockout.recordSuccess(subject, ip);
    return { row, user, via };
  }

  /** 'application_password' when `password` is one of the user's Application Passwords (its use is recorded), else null. */
  private async applicationPassword(userId: number, password: string, ip: string): Promise<RefreshSession['via'] | null> {
    const { users, read } = this.deps;
    const meta = await users.getMeta(read, userId, [APPLICATION_PASSWORDS_META]);
    let entries: ReturnType<typeof parseApplicationPasswords> = [];
    try {
      entries = parseApplicationPasswords(meta.get(APPLICATION_PASSWORDS_META));
    } catch (err) {
      this.deps.logger.warn('application passwords of a user cannot be decoded', { user_id: userId, error: (err as Error).message });
    }
    const used = await matchApplicationPassword(entries, password);
    if (!used) return null;
    const raw = meta.get(APPLICATION_PASSWORDS_META)!;
    const next = recordUsage(entries, used, ip);
    // Best effort, compare-and-set: a concurrent change by WordPress wins and usage is not recorded.
    if (next)
      await users
        .replaceMetaIfUnchanged(this.deps.write, userId, APPLICATION_PASSWORDS_META, raw, next)
        .catch((err) =>
          this.deps.logger.warn('could not record application password use', { user_id: userId, error: (err as Error).message }),
        );
    return 'application_password';
  }

  /**
   * Whether the account is known to use this address: it signed in from it through the sidecar,
   * or WordPress holds an unexpired session of it started from there. Asked only while the
   * account is over its limit from all addresses together.
   */
  private async knownAddress(subject: LoginSubject, ip: string): Promise<boolean> {
    if (await this.deps.lockout.knows(subject, ip)) return true;
    const meta = await this.deps.users.getMeta(this.deps.read, subject.userId ?? 0, [SESSION_TOKENS_META]);
    let sessions: unknown;
    try {
      sessions = maybeUnserialize(meta.get(SESSION_TOKENS_META) ?? null, `user meta ${SESSION_TOKENS_META} of user ${subject.userId}`);
    } catch {
      return false;
    }
    const now = Date.now() / 1000;
    return Object.values(sessions && typeof sessions === 'object' ? sessions : {}).some((x) => {
      const e = x as { ip?: unknown; expiration?: unknown } | null;
      return !!e && e.ip === ip && Number(e.expiration) > now;
    });
  }

  /**
   * Exchanges a refresh token for a new pair; the old refresh token stops working (rotation). A
   * token presented again after its rotation revokes its whole family (the token leaked: its
   * holder and a thief both have it), as does a password changed since the sign-in.
   */
  async refresh(refreshToken: string, ip: string): Promise<TokenPair> {
    const { sessions, revocations, users, write, tokens, logger } = this.deps;
    const raw = await sessions.current.markUsed(refreshKey(refreshToken));
    if (!raw) throw badRefresh();
    const { used, ...session } = JSON.parse(raw) as RefreshSession & { used?: boolean };
    if (used) {
      await revocations.revoke(session.sid);
      logger.warn('a refresh token was used twice: every token of its sign-in is revoked', { user_id: session.user_id, ip });
      throw badRefresh();
    }
    if (await revocations.isRevoked(session.sid)) throw badRefresh();
    // From the writer, not a cache or a replica: a password changed a moment ago must count.
    const row = await users.findById(write, session.user_id);
    const pwd = row ? tokens.stamp(row.user_pass) : null;
    // Sessions from before password stamps (no `pwd`) take the current one.
    if (!row || !pwd || (session.pwd !== undefined && session.pwd !== pwd)) {
      await revocations.revoke(session.sid);
      throw badRefresh();
    }
    const user = await this.deps.directory.get(session.user_id);
    if (!user) throw badRefresh();
    return this.issue(user, { ...session, pwd, ip });
  }

  /**
   * Signs a session out: revokes the refresh token's whole family, so its refresh tokens at once
   * and its access tokens on every node within a second stop working. True when the token was
   * live (not unknown, expired or already rotated).
   */
  async logout(refreshToken: string): Promise<boolean> {
    const raw = await this.deps.sessions.current.markUsed(refreshKey(refreshToken));
    if (!raw) return false;
    const session = JSON.parse(raw) as RefreshSession & { used?: boolean };
    await this.deps.revocations.revoke(session.sid);
    return !session.used;
  }

  private async issue(user: UserIdentity, session: RefreshSession): Promise<TokenPair> {
    const refresh_token = randomBytes(32).toString('base64url');
    await this.deps.sessions.current.put(refreshKey(refresh_token), JSON.stringify(session), this.deps.refreshTtlSec);
    return {
      access_token: this.deps.tokens.issue(user.userId, session.sid, session.pwd ?? user.passwordStamp),
      refresh_token,
      token_type: 'Bearer',
      expires_in: this.deps.tokens.ttlSec,
      user: publicUser(user),
    };
  }
}
