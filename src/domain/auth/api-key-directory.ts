import type { ApiKeyRow, ApiKeysRepository } from '../../data/api-keys-repository.ts';
import { DatabaseUnavailableError, type Queryable } from '../../data/database.ts';
import { Memo } from '../../cache/memo.ts';
import type { Logger } from '../../observability/logger.ts';

interface Held {
  row: ApiKeyRow;
  at: number;
}

/**
 * API keys by their sha256, held in this process (docs/decisions/0030-webhook-contention-and-bulkheads.md):
 * a key holder's request needs no query for `freshMs`, and keeps working on what this node knew
 * while the database is unavailable. A revocation anywhere clears every node's keys within the
 * revocation poll (the session store's version key, docs/decisions/0015-sign-in-tokens.md), so a
 * revoked key is refused on its next request after that. Unknown keys are not held (they cost a
 * query each, as before; the rate limits bound them).
 */
export class ApiKeyDirectory {
  private readonly held = new Memo<string, Held>(10_000, 4 * 1024 * 1024);
  private lastWarn = 0;

  constructor(
    private readonly keys: ApiKeysRepository,
    /** The identity lane (or a replica): key lookups never wait behind billing work. */
    private readonly read: Queryable,
    private readonly logger: Logger,
    private readonly freshMs = 60_000,
  ) {}

  /** The key's row (active or not; the caller checks), or null when no key has this hash. */
  find(hash: string): ApiKeyRow | null | Promise<ApiKeyRow | null> {
    const held = this.held.get(hash);
    if (held && Date.now() - held.at < this.freshMs) return held.row;
    return this.load(hash, held);
  }

  private async load(hash: string, held: Held | undefined): Promise<ApiKeyRow | null> {
    try {
      const row = await this.keys.findByHash(this.read, hash);
      if (row) this.held.set(hash, { row, at: Date.now() });
      return row;
    } catch (err) {
      if (!(err instanceof DatabaseUnavailableError) || !held) throw err;
      if (Date.now() - this.lastWarn > 30_000) {
        this.lastWarn = Date.now();
        this.logger.warn('database unavailable: API keys are checked against what this node knew', { error: err.message });
      }
      return held.row;
    }
  }

  /** Forgets every key (a revocation happened somewhere): each is looked up again on its next use. */
  clear(): void {
    this.held.forget(() => true);
  }
}
