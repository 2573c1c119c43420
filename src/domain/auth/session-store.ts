import type { RedisHandle } from '../../cache/redis.ts';
import type { Queryable } from '../../data/database.ts';
import type { SessionsRepository } from '../../data/sessions-repository.ts';
import { SidecarError } from '../../errors.ts';

/** Where refresh tokens live: Redis or `{prefix}slbp_sessions`, as the plugin's session handler says. */
export interface SessionBackend {
  readonly name: 'redis' | 'database';
  put(key: string, data: string, ttlSec: number): Promise<void>;
  /** An unexpired session's data, or null. */
  get(key: string): Promise<string | null>;
  /**
   * Marks a session (JSON) used, atomically, keeping its expiry: resolves to what it held before
   * (with `used: true` already when someone marked it earlier), or null when absent or expired.
   * Of two concurrent callers only one gets the unused value.
   */
  markUsed(key: string): Promise<string | null>;
  delete(key: string): Promise<boolean>;
}

const unavailable = () =>
  new SidecarError('slbp_session_store_unavailable', 'The session store is not available right now. Please try again shortly.', 503);

/** One key, one step: GET, and when unused, SET it back with `used: true` and the same TTL. */
const MARK_USED = `local v = redis.call('GET', KEYS[1])
if not v then return false end
local s = cjson.decode(v)
if s.used then return v end
s.used = true
redis.call('SET', KEYS[1], cjson.encode(s), 'KEEPTTL')
return v`;

export class RedisSessions implements SessionBackend {
  readonly name = 'redis' as const;
  constructor(private readonly redis: RedisHandle | null) {}

  private client() {
    if (!this.redis?.isReady()) throw unavailable();
    return this.redis.client;
  }

  async put(key: string, data: string, ttlSec: number): Promise<void> {
    await this.client().set(`session:${key}`, data, 'EX', ttlSec);
  }

  async get(key: string): Promise<string | null> {
    return this.client().get(`session:${key}`);
  }

  async markUsed(key: string): Promise<string | null> {
    return ((await this.client().eval(MARK_USED, 1, `session:${key}`)) as string | null) ?? null;
  }

  async delete(key: string): Promise<boolean> {
    return (await this.client().del(`session:${key}`)) > 0;
  }
}

export class DatabaseSessions implements SessionBackend {
  readonly name = 'database' as const;
  constructor(
    private readonly repo: SessionsRepository,
    private readonly write: Queryable,
  ) {}

  put(key: string, data: string, ttlSec: number): Promise<void> {
    return this.repo.put(this.write, key, data, ttlSec);
  }

  get(key: string): Promise<string | null> {
    return this.repo.get(this.write, key);
  }

  async markUsed(key: string): Promise<string | null> {
    for (;;) {
      const raw = await this.repo.get(this.write, key);
      if (raw === null) return null;
      let session: Record<string, unknown>;
      try {
        session = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return null;
      }
      if (session.used) return raw;
      // Compare-and-set: only the caller whose UPDATE changes the row got it unused.
      if (await this.repo.replace(this.write, key, raw, JSON.stringify({ ...session, used: true }))) return raw;
    }
  }

  delete(key: string): Promise<boolean> {
    return this.repo.delete(this.write, key);
  }
}

/**
 * Picks the backend per call: SLBP_SESSION_HANDLER when set, else the slbp_session_handler
 * option (read live, so an operator's change applies without a restart). A token stored under
 * one handler is not found after a switch; its holder signs in again.
 */
export class SessionStore {
  constructor(
    private readonly backends: { redis: SessionBackend; database: SessionBackend },
    private readonly configured: string,
    private readonly option: () => 'redis' | 'database',
  ) {}

  get current(): SessionBackend {
    const name = this.configured === 'redis' || this.configured === 'database' ? this.configured : this.option();
    return this.backends[name];
  }
}
