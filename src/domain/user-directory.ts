import type { CacheService } from '../cache/cache-service.ts';
import { cacheKeys, cacheTags } from '../cache/keys.ts';
import type { Queryable } from '../data/database.ts';
import { maybeUnserialize } from '../data/php-serialize.ts';
import type { UsersRepository } from '../data/users-repository.ts';
import { resolveCapabilities } from './capabilities.ts';
import type { SiteSettings } from './site-settings.ts';

export interface UserIdentity {
  userId: number;
  login: string;
  email: string;
  displayName: string;
  roles: string[];
  capabilities: Record<string, boolean>;
  /** A keyed stamp of the password hash (AccessTokens.stamp): changes when the password does. */
  passwordStamp: string;
}

/**
 * Loads who a WordPress user is (roles and capabilities) from usermeta and the roles option,
 * never from a request header. Cached under the `user:{id}` tag, so a role or password change in
 * WordPress (the shim invalidates that tag) shows on the next request, on every node; also under
 * `options`, because the capabilities come from the roles option too.
 */
export class UserDirectory {
  constructor(
    private readonly users: UsersRepository,
    private readonly read: Queryable,
    private readonly settings: SiteSettings,
    private readonly cache: CacheService,
    private readonly capabilitiesMeta: string,
    private readonly stamp: (passwordHash: string) => string,
  ) {}

  get(userId: number): Promise<UserIdentity | null> {
    return this.cache.wrap(cacheKeys.userIdentity(userId), () => this.load(userId), {
      tags: [cacheTags.user(userId), cacheTags.options],
      l1TtlSec: 60,
      ttlSec: 600,
    });
  }

  /** The user as this process's cache holds it (null: known not to exist), or undefined when it is not cached here. */
  cached(userId: number): UserIdentity | null | undefined {
    return this.cache.peek<UserIdentity | null>(cacheKeys.userIdentity(userId));
  }

  private async load(userId: number): Promise<UserIdentity | null> {
    const user = await this.users.findById(this.read, userId);
    if (!user) return null;
    const meta = await this.users.getMeta(this.read, userId, [this.capabilitiesMeta]);
    const caps = maybeUnserialize(meta.get(this.capabilitiesMeta) ?? null, `user meta ${this.capabilitiesMeta} of user ${userId}`);
    const { roles, capabilities } = resolveCapabilities(
      caps && typeof caps === 'object' ? (caps as Record<string, unknown>) : {},
      this.settings.userRoles,
    );
    return {
      userId: Number(user.ID),
      login: user.user_login,
      email: user.user_email,
      displayName: user.display_name,
      roles,
      capabilities,
      passwordStamp: this.stamp(user.user_pass),
    };
  }
}
