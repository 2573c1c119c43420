import type { RedisHandle } from '../../cache/redis.ts';
import type { Queryable } from '../../data/database.ts';
import type { SessionsRepository } from '../../data/sessions-repository.ts';
import { RestError } from '../../http/rest-error.ts';

/** Where refresh tokens live: Redis or `{prefix}slbp_sessions`, as the plugin's session handler says. */
export interface SessionBackend {
  readonly name: 'redis' | 'database';
  put(key: string, data: string, ttlSec: number): Promise<void>;
  /** Atomically reads and removes a session (null when absent, expired or already taken). */
  take(key: string): Promise<string | null>;
  delete(key: string): Promise<boolean>;
}

const unavailable = () => new RestError('slbp_session_store_unavailable', 'The session store is not available right now. Please try again shortly.', 503);

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

  async take(key: string): Promise<string | null> {
    return this.client().getdel(`session:${key}`);
  }

  async delete(key: string): Promise<boolean> {
    return (await this.client().del(`session:${key}`)) > 0;
  }
}

export class DatabaseSessions implements SessionBackend {
  readonly name = 'database' as const;
  constructor(private readonly repo: SessionsRepository, private readonly write: Queryable) {}

  put(key: string, data: string, ttlSec: number): Promise<void> {
    return this.repo.put(this.write, key, data, ttlSec);
  }

  take(key: string): Promise<string | null> {
    return this.repo.take(this.write, key);
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
  constructor(private readonly backends: { redis: SessionBackend; database: SessionBackend }, private readonly configured: string, private readonly option: () => 'redis' | 'database') {}

  get current(): SessionBackend {
    const name = this.configured === 'redis' || this.configured === 'database' ? this.configured : this.option();
    return this.backends[name];
  }
}
