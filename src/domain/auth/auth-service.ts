import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../../data/database.ts';
import type { UsersRepository } from '../../data/users-repository.ts';
import { RestError } from '../../http/rest-error.ts';
import type { Logger } from '../../observability/logger.ts';
import { verifyWpPassword, hashWpBcrypt } from '../passwords.ts';
import type { UserDirectory, UserIdentity } from '../user-directory.ts';
import type { AccessTokens } from './access-tokens.ts';
import { APPLICATION_PASSWORDS_META, matchApplicationPassword, parseApplicationPasswords, recordUsage } from './application-passwords.ts';
import type { LoginLockout } from './login-lockout.ts';
import type { SessionStore } from './session-store.ts';

export interface TokenPair { access_token: string; refresh_token: string; token_type: 'Bearer'; expires_in: number; user: PublicUser }
export interface PublicUser { id: number; username: string; email: string; display_name: string; roles: string[]; capabilities: Record<string, boolean> }

interface RefreshSession { user_id: number; sid: string; via: 'password' | 'application_password'; created_at: string; ip: string }

/** One answer for an unknown user and a wrong password, so names cannot be probed. */
const badCredentials = () => new RestError('slbp_invalid_credentials', 'The username or password is incorrect.', 401);
const badRefresh = () => new RestError('slbp_invalid_refresh_token', 'The refresh token is invalid, expired or already used.', 401);

// Compared against when the user does not exist, so an unknown name costs as long as a known one.
const DUMMY_HASH = hashWpBcrypt(randomBytes(16).toString('hex'), 10);

export const publicUser = (u: UserIdentity): PublicUser => ({ id: u.userId, username: u.login, email: u.email, display_name: u.displayName, roles: u.roles, capabilities: u.capabilities });

const refreshKey = (token: string) => `refresh:${createHash('sha256').update(token).digest('hex')}`;

/**
 * Sign-in for apps that talk to the sidecar directly: WordPress passwords (every hash format)
 * and Application Passwords give a short-lived access token and a rotating refresh token kept
 * in the session store. Failures count towards per-name and per-address lockouts.
 */
export class AuthService {
  constructor(private readonly deps: {
    users: UsersRepository;
    read: Queryable;
    write: Queryable;
    directory: UserDirectory;
    tokens: AccessTokens;
    sessions: SessionStore;
    lockout: LoginLockout;
    refreshTtlSec: number;
    logger: Logger;
  }) {}

  async login(username: string, password: string, ip: string): Promise<TokenPair> {
    const { users, read, lockout } = this.deps;
    const wait = await lockout.retryAfter(username, ip);
    if (wait > 0) throw new RestError('slbp_login_locked', 'Too many failed login attempts. Please try again later.', 429, { retry_after: wait });
    const row = await users.findByLoginOrEmail(read, username);
    let via: RefreshSession['via'] | null = null;
    if (!row) await verifyWpPassword(password, DUMMY_HASH);
    else if (await verifyWpPassword(password, row.user_pass)) via = 'password';
    else {
      const meta = await users.getMeta(read, Number(row.ID), [APPLICATION_PASSWORDS_META]);
      let entries: ReturnType<typeof parseApplicationPasswords> = [];
      try {
        entries = parseApplicationPasswords(meta.get(APPLICATION_PASSWORDS_META));
      } catch (err) {
        this.deps.logger.warn('application passwords of a user cannot be decoded', { user_id: row.ID, error: (err as Error).message });
      }
      const used = await matchApplicationPassword(entries, password);
      if (used) {
        via = 'application_password';
        const raw = meta.get(APPLICATION_PASSWORDS_META)!;
        const next = recordUsage(entries, used, ip);
        // Best effort, compare-and-set: a concurrent change by WordPress wins and usage is not recorded.
        if (next) await users.replaceMetaIfUnchanged(this.deps.write, Number(row.ID), APPLICATION_PASSWORDS_META, raw, next)
          .catch((err) => this.deps.logger.warn('could not record application password use', { user_id: row.ID, error: (err as Error).message }));
      }
    }
    const user = row && via ? await this.deps.directory.get(Number(row.ID)) : null;
    if (!row || !via || !user) {
      await lockout.recordFailure(username, ip);
      throw badCredentials();
    }
    await lockout.recordSuccess(username, ip);
    return this.issue(user, { user_id: user.userId, sid: randomBytes(12).toString('base64url'), via, created_at: new Date().toISOString(), ip });
  }

  /** Exchanges a refresh token for a new pair; the old refresh token stops working (rotation). */
  async refresh(refreshToken: string, ip: string): Promise<TokenPair> {
    const raw = await this.deps.sessions.current.take(refreshKey(refreshToken));
    if (!raw) throw badRefresh();
    const session = JSON.parse(raw) as RefreshSession;
    const user = await this.deps.directory.get(session.user_id);
    if (!user) throw badRefresh();
    return this.issue(user, { ...session, ip });
  }

  /** Revokes a refresh token; true when it existed. Access tokens already issued expire on their own. */
  async logout(refreshToken: string): Promise<boolean> {
    return this.deps.sessions.current.delete(refreshKey(refreshToken));
  }

  private async issue(user: UserIdentity, session: RefreshSession): Promise<TokenPair> {
    const refresh_token = randomBytes(32).toString('base64url');
    await this.deps.sessions.current.put(refreshKey(refresh_token), JSON.stringify(session), this.deps.refreshTtlSec);
    return {
      access_token: this.deps.tokens.issue(user.userId, session.sid),
      refresh_token,
      token_type: 'Bearer',
      expires_in: this.deps.tokens.ttlSec,
      user: publicUser(user),
    };
  }
}
