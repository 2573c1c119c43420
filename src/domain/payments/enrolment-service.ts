import { randomBytes } from 'node:crypto';
import type { Queryable } from '../../data/database.ts';
import { maybeUnserialize, phpSerialize } from '../../data/php-serialize.ts';
import type { UsersRepository } from '../../data/users-repository.ts';
import { EnrolmentRepository, type EnrolmentLogWrite } from '../../data/payments/enrolment-repository.ts';
import { hashPhpass } from '../passwords.ts';

export interface EnrolmentRef {
  transactionId: string | null;
  subscriptionId: string | null;
  notes: string;
}

/**
 * Where enrolment changes go: LearnDash meta through `main` (the WordPress database); the log
 * rows are collected in `logs` for the caller to write on the user's billing database
 * (src/domain/payments/enrolment-unit.ts).
 */
export interface EnrolmentTx {
  main: Queryable;
  logs: EnrolmentLogWrite[];
}

/** Course ids mapped to a Lemon Squeezy product in `slbp_course_mappings` (`{product: [courses]}`). */
export function coursesFor(mappings: Record<string, unknown>, productId: string | null | undefined): number[] {
  if (!productId) return [];
  const v = mappings[String(productId)];
  const list = Array.isArray(v) ? v : v && typeof v === 'object' ? Object.values(v) : v !== undefined && v !== null && v !== '' ? [v] : [];
  return [...new Set(list.map(Number).filter((n) => Number.isSafeInteger(n) && n > 0))];
}

const sqlNow = () => new Date().toISOString().slice(0, 19).replace('T', ' ');

/**
 * Buyers and LearnDash enrolment, always inside the caller's transaction: access meta
 * `course_{id}_access_from`, the plugin's `slbp_enrollment_{id}` meta in the plugin's form
 * (`source: skylearn_billing_pro`, `metadata: {access_mode: full, status: active}`, the granting
 * Lemon Squeezy order id as `transaction_id`) and an enrolment log row per change, keyed by that
 * order id too. Enrolling an enrolled user or unenrolling one without access changes nothing.
 */
export class EnrolmentService {
  constructor(
    private readonly buyers: UsersRepository,
    private readonly enrolments: EnrolmentRepository,
  ) {}

  /**
   * The buyer the gateway's order names: the user with its email, else a new subscriber. The
   * checkout's `custom_data.user_id` is anyone's to set (it is a parameter of the checkout URL), so
   * it is taken only when it matches: that user's email is the order's, or `sameCustomer` says that
   * user's earlier orders were this gateway customer's.
   */
  async resolveBuyer(
    q: Queryable,
    hintedId: number | null,
    email: string,
    name: string | null | undefined,
    sameCustomer?: (userId: number) => Promise<boolean>,
  ): Promise<{ userId: number; created: boolean }> {
    const normalised = email.trim().toLowerCase();
    if (hintedId !== null) {
      const hinted = await this.buyers.emailOf(q, hintedId);
      if (hinted !== null && (hinted.trim().toLowerCase() === normalised || (sameCustomer && (await sameCustomer(hintedId)))))
        return { userId: hintedId, created: false };
    }
    const found = await this.buyers.lockByEmail(q, normalised);
    if (found !== null) return { userId: found, created: false };
    const base = (normalised.split('@')[0] ?? 'buyer').replace(/[^a-z0-9_.-]/g, '').slice(0, 50) || 'buyer';
    let login = base;
    for (let i = 2; await this.buyers.loginTaken(q, login); i++) login = `${base}${i}`;
    const [first = '', ...rest] = (name ?? '').trim().split(/\s+/);
    const userId = await this.buyers.create(q, {
      login,
      email: normalised,
      passHash: hashPhpass(randomBytes(18).toString('base64')),
      displayName: (name ?? '').trim() || login,
      firstName: first,
      lastName: rest.join(' '),
      capabilities: phpSerialize({ subscriber: true }),
    });
    return { userId, created: true };
  }

  /** Grants access to each course the user does not have yet; returns the newly enrolled ids. */
  async enrol(tx: EnrolmentTx, userId: number, courseIds: number[], ref: EnrolmentRef): Promise<number[]> {
    const q = tx.main;
    const have = await this.enrolments.lockAccess(q, userId, courseIds);
    const added: number[] = [];
    const records =
      ref.subscriptionId && [...have.keys()].length ? await this.enrolments.enrolmentRecords(q, userId) : new Map<number, string>();
    for (const courseId of courseIds) {
      if (have.has(courseId)) {
        // Already enrolled (e.g. by the subscription's first order): remember the subscription, so its expiry can end the access.
        const rec = this.record(records.get(courseId), userId, courseId);
        if (ref.subscriptionId && rec && rec.subscription_id !== ref.subscriptionId) {
          await this.enrolments.setMeta(
            q,
            userId,
            EnrolmentRepository.enrolmentKey(courseId),
            phpSerialize({ ...rec, subscription_id: ref.subscriptionId }),
          );
        }
        continue;
      }
      await this.enrolments.setMeta(q, userId, EnrolmentRepository.accessKey(courseId), String(Math.floor(Date.now() / 1000)));
      await this.enrolments.setMeta(
        q,
        userId,
        EnrolmentRepository.enrolmentKey(courseId),
        phpSerialize({
          transaction_id: ref.transactionId ?? '',
          subscription_id: ref.subscriptionId ?? '',
          enrolled_date: sqlNow(),
          source: 'skylearn_billing_pro',
          lms: 'learndash',
          metadata: { access_mode: 'full', status: 'active' },
        }),
      );
      tx.logs.push({ userId, courseId, action: 'enrolled', transactionId: ref.transactionId, notes: ref.notes });
      added.push(courseId);
    }
    return added;
  }

  /** The user's `slbp_enrollment_{course}` records, decoded, by course id. */
  async records(q: Queryable, userId: number): Promise<Map<number, Record<string, unknown>>> {
    const out = new Map<number, Record<string, unknown>>();
    for (const [courseId, raw] of await this.enrolments.enrolmentRecords(q, userId)) {
      const rec = this.record(raw, userId, courseId);
      if (rec) out.set(courseId, rec);
    }
    return out;
  }

  /** Names another transaction as what grants the course (its first grant was refunded, another paid order still covers it). */
  async regrant(tx: EnrolmentTx, userId: number, courseId: number, record: Record<string, unknown>, transactionId: string): Promise<void> {
    await this.enrolments.setMeta(
      tx.main,
      userId,
      EnrolmentRepository.enrolmentKey(courseId),
      phpSerialize({ ...record, transaction_id: transactionId }),
    );
  }

  /** Removes access to the courses whose enrolment record names this subscription. */
  async unenrolSubscription(tx: EnrolmentTx, userId: number, subscriptionId: string): Promise<number[]> {
    const records = await this.enrolments.enrolmentRecords(tx.main, userId);
    const courses = [...records]
      .filter(([courseId, raw]) => this.record(raw, userId, courseId)?.subscription_id === subscriptionId)
      .map(([courseId]) => courseId);
    return this.unenrol(tx, userId, courses, {
      transactionId: null,
      subscriptionId,
      notes: `Lemon Squeezy subscription ${subscriptionId} ended (expires_at passed)`,
    });
  }

  private record(raw: string | undefined, userId: number, courseId: number): Record<string, unknown> | null {
    if (!raw) return null;
    const v = maybeUnserialize(raw, `user meta slbp_enrollment_${courseId} of user ${userId}`);
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : null;
  }

  /** Removes access to each course the user has; returns the ids actually removed. */
  async unenrol(tx: EnrolmentTx, userId: number, courseIds: number[], ref: EnrolmentRef): Promise<number[]> {
    const q = tx.main;
    const have = await this.enrolments.lockAccess(q, userId, courseIds);
    const removed: number[] = [];
    for (const courseId of courseIds) {
      if (!have.has(courseId)) continue;
      await this.enrolments.deleteMeta(q, userId, [EnrolmentRepository.accessKey(courseId), EnrolmentRepository.enrolmentKey(courseId)]);
      tx.logs.push({ userId, courseId, action: 'unenrolled', transactionId: ref.transactionId, notes: ref.notes });
      removed.push(courseId);
    }
    return removed;
  }

  /** Writes collected log rows (on the users' billing database), in order. */
  async writeLogs(q: Queryable, logs: EnrolmentLogWrite[]): Promise<void> {
    for (const l of logs) await this.enrolments.log(q, l);
  }
}
