import type { Queryable } from '../../data/database.ts';
import type { ReadRouting as PoolRouting } from '../../data/read-routing.ts';

/**
 * Billing's view of read-your-writes: keyed by WordPress user. The marker and the choice of pool
 * are the shared routing's (src/data/read-routing.ts): Redis marker plus in-process copy, and
 * healthy replicas only.
 */
export class ReadRouting {
  constructor(
    private readonly shared: PoolRouting,
    private readonly writer: Queryable,
  ) {}

  private static key(userId: number): string {
    return `user:${userId}`;
  }

  /** Whether reads can go to a replica (without one every read is on the writer). */
  get hasReplicas(): boolean {
    return this.shared.hasReplicas;
  }

  /** Records that `userId` just wrote. */
  markWrite(userId: number): Promise<void> {
    return this.shared.noteWrite(ReadRouting.key(userId));
  }

  /** Whether `userId` wrote within the window, on any node. */
  recentlyWrote(userId: number): Promise<boolean> {
    return this.shared.wroteRecently(ReadRouting.key(userId));
  }

  /** The pool a read for `userId` should use (the writer right after their write). */
  async forUser(userId: number | null): Promise<{ q: Queryable; primary: boolean }> {
    // Without replicas every read is on the writer already; skip the marker lookup.
    if (!this.shared.hasReplicas) return { q: this.writer, primary: false };
    if (userId !== null && (await this.shared.wroteRecently(ReadRouting.key(userId)))) return { q: this.writer, primary: true };
    return { q: this.shared.readerFor(null), primary: false };
  }
}
