import type { CacheService } from '../../cache/cache-service.ts';
import { cacheTags } from '../../cache/keys.ts';
import type { DatabaseRouter } from '../../data/database-router.ts';
import { DatabaseUnavailableError, type Database, type Queryable, type TransactionOptions } from '../../data/database.ts';
import type { EventLedgerRepository } from '../../data/payments/event-ledger-repository.ts';
import type { MainEffectsRepository } from '../../data/payments/main-effects-repository.ts';
import { isRetryableLock, withLockRetry } from '../../data/payments/sql-errors.ts';
import { INCOMING_WEBHOOK_ID, type WebhookLogEntry, type WebhookLogsRepository } from '../../data/payments/webhook-logs-repository.ts';
import type { Logger } from '../../observability/logger.ts';
import type { EnrolmentService } from './enrolment-service.ts';
import { EnrolmentUnit } from './enrolment-unit.ts';
import type { AppliedEvent, EventApplier } from './event-applier.ts';
import { checkDelivery } from './event-validation.ts';
import { eventLocks, idempotencyKey, verifySignature, type Envelope, type HandledEvent } from './lemon-squeezy-event.ts';

export interface WebhookDelivery {
  raw: Buffer;
  contentType: string;
  signature: string | undefined;
}
/**
 * What became of one delivery; the webhook route turns it into Lemon Squeezy's answer.
 * - `refused`: not from the gateway or not readable (content type, JSON, signature); nothing is written.
 * - `ignored`: an event the sidecar does not apply; acknowledged and logged.
 * - `invalid`: signed, but its values fail the checks; acknowledged (so the gateway stops
 *   retrying it) and logged with the reason, no billing row written.
 * - `failed`: could not be applied and was rolled back; logged, and the gateway retries it.
 * - `unavailable`: the database could not be reached, or lock conflicts outlasted the retries;
 *   nothing was applied, and the gateway is asked to retry after `retryAfterSec`.
 * - `duplicate`: applied before; acknowledged, changes nothing.
 * - `processed`: applied now.
 */
export type WebhookOutcome =
  | { kind: 'refused'; problem: 'content_type' | 'json' | 'no_signature' | 'bad_signature' }
  | { kind: 'ignored' }
  | { kind: 'invalid'; reason: string }
  | { kind: 'failed' }
  | { kind: 'unavailable'; retryAfterSec: number }
  | { kind: 'duplicate' }
  | { kind: 'processed' };

/**
 * The response code the webhook log records, as the plugin's log does: 200 for a delivery the
 * gateway is told it was received, 500 for one it should send again.
 */
const ACKNOWLEDGED = 200;
const RETRY = 500;

/** What Lemon Squeezy is asked to wait before retrying a delivery met during an outage. */
export const RETRY_AFTER_SEC = 30;

/**
 * How an event's transactions run (docs/decisions/0030-webhook-contention-and-bulkheads.md): on
 * the webhook lane's connections, READ COMMITTED (no gap locks, so new buyers' inserts never
 * deadlock), under the named locks of its buyer and gateway objects.
 */
const applyOptions = (locks: string[]): TransactionOptions => ({ lane: 'webhooks', isolation: 'READ COMMITTED', locks });

/** Receives what an applied event changed (outgoing webhooks). */
export type AppliedListener = (event: string, applied: AppliedEvent) => void;

/**
 * The Lemon Squeezy webhook: the plugin's checks in the plugin's order, then
 * each event applied in one transaction together with its idempotency ledger row and its log row
 * (docs/decisions/0013-webhook-idempotency.md). With SLBP_SHARDS the ledger row and the billing
 * rows commit together on the owner's shard (docs/decisions/0019-shard-writes.md). Rejected
 * deliveries (bad content type, JSON or signature) write nothing. A signed delivery whose values
 * fail the checks (src/domain/payments/event-validation.ts) writes no billing row: it is
 * acknowledged and logged once, in the log and the webhook log. What each outcome is answered
 * is the webhook route's (src/http/routes/webhooks.ts).
 */
export class WebhookProcessor {
  private listeners: AppliedListener[] = [];
  /** The writer through the webhook lane (bulkheads: a burst of deliveries uses only these connections). */
  private readonly write: Queryable;

  constructor(
    private readonly db: Database,
    private readonly dbs: DatabaseRouter,
    private readonly enrolment: EnrolmentService,
    private readonly effects: MainEffectsRepository,
    private readonly ledger: EventLedgerRepository,
    private readonly logs: WebhookLogsRepository,
    private readonly applier: EventApplier,
    private readonly cache: CacheService,
    private readonly secret: () => string,
    private readonly logger: Logger,
  ) {
    this.write = db.lane('webhooks');
  }

  onApplied(fn: AppliedListener): void {
    this.listeners.push(fn);
  }

  async handle(d: WebhookDelivery): Promise<WebhookOutcome> {
    if (!/^application\/([\w.+-]+\+)?json$/i.test(d.contentType)) return { kind: 'refused', problem: 'content_type' };
    let parsed: unknown;
    try {
      parsed = JSON.parse(d.raw.toString('utf8'));
    } catch {
      return { kind: 'refused', problem: 'json' };
    }
    if (!d.signature) return { kind: 'refused', problem: 'no_signature' };
    if (!verifySignature(d.raw, this.secret(), d.signature)) {
      this.logger.warn('lemon squeezy webhook with an invalid signature refused', { configured: Boolean(this.secret()) });
      return { kind: 'refused', problem: 'bad_signature' };
    }
    try {
      return await this.apply(parsed, d.raw.toString('utf8'));
    } catch (err) {
      if (!(err instanceof DatabaseUnavailableError)) throw err;
      this.logger.warn('lemon squeezy webhook met the database unavailable; asked to retry', { error: err.message });
      return { kind: 'unavailable', retryAfterSec: RETRY_AFTER_SEC };
    }
  }

  /**
   * Applies a stored incoming delivery again (an administrator's replay of a `failed` entry of
   * the webhook log): its signature was verified when it arrived. Idempotent as any delivery is:
   * an event applied meanwhile is a duplicate.
   */
  async replay(raw: string): Promise<WebhookOutcome> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return { kind: 'refused', problem: 'json' };
    }
    return this.apply(parsed, raw);
  }

  private async apply(parsed: unknown, raw: string): Promise<WebhookOutcome> {
    const checked = checkDelivery(parsed);
    if (checked.kind === 'ignored') {
      await this.log(checked.event, raw, ACKNOWLEDGED, { received: true, processed: false }, 'ignored');
      return { kind: 'ignored' };
    }
    if (checked.kind === 'invalid') {
      // Signed, so it is the gateway's; but its values cannot be applied. Acknowledging it stops
      // the gateway retrying it forever; the admin sees it in the webhook log (GET /webhooks/logs).
      this.logger.warn('lemon squeezy webhook not applied: its values are invalid', { event: checked.event, reason: checked.reason });
      await this.log(checked.event, raw, ACKNOWLEDGED, { received: true, processed: false, reason: checked.reason }, 'invalid');
      return { kind: 'invalid', reason: checked.reason };
    }
    const { event: eventName, env } = checked;
    let outcome: AppliedEvent | 'duplicate';
    try {
      outcome = await this.applyOnce(eventName, env, raw);
    } catch (err) {
      if (err instanceof DatabaseUnavailableError) throw err;
      if (isRetryableLock(err)) {
        // Contention that outlasted the retries is not a fault of the delivery: the gateway retries it.
        this.logger.warn('lemon squeezy webhook met lock conflicts past its retries; asked to retry', {
          event: eventName,
          id: env.data.id,
          error: (err as Error).message,
        });
        await this.log(eventName, raw, 503, { error: 'Webhook deferred', reason: (err as Error).message }, 'failed').catch(() => undefined);
        return { kind: 'unavailable', retryAfterSec: 5 };
      }
      this.logger.error('lemon squeezy webhook could not be applied', { event: eventName, id: env.data.id, error: (err as Error).message });
      await this.log(eventName, raw, RETRY, { error: 'Webhook processing failed', reason: (err as Error).message }, 'failed').catch(
        () => undefined,
      );
      return { kind: 'failed' };
    }
    if (outcome === 'duplicate') {
      await this.log(eventName, raw, ACKNOWLEDGED, { received: true, processed: false, duplicate: true }, 'duplicate');
      return { kind: 'duplicate' };
    }
    await this.cache
      .invalidate({ tags: cacheTags.billingChange(outcome.userId) })
      .catch((err) => this.logger.warn('cache invalidation after a webhook failed', { error: (err as Error).message }));
    for (const fn of this.listeners) fn(eventName, outcome);
    return { kind: 'processed' };
  }

  /**
   * Ledger claim and the event's rows commit together; lock conflicts are retried. Unsharded the
   * buyer, the enrolment meta and the log row are in that one transaction too. Sharded, the owner
   * is found first (the stored object's, else the buyer, created in a transaction of its own),
   * the claim goes to the owner's shard, and the main database's part commits just before the
   * shard's (see DatabaseRouter.write and EnrolmentUnit); the log row follows the commit.
   */
  private async applyOnce(event: HandledEvent, env: Envelope, raw: string): Promise<AppliedEvent | 'duplicate'> {
    const key = idempotencyKey(env);
    const note = `${event}:${env.data.type}:${env.data.id}`;
    const processed = (applied: AppliedEvent): WebhookLogEntry => ({
      webhookId: INCOMING_WEBHOOK_ID,
      event,
      payload: raw,
      responseCode: ACKNOWLEDGED,
      status: 'processed',
      responseBody: JSON.stringify({
        received: true,
        processed: true,
        idempotency_key: key,
        ...(applied.note ? { note: applied.note } : {}),
      }),
    });
    // Claimed on the main database before SLBP_SHARDS was set: still applied once.
    if (this.dbs.sharded && (await this.ledger.has(this.write, key))) return 'duplicate';
    const locks = eventLocks(event, env);
    const outcome = await withLockRetry(async () => {
      const owner = this.dbs.sharded ? await this.owner(event, env) : null;
      // Unsharded there is one database and `owner` is not needed to choose it.
      return this.dbs.write(
        owner ?? 0,
        async (tx) => {
          if (!(await this.ledger.claim(tx.billing, key, note))) return 'duplicate' as const;
          const enrolment = await EnrolmentUnit.open(this.enrolment, this.effects, tx, `ls_event:${key}`);
          const applied = await this.applier.apply(
            { billing: tx.billing, main: tx.main, enrolment },
            event,
            env,
            async () => owner ?? this.applier.buyer(tx.main, event, env),
          );
          await enrolment.finish();
          if (!tx.split) await this.logs.insert(tx.main, processed(applied));
          return applied;
        },
        applyOptions(locks),
      );
    });
    if (outcome !== 'duplicate' && this.dbs.sharded) {
      await this.logs
        .insert(this.write, processed(outcome))
        .catch((err) =>
          this.logger.warn('the processed row of a committed webhook could not be logged', { event, error: (err as Error).message }),
        );
    }
    return outcome;
  }

  /** The stored object's owner, else the buyer the event names (a new buyer commits before the shard write). */
  private async owner(event: HandledEvent, env: Envelope): Promise<number> {
    return (
      (await this.applier.storedOwner(this.dbs, event, env)) ??
      withLockRetry(() => this.db.transaction((q) => this.applier.buyer(q, event, env), applyOptions(eventLocks(event, env, true))))
    );
  }

  private log(event: string, raw: string, code: number, body: Record<string, unknown>, status: string): Promise<void> {
    return this.logs.insert(this.write, {
      webhookId: INCOMING_WEBHOOK_ID,
      event,
      payload: raw,
      responseCode: code,
      responseBody: JSON.stringify(body),
      status,
    });
  }
}
