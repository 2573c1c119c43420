import { randomBytes } from 'node:crypto';
import { Memo } from '../../cache/memo.ts';
import type { Logger } from '../../observability/logger.ts';
import type { SessionBackend } from './session-store.ts';

/** Session-store key of a revoked session family (its access and refresh tokens). */
const revokedKey = (sid: string) => `revoked:${sid}`;
/** Session-store key that changes with every revocation: nodes poll it to know when to look again. */
const VERSION_KEY = 'revoked:version';

/** Writes a new value of the revocation version key in `store`: every node polling it forgets what it holds about identities. */
export async function bumpRevocationVersion(store: SessionBackend, ttlSec: number): Promise<void> {
  await store.put(VERSION_KEY, `${Date.now()}-${randomBytes(6).toString('hex')}`, ttlSec);
}

/**
 * Revoked session families (a sign-in and every token rotated from it), on every node within a
 * second (docs/decisions/0015-sign-in-tokens.md). A revocation is a record in the session store
 * (Redis or `wp_slbp_sessions`, whichever holds the refresh tokens) that lives as long as a
 * refresh token, and a new value of one version key. Each node remembers what it found per family
 * and polls the version key every `pollMs`; when it changes, the node forgets its "not revoked"
 * answers and looks each family up again on its next request. An access token's check is therefore
 * a lookup in this process for all but one request per family per revocation anywhere.
 */
export class Revocations {
  readonly name = 'session-revocations';
  /** What this node found per family; bounded (families are ours: only signed tokens get here). */
  private readonly known = new Memo<string, boolean>(50_000, 8 * 1024 * 1024);
  private version: string | null | undefined = undefined;
  /** Bumped when this node forgets its answers; a lookup that started before is not kept. */
  private epoch = 0;
  private timer: NodeJS.Timeout | null = null;
  private lastWarn = 0;
  /** Called when the version changed: other identity caches (API keys) forget what they hold. */
  private readonly listeners: (() => void)[] = [];

  constructor(
    private readonly store: () => SessionBackend,
    private readonly ttlSec: number,
    private readonly logger: Logger,
    private readonly pollMs = 500,
  ) {}

  /** Whether family `sid` was revoked: at once when this node knows, else after one lookup. */
  isRevoked(sid: string): boolean | Promise<boolean> {
    const known = this.known.get(sid);
    if (known !== undefined) return known;
    const epoch = this.epoch;
    return this.store()
      .get(revokedKey(sid))
      .then(
        (found) => {
          const revoked = found !== null;
          if (epoch === this.epoch) this.known.set(sid, revoked);
          return revoked;
        },
        (err: unknown) => {
          // The store is down (a Redis session handler without Redis): tokens keep working on what this
          // node knew; a revocation made meanwhile applies once the store answers again.
          this.warn('could not check whether a session was revoked; accepting the token', err);
          return false;
        },
      );
  }

  /** Revokes family `sid` everywhere: its refresh tokens at once, its access tokens on every node within `pollMs` and a lookup. */
  async revoke(sid: string): Promise<void> {
    const store = this.store();
    await store.put(revokedKey(sid), '1', this.ttlSec);
    this.known.set(sid, true);
    await this.bump();
  }

  /** `fn` runs on this node whenever a revocation anywhere changed the version key. */
  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }

  /**
   * Tells every node that something it may hold about identities changed (an API key revoked):
   * a new value of the version key, so each node's poll forgets its answers within `pollMs`.
   */
  async bump(): Promise<void> {
    await bumpRevocationVersion(this.store(), this.ttlSec);
  }

  start(): void {
    this.timer = setInterval(() => {
      void this.poll();
    }, this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Reads the version key; when it changed, forgets the "not revoked" answers (revoked ones stay true). */
  async poll(): Promise<void> {
    let version: string | null;
    try {
      version = await this.store().get(VERSION_KEY);
    } catch (err) {
      this.warn('could not read the session revocation version; keeping what this node knows', err);
      return;
    }
    if (version === this.version) return;
    this.version = version;
    this.epoch++;
    this.known.forget((revoked) => !revoked);
    for (const fn of this.listeners) fn();
  }

  private warn(message: string, err: unknown): void {
    if (Date.now() - this.lastWarn < 30_000) return;
    this.lastWarn = Date.now();
    this.logger.warn(message, { error: (err as Error).message });
  }
}
