import type { Logger } from '../../observability/logger.ts';
import { dummyHashOf, hashKind, verifyWpPassword } from '../passwords.ts';

/** What a dummy set is made from: the kinds of hash the site's accounts hold (see hashKind). */
export type HashKindsSource = () => Promise<string[]>;

/** When the site holds no hash we can read yet: WordPress 6.8's default. */
const DEFAULT_KINDS = ['$wp$2y$10'];

/**
 * The same password work for every name tried at sign-in (docs/decisions/0022-login-lockout-and-timing.md).
 * A check against one stored hash takes as long as that hash's algorithm and cost: 0.01 ms for a
 * legacy md5, tens of ms for phpass, about 100 ms for bcrypt. So every sign-in checks one hash of
 * each kind the site's accounts hold: the account's own for its kind, a dummy for every other kind,
 * and only dummies for a name that matches no account. Unknown names and known ones of any
 * kind then cost the same. The kinds are read from the users table every `refreshMs`.
 */
export class PasswordWork {
  private dummies: Map<string, string> | null = null;
  private loadedAt = 0;
  private loading: Promise<Map<string, string>> | null = null;

  constructor(
    private readonly kinds: HashKindsSource,
    private readonly logger: Logger,
    private readonly refreshMs = 10 * 60_000,
    private readonly verify: (password: string, stored: string) => Promise<boolean> = verifyWpPassword,
  ) {}

  /** Whether `password` matches `stored` (null: no such account), after the same work as for any other name. */
  async check(password: string, stored: string | null): Promise<boolean> {
    const dummies = await this.current();
    const own = stored ? hashKind(stored) : null;
    let ok = false;
    if (stored && (own === null || !dummies.has(own))) ok = await this.verify(password, stored);
    for (const [kind, dummy] of dummies) {
      if (kind === own) ok = await this.verify(password, stored!);
      else await this.verify(password, dummy);
    }
    return ok;
  }

  /** The dummy hash of each kind, remade when the kinds were read more than `refreshMs` ago. */
  private current(): Promise<Map<string, string>> {
    if (this.dummies && Date.now() - this.loadedAt < this.refreshMs) return Promise.resolve(this.dummies);
    this.loading ??= this.load().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async load(): Promise<Map<string, string>> {
    let kinds: string[];
    try {
      kinds = (await this.kinds()).map((prefix) => (prefix === 'md5' ? 'md5' : hashKind(prefix))).filter((k): k is string => k !== null);
    } catch (err) {
      this.logger.warn('could not read which password hash kinds the site holds; keeping the last ones', { error: (err as Error).message });
      kinds = this.dummies ? [...this.dummies.keys()] : [];
    }
    if (!kinds.length) kinds = DEFAULT_KINDS;
    const next = new Map<string, string>();
    for (const kind of [...new Set(kinds)].sort()) {
      const dummy = this.dummies?.get(kind) ?? (await dummyHashOf(kind));
      if (dummy) next.set(kind, dummy);
    }
    this.dummies = next;
    this.loadedAt = Date.now();
    return next;
  }
}
