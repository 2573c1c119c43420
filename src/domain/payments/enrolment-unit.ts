import type { BillingTx } from '../../data/database-router.ts';
import type { EnrolmentLogWrite } from '../../data/payments/enrolment-repository.ts';
import type { MainEffectsRepository } from '../../data/payments/main-effects-repository.ts';
import { sqlUtc } from '../../data/payments/sql-errors.ts';
import type { EnrolmentRef, EnrolmentService, EnrolmentTx } from './enrolment-service.ts';

/** What a committed main part recorded: the log rows its meta changes owe the billing database. */
interface Recorded {
  logs: EnrolmentLogWrite[];
}

/**
 * The enrolment changes of one event or job step, across the two databases they touch: LearnDash
 * meta on the main database, log rows on the user's billing database. Split (SLBP_SHARDS), the log
 * rows are also recorded on the main database in the meta's transaction. When an earlier attempt's
 * main part committed and its shard part did not, this attempt changes no meta and writes the
 * recorded rows instead, with their original time (docs/decisions/0019-shard-writes.md).
 */
export class EnrolmentUnit {
  private readonly logs: EnrolmentLogWrite[] = [];

  private constructor(
    private readonly service: EnrolmentService,
    private readonly effects: MainEffectsRepository,
    private readonly tx: BillingTx,
    private readonly key: string,
    private readonly done: Recorded | null,
  ) {}

  /** Opens the unit for `key` (one per event or job step, the same on every retry) inside `tx`. */
  static async open(service: EnrolmentService, effects: MainEffectsRepository, tx: BillingTx, key: string): Promise<EnrolmentUnit> {
    const done = tx.split ? await effects.load<Recorded>(tx.main, key) : null;
    return new EnrolmentUnit(service, effects, tx, key, done);
  }

  private get mainTx(): EnrolmentTx {
    return { main: this.tx.main, logs: this.logs };
  }

  private recorded(action: EnrolmentLogWrite['action']): number[] {
    return this.done!.logs.filter((l) => l.action === action).map((l) => l.courseId);
  }

  enrol(userId: number, courseIds: number[], ref: EnrolmentRef): Promise<number[]> {
    return this.done ? Promise.resolve(this.recorded('enrolled')) : this.service.enrol(this.mainTx, userId, courseIds, ref);
  }

  unenrol(userId: number, courseIds: number[], ref: EnrolmentRef): Promise<number[]> {
    return this.done ? Promise.resolve(this.recorded('unenrolled')) : this.service.unenrol(this.mainTx, userId, courseIds, ref);
  }

  /** The user's enrolment records as the main database holds them now. */
  records(userId: number): Promise<Map<number, Record<string, unknown>>> {
    return this.service.records(this.tx.main, userId);
  }

  /** Points a course's record at another granting transaction (nothing when an earlier attempt's main part did it). */
  regrant(userId: number, courseId: number, record: Record<string, unknown>, transactionId: string): Promise<void> {
    return this.done ? Promise.resolve() : this.service.regrant(this.mainTx, userId, courseId, record, transactionId);
  }

  unenrolSubscription(userId: number, subscriptionId: string): Promise<number[]> {
    return this.done ? Promise.resolve(this.recorded('unenrolled')) : this.service.unenrolSubscription(this.mainTx, userId, subscriptionId);
  }

  /** Writes the log rows on the billing database; split, records them on the main database first. */
  async finish(): Promise<void> {
    if (this.done) return this.service.writeLogs(this.tx.billing, this.done.logs);
    if (!this.tx.split || !this.logs.length) return this.service.writeLogs(this.tx.billing, this.logs);
    const at = sqlUtc(new Date());
    const logs = this.logs.map((l) => ({ ...l, createdAt: at }));
    await this.effects.save(this.tx.main, this.key, { logs } satisfies Recorded);
    await this.service.writeLogs(this.tx.billing, logs);
  }
}
